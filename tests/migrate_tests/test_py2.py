"""``chainer_irnn.migrate.py2``: Python 2 -> 3 with Python 2 division."""
import pytest

from chainer_irnn.errors import UserError
from chainer_irnn.migrate import py2

PY2 = '''import cPickle
d = {'a': 7}
for k, v in d.iteritems():
    print k, v / 2, v / 2.0
for i in xrange(2):
    print i
try:
    1 / 0
except ZeroDivisionError, e:
    print 'caught'
'''


def run(code):
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, '<test>', 'exec'), {'__name__': '__main__'})
    return out.getvalue()


def test_detects_python2_only_when_not_python3():
    assert py2.is_python2(PY2)
    assert not py2.is_python2('print("x")\n')
    assert not py2.is_python2('def f(:\n')   # neither: not called Python 2


def test_translation_runs_with_python2_meaning():
    code, notes = py2.to_python3(PY2)
    assert 'import pickle' in code and 'xrange' not in code and 'iteritems' not in code
    assert run(code) == 'a 3 3.5\n0\n1\ncaught\n'
    assert any('division' in n for n in notes)


def test_division_of_numpy_integers_floors_and_floats_do_not():
    code, _ = py2.to_python3('import numpy\nprint numpy.arange(5) / 2, numpy.float32(3) / 2\n')
    assert run(code) == '[0 0 1 1 2] 1.5\n'


def test_future_division_keeps_true_division():
    code, _ = py2.to_python3('from __future__ import division\nprint 7 / 2\n')
    assert '_py2_div' not in code and run(code) == '3.5\n'


def test_augmented_division():
    code, _ = py2.to_python3('x = 7\nx /= 2\nprint x\n')
    assert run(code) == '3\n'


def test_neither_python2_nor_3_names_the_line():
    with pytest.raises(UserError, match=r'bad\.py, line 2'):
        py2.to_python3('x = 1\nprint x +\n', 'bad.py')
