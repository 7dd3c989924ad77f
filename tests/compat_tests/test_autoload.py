"""The shims apply on ``import chainer_irnn`` in every install mode, and the
start-up hook imports nothing but itself."""
import os
import subprocess
import sys
import textwrap

import pytest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(code, *flags, **env):
    full_env = dict(os.environ)
    full_env.update(env)
    return subprocess.run([sys.executable] + list(flags) + ['-c', textwrap.dedent(code)],
                          capture_output=True, text=True, env=full_env, cwd=SOURCE)


@pytest.mark.slow
def test_import_chainer_irnn_then_chainer_works_without_the_startup_hook():
    """As after an editable install (no .pth) or with the hook switched off."""
    r = run_python('''
        import sys
        import chainer_irnn
        import chainer, chainer.links as L, numpy as np
        assert '_chainer_irnn_autoload' not in sys.modules
        print(L.Linear(3, 2)(np.ones((1, 3), np.float32)).shape, chainer.__version__)
    ''', CHAINER_IRNN_NO_AUTOLOAD='1', PYTHONPATH=SOURCE)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['(1,', '2)', '7.8.1']


@pytest.mark.slow
def test_public_api_imports_cleanly_without_the_hook():
    r = run_python('''
        from chainer_irnn import IRNNClassifier, read_csv, read_ts, load_model, fit, TrainConfig
        from chainer_irnn.functions import irnn_recurrence
        print(IRNNClassifier().get_params()['hidden'], irnn_recurrence.__name__)
    ''', CHAINER_IRNN_NO_AUTOLOAD='1', PYTHONPATH=SOURCE)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['(100,)', 'irnn_recurrence']


def _imported(stderr):
    return {line.split('|')[-1].strip() for line in stderr.splitlines()
            if line.startswith('import time:') and '|' in line}


def test_startup_hook_imports_nothing():
    """``python -X importtime`` with and without the hook: the hook (run by
    the .pth file, not imported) adds no module import to start-up (no
    importlib.abc, tempfile, ...)."""
    probe = "import sys; print('_chainer_irnn_autoload' in sys.modules)"
    if run_python(probe).stdout.strip() != 'True':
        import pytest
        pytest.skip('chainer-irnn is not installed with its start-up hook here')
    assert run_python(probe, CHAINER_IRNN_NO_AUTOLOAD='1').stdout.strip() == 'False'
    with_hook = run_python('pass', '-X', 'importtime')
    without = run_python('pass', '-X', 'importtime', CHAINER_IRNN_NO_AUTOLOAD='1')
    added = _imported(with_hook.stderr) - _imported(without.stderr)
    assert added == set(), added
