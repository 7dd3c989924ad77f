"""``chainer-irnn migrate``: migrated scripts run without the 1.x shims and
print the losses the shimmed originals print from the same seed.

Tolerance: the training losses are compared with ``rtol=1e-5``.  Both
versions draw the same random numbers in the same order (1.x initialisers
and Chainer 7's are the same ``numpy.random.normal`` calls), so the forward
passes are the same float32 arithmetic; the one difference is the gradient
norm of ``clip_grads`` (1.x order, a float64 sum) against
``GradientClipping`` (Chainer 7 sums over a set of links whose order follows
string hashing), which moves the clipping factor by ~1e-16 relative and the
float32 parameters by at most an ulp per step — orders of magnitude below
1e-5 over these few steps, and far above what a wrong translation (another
initialisation, a missing clip, train/test mixed up) changes.
"""
import os

import numpy
import pytest

from chainer_irnn.cli import main
from tests.cli_tests.legacy_helpers import LEGACY, cli, losses, run_without_shims
from tests.cli_tests.test_legacy_cli import PY2_SCRIPT

CASES = [
    ('irnn_mnist_v1.py', ['--n-train', '48', '--n-test', '16', '--seq-len', '28',
                          '--lr', '0.01', '--seed', '3']),
    ('irnn_float_v1.py', ['--n-train', '48', '--n-test', '16', '--seq-len', '10',
                          '--lr', '0.05', '--seed', '4']),
]


@pytest.mark.slow
@pytest.mark.parametrize('script,args', CASES)
def test_migrated_legacy_script_prints_the_same_losses(tmp_path, script, args):
    original = os.path.join(LEGACY, script)
    migrated = str(tmp_path / script)
    p = cli('migrate', original, '-o', migrated)
    assert p.returncode == 0, p.stderr
    with open(migrated) as f:
        code = f.read().split('"""', 2)[2]   # the code after the docstring
    assert 'FunctionSet' not in code and 'volatile' not in code
    assert 'zero_grads' not in code and 'clip_grads' not in code
    assert '# MIGRATE' not in code
    shimmed = cli('legacy', 'run', original, *args)
    plain = run_without_shims(migrated, *args)
    assert shimmed.returncode == 0, shimmed.stderr
    assert plain.returncode == 0, plain.stderr
    assert 'ChainerV1Warning' not in plain.stderr
    its1, test1 = losses(shimmed.stdout)
    its2, test2 = losses(plain.stdout)
    assert len(its1) == len(its2) == 3
    numpy.testing.assert_allclose([v for _, v in its2], [v for _, v in its1], rtol=1e-5)
    numpy.testing.assert_allclose(test2, test1, rtol=1e-5)
    # the run is not trivially constant: training moves the loss
    assert len({v for _, v in its1}) == 3


@pytest.mark.slow
def test_python2_v1_script_migrates_and_matches(tmp_path):
    script = tmp_path / 'old.py'
    script.write_text(PY2_SCRIPT)
    new = str(tmp_path / 'new.py')
    p = cli('migrate', str(script), '-o', new)
    assert p.returncode == 0, p.stderr
    assert 'Python 2 syntax translated' in p.stderr
    shimmed = cli('legacy', 'run', str(script), '5', cwd=str(tmp_path))
    plain = run_without_shims(new, '5', cwd=str(tmp_path))
    assert plain.returncode == 0, plain.stderr
    its1, _ = losses(shimmed.stdout)
    its2, _ = losses(plain.stdout)
    assert len(its1) == 9
    numpy.testing.assert_allclose([v for _, v in its2], [v for _, v in its1], rtol=1e-5)
    assert 'batches 3' in plain.stdout


def test_stdout_diff_in_place_and_report(tmp_path, capsys):
    script = tmp_path / 'old.py'
    script.write_text('import chainer\nfrom chainer import FunctionSet\n'
                      'import chainer.functions as F\n'
                      'm = FunctionSet(l=F.Linear(2, 2))\nprint(x.volatile)\n')
    assert main(['migrate', str(script)]) == 0
    out, err = capsys.readouterr()
    assert 'chainer.Chain(l=L.Linear(2, 2))' in out
    assert 'old.py:5: MIGRATE:' in err and '1 place(s) left' in err
    assert main(['migrate', '--diff', str(script)]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith('---') and '+m = chainer.Chain(l=L.Linear(2, 2))' in out
    assert main(['migrate', '--strict', str(script), '-o', str(tmp_path / 'n.py')]) == 1
    assert main(['migrate', str(script), '-o', str(script)]) == 2
    assert 'use --in-place' in capsys.readouterr().err
    assert main(['migrate', '--in-place', str(script)]) == 0
    assert '# MIGRATE:' in script.read_text()


def test_unreadable_and_invalid_input(tmp_path, capsys):
    assert main(['migrate', str(tmp_path / 'none.py')]) == 2
    bad = tmp_path / 'bad.py'
    bad.write_text('def f(:\n')
    assert main(['migrate', str(bad)]) == 2
    err = capsys.readouterr().err
    assert 'bad.py' in err and 'line 1' in err and 'Traceback' not in err


@pytest.mark.slow
def test_migrate_a_folder(tmp_path):
    src = tmp_path / 'project'
    (src / 'util').mkdir(parents=True)
    (src / 'util' / '__init__.py').write_text('')
    (src / 'util' / 'io.py').write_text('import cPickle\ndef half(n):\n    return n / 2\n')
    (src / 'model.py').write_text(
        'from chainer import FunctionSet\nimport chainer.functions as F\n'
        'def make():\n    return FunctionSet(l=F.Linear(2, 3))\n')
    (src / 'train.py').write_text('import model\nfrom util.io import half\n'
                                  'net = model.make()\nprint half(7), len(net.parameters)\n'
                                  'def f(opts):\n    return opts.parameters\n')
    (src / 'notes.txt').write_text('kept\n')
    out = tmp_path / 'new'
    p = cli('migrate', str(src), '-o', str(out))
    assert p.returncode == 0, p.stderr
    assert (out / 'notes.txt').read_text() == 'kept\n'
    assert 'import pickle' in (out / 'util' / 'io.py').read_text()
    assert 'chainer.Chain(l=L.Linear(2, 3))' in (out / 'model.py').read_text()
    assert '4 file(s) migrated, 1 place(s) left for you' in p.stderr
    assert 'MIGRATE: "opts.parameters"' in p.stderr   # not known: flagged
    r = run_without_shims(str(out / 'train.py'), cwd=str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '3 2'     # Python 2's 7 / 2; W and b


def test_migrate_a_folder_needs_an_output(tmp_path, capsys):
    (tmp_path / 'a.py').write_text('x = 1\n')
    assert main(['migrate', str(tmp_path)]) == 2
    assert '-o NEW_FOLDER' in capsys.readouterr().err


def test_strict_and_stderr_for_what_is_left(tmp_path, capsys):
    script = tmp_path / 'old.py'
    script.write_text('import chainer.functions as F\ny = F.some_1x_function(x)\n')
    assert main(['migrate', str(script), '-o', str(tmp_path / 'new.py'), '--strict']) == 1
    err = capsys.readouterr().err
    assert 'old.py:2: MIGRATE: "F.some_1x_function" does not exist in Chainer 7' in err
    assert '# MIGRATE:' in (tmp_path / 'new.py').read_text()
    assert main(['migrate', str(script), '-o', str(tmp_path / 'new2.py')]) == 0
