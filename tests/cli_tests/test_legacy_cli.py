"""``chainer-irnn legacy run``: Chainer 1.x scripts, unmodified."""
import os
import subprocess
import sys

import pytest

from chainer_irnn.cli import main
from tests.cli_tests.legacy_helpers import LEGACY, ROOT, cli, env, losses

PY2_SCRIPT = '''import sys
import cPickle
import numpy as np
from chainer import FunctionSet, Variable, optimizers
import chainer.functions as F

np.random.seed(int(sys.argv[1]))
model = FunctionSet(l1=F.Linear(4, 8), l2=F.Linear(8, 3))
optimizer = optimizers.SGD(lr=0.1)
optimizer.setup(model.collect_parameters())
x = np.random.rand(12, 4).astype(np.float32)
t = np.random.randint(0, 3, 12).astype(np.int32)
n_batch = len(x) / 4
for epoch in xrange(3):
    for i in xrange(n_batch):
        optimizer.zero_grads()
        y = model.l2(F.relu(model.l1(Variable(x[i * 4:(i + 1) * 4]))))
        loss = F.softmax_cross_entropy(y, Variable(t[i * 4:(i + 1) * 4]))
        loss.backward()
        optimizer.update()
        print 'iteration %d loss %r' % (epoch * n_batch + i + 1, float(loss.data))
stats = dict(batches=n_batch)
for k, v in stats.iteritems():
    print k, v
try:
    cPickle.dumps(model)
except Exception, e:
    print 'pickle failed', e
'''


def test_irnn_mnist_v1_runs_on_tiny_synthetic_data():
    p = cli('legacy', 'run', os.path.join(LEGACY, 'irnn_mnist_v1.py'), '--n-train', '32',
            '--n-test', '16', '--seq-len', '16', '--seed', '1')
    assert p.returncode == 0, p.stderr
    its, test = losses(p.stdout)
    assert [i for i, _ in its] == [1, 2] and len(test) == 1
    assert 2.0 < its[0][1] < 2.6   # ~ln(10) at the identity start
    assert 'ChainerV1Warning' in p.stderr
    assert p.stderr.count('FunctionSet is Chainer 1.x API') == 1


@pytest.mark.slow
def test_irnn_mnist_v1_reads_an_npz(tmp_path):
    import numpy
    rng = numpy.random.RandomState(0)
    path = str(tmp_path / 'mnist.npz')
    numpy.savez(path, x_train=rng.randint(0, 256, (20, 784)).astype(numpy.uint8),
                y_train=rng.randint(0, 10, 20), x_test=rng.randint(0, 256, (8, 784)),
                y_test=rng.randint(0, 10, 8))
    p = cli('legacy', 'run', os.path.join(LEGACY, 'irnn_mnist_v1.py'), '--data', path,
            '--seq-len', '8')
    assert p.returncode == 0, p.stderr
    its, test = losses(p.stdout)
    assert len(its) == 2 and len(test) == 1


def test_irnn_float_v1_runs():
    p = cli('legacy', 'run', os.path.join(LEGACY, 'irnn_float_v1.py'), '--n-train', '32',
            '--n-test', '8', '--seq-len', '5')
    assert p.returncode == 0, p.stderr
    its, test = losses(p.stdout)
    assert len(its) == 2 and 0 <= test[0][1] <= 1


def test_python2_script_is_translated(tmp_path):
    script = tmp_path / 'old.py'
    script.write_text(PY2_SCRIPT)
    p = cli('legacy', 'run', str(script), '7', cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    its, _ = losses(p.stdout)
    assert [i for i, _ in its] == list(range(1, 10))   # 12 / 4 == 3 batches per epoch
    assert 'batches 3' in p.stdout
    assert 'pickle failed' not in p.stdout


def test_argv_name_and_exit_status(tmp_path):
    script = tmp_path / 's.py'
    script.write_text('import sys\nprint(__name__, sys.argv[1:], '
                      'sys.argv[0].endswith("s.py"))\nsys.exit(int(sys.argv[1]))\n')
    p = cli('legacy', 'run', str(script), '3', '--flag')
    assert p.stdout.strip() == "__main__ ['3', '--flag'] True"
    assert p.returncode == 3


def test_syntax_error_names_file_line_and_column(tmp_path, capsys):
    script = tmp_path / 'bad.py'
    script.write_text('x = 1\ny = (2 +\n')
    assert main(['legacy', 'run', str(script)]) == 2
    err = capsys.readouterr().err
    assert 'bad.py, line 2, column' in err and 'Traceback' not in err


def test_no_py2_refuses_and_points_to_migrate(tmp_path, capsys):
    script = tmp_path / 'old.py'
    script.write_text('print "hi"\n')
    assert main(['legacy', 'run', '--no-py2', str(script)]) == 2
    assert 'chainer-irnn migrate' in capsys.readouterr().err


def test_missing_script(capsys):
    assert main(['legacy', 'run', 'does-not-exist.py']) == 2
    assert 'no such script' in capsys.readouterr().err


@pytest.fixture(autouse=True)
def _no_shims_left():
    yield
    from chainer_irnn.compat import v1
    v1.uninstall()


def test_local_python2_modules_are_translated_on_import(tmp_path):
    # da.py: a print statement (a SyntaxError on Python 3); dataset.py:
    # compiles as Python 3 but is Python 2 (cPickle, xrange, iteritems)
    (tmp_path / 'da.py').write_text('def report(x):\n    print "loss", x / 2\n')
    (tmp_path / 'dataset.py').write_text(
        'import cPickle\n'
        'def load(d):\n'
        '    return [(k, v) for k, v in d.iteritems() for _ in xrange(1)]\n')
    pkg = tmp_path / 'util'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    (pkg / 'helpers.py').write_text('def half(n):\n    print "half"\n    return n / 2\n')
    (tmp_path / 'main.py').write_text(
        'import da, dataset\nfrom util.helpers import half\n'
        'da.report(7)\nprint(dataset.load({"a": 1}))\nprint(half(5))\n')
    p = cli('legacy', 'run', str(tmp_path / 'main.py'), cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ['loss 3', "[('a', 1)]", 'half', '2']
    assert not list(tmp_path.rglob('__pycache__/*.pyc'))   # nothing cached translated


def test_modules_outside_the_script_folder_are_not_touched(tmp_path):
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'lib' / 'other.py').write_text('import cPickle\n')
    (tmp_path / 'app').mkdir()
    (tmp_path / 'app' / 'main.py').write_text('import other\n')
    p = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'legacy', 'run',
                        str(tmp_path / 'app' / 'main.py')], capture_output=True, text=True,
                       env=env(PYTHONPATH=os.pathsep.join([ROOT, str(tmp_path / 'lib')])))
    assert p.returncode != 0 and "No module named 'cPickle'" in p.stderr


