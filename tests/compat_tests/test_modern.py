import os
import subprocess
import sys
import textwrap

import numpy
import pytest

from chainer_irnn.compat import modern

NUMPY2 = int(numpy.__version__.split('.')[0]) >= 2


def run_python(code, **env):
    full_env = dict(os.environ)
    full_env.update(env)
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True, env=full_env,
                          cwd=os.path.dirname(os.path.dirname(__file__)))


def test_apply_returns_working_chainer():
    chainer = modern.apply()
    assert chainer.__version__ == '7.8.1'
    import chainer.functions as F
    y = F.relu(numpy.array([-1.0, 0.5], dtype=numpy.float32))
    numpy.testing.assert_array_equal(y.array, [0.0, 0.5])


def test_sctypes_available_to_chainer():
    modern.apply()
    # chainer.functions.array.as_strided builds its index dtype table from it
    from chainer.functions.array import as_strided
    assert as_strided.index_dtype[8] is numpy.int64
    assert numpy.float32 in numpy.sctypes['float']


@pytest.mark.slow
def test_environment_check_replaced():
    modern.apply()
    assert modern.report()['environment_check_replaced']
    # the replacement never needs pkg_resources nor numpy.distutils
    r = run_python('''
        import sys
        sys.modules['pkg_resources'] = None       # import fails
        sys.modules['numpy.distutils'] = None
        import chainer_irnn.compat
        chainer = chainer_irnn.compat.apply()
        print(chainer.__version__)
    ''')
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '7.8.1'


def test_user_script_importing_chainer_directly_gets_shims(tmp_path):
    """The start-up hook (chainer_irnn_compat.pth) applies the shims."""
    r = run_python('''
        import sys
        import chainer, chainer.links as L, numpy as np
        print('hook' if '_chainer_irnn_autoload' in sys.modules else 'nohook')
        print(L.Linear(3, 2)(np.ones((1, 3), np.float32)).shape)
    ''')
    if 'nohook' in r.stdout:
        pytest.skip('chainer-irnn is not installed (source checkout)')
    assert r.returncode == 0, r.stderr
    assert '(1, 2)' in r.stdout


@pytest.mark.skipif(not NUMPY2, reason='the failure only exists on NumPy 2')
def test_without_shims_chainer_fails_on_numpy2():
    """Guards the premise: remove the shims and NumPy 2 breaks Chainer."""
    r = run_python('import chainer', CHAINER_IRNN_NO_AUTOLOAD='1')
    assert r.returncode != 0
    assert 'sctypes' in r.stderr


def test_report_keys():
    rep = modern.report()
    assert rep['chainer'] == '7.8.1'
    assert rep['numpy'] == numpy.__version__
    assert rep['sctypes_restored'] == NUMPY2


@pytest.mark.slow
def test_chainer_testing_imports_without_pkg_resources():
    """setuptools >= 81 has no ``pkg_resources``; ``chainer.testing`` (and so
    ``chainer.gradient_check``) imports it: the shim gives those modules a
    stand-in, and only them."""
    r = run_python('''
        import sys, unittest
        sys.modules['pkg_resources'] = None       # as with setuptools >= 81
        import chainer_irnn.compat
        chainer_irnn.compat.apply()
        import chainer.gradient_check
        from chainer import testing
        from chainer.testing import doctest_helper

        def skipped(decorator):
            cls = decorator(type('T', (unittest.TestCase,), {}))
            return getattr(cls, '__unittest_skip__', False)
        print(skipped(testing.with_requires('numpy>=1.10')))
        print(skipped(testing.with_requires('numpy<1.0')))
        print(skipped(testing.without_requires('no-such-dist-xyz')))
        print(bool(doctest_helper.skipif_requires_satisfied('numpy>=1.10')))
        print(sys.modules['pkg_resources'])       # left as it was
    ''', CHAINER_IRNN_NO_AUTOLOAD='1',
                   PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(
                       os.path.abspath(__file__)))))   # the chainer_irnn under test
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['False', 'True', 'False', 'True', 'None']