def test_a_library_folder_the_script_adds_to_sys_path_is_translated(tmp_path):
    # libDNN's examples: sys.path.append('..') to reach the repository's package
    (tmp_path / 'libdnn').mkdir()
    (tmp_path / 'libdnn' / '__init__.py').write_text('from .base import Base\n')
    (tmp_path / 'libdnn' / 'base.py').write_text(
        'from types import MethodType\nclass Base(object):\n'
        '    def set(self, f):\n        self.f = MethodType(f, self, Base)\n')
    (tmp_path / 'examples').mkdir()
    (tmp_path / 'examples' / 'ex.py').write_text(
        "import sys\nsys.path.append('..')\nfrom libdnn import Base\n"
        "b = Base()\nb.set(lambda self: 5)\nprint(b.f())\n")
    p = cli('legacy', 'run', 'ex.py', cwd=str(tmp_path / 'examples'))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == '5'


def test_installed_packages_under_the_script_folder_are_not_translated(tmp_path):
    # a virtual environment inside the project: its packages are not local code
    site = tmp_path / '.venv' / 'lib' / 'site-packages'
    site.mkdir(parents=True)
    (site / 'thirdparty.py').write_text('from cPickle import loads\n')
    (tmp_path / 'main.py').write_text(
        'import sys\nsys.path.insert(0, sys.argv[1])\nimport thirdparty\n')
    p = cli('legacy', 'run', str(tmp_path / 'main.py'), str(site))
    assert p.returncode != 0 and "No module named 'cPickle'" in p.stderr


def test_python2_lines_keep_their_numbers_in_warnings_and_tracebacks(tmp_path):
    # "/" makes the translation call _py2_div: it must not shift any line
    (tmp_path / 'helper.py').write_text(
        'import cPickle\n\ndef boom():\n    y = 3 / 2\n'
        '    raise ValueError("boom %d" % y)\n')
    (tmp_path / 'main.py').write_text(
        'import cPickle\nimport helper\nx = 7 / 2\nfor i in xrange(2):\n    print i\n'
        'import warnings\nwarnings.warn("look here")\nhelper.boom()\n')
    p = cli('legacy', 'run', 'main.py', cwd=str(tmp_path))
    assert p.returncode == 1 and p.stdout == '0\n1\n'
    assert 'main.py:7: UserWarning: look here\n  warnings.warn("look here")\n' in p.stderr
    assert 'main.py", line 8, in <module>\n    helper.boom()\n' in p.stderr, p.stderr
    assert 'helper.py", line 5, in boom\n    raise ValueError("boom %d" % y)\n' \
        in p.stderr, p.stderr
    assert p.stderr.rstrip().endswith('ValueError: boom 1')
    assert 'the Python 2 translation has' not in p.stderr
    # 2to3 adds a line for tuple parameters: said, not silent
    (tmp_path / 'tp.py').write_text('def f((a, b)):\n    return a\nprint f((1, 2))\n')
    p = cli('legacy', 'run', 'tp.py', cwd=str(tmp_path))
    assert p.returncode == 0 and p.stdout == '1\n'
    assert 'tp.py: the Python 2 translation has 4 lines for the file\'s 3' in p.stderr


def test_latin1_scripts_and_modules_run(tmp_path):
    # PEP 263: Python honours the declaration, so does legacy run
    (tmp_path / 'words.py').write_bytes(
        b'# -*- coding: latin-1 -*-\ndef word():\n    print "\xb5",\n    return u"na\xefve"\n')
    (tmp_path / 'old.py').write_bytes(
        b'#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-1 :\nimport words\n'
        b'print "caf\xe9", 7 / 2, words.word()\n')
    (tmp_path / 'new.py').write_bytes(
        b'# coding: cp1252\nprint("\x80 \xe9t\xe9")\n')
    p = cli('legacy', 'run', 'old.py', cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert p.stdout == '\xb5 caf\xe9 3 na\xefve\n'
    p = cli('legacy', 'run', 'new.py', cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert p.stdout == '\u20ac \xe9t\xe9\n'
