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


def test_legacy_runs_the_division_written_into_migrated_code():
    """One definition: py2_div (given to modules run by legacy run) is the
    function DIV_HELPER (the text written into migrate's output) defines."""
    import numpy
    code, _ = py2.to_python3('print 7 / 2\n')
    assert py2.DIV_HELPER.strip() in code
    assert py2.py2_div.__name__ == py2.DIV_HELPER_NAME
    assert py2.py2_div.__doc__ in py2.DIV_HELPER
    assert py2.py2_div(7, 2) == 3 and py2.py2_div(7.0, 2) == 3.5
    assert py2.py2_div(numpy.arange(3), 2).tolist() == [0, 0, 1]
    assert py2.py2_div(numpy.int64(7), numpy.float32(2)) == 3.5


def test_future_division_keeps_true_division():
    code, _ = py2.to_python3('from __future__ import division\nprint 7 / 2\n')
    assert '_py2_div' not in code and run(code) == '3.5\n'


def test_augmented_division():
    code, _ = py2.to_python3('x = 7\nx /= 2\nprint x\n')
    assert run(code) == '3\n'


def test_neither_python2_nor_3_names_the_line():
    with pytest.raises(UserError, match=r'bad\.py, line 2'):
        py2.to_python3('x = 1\nprint x +\n', 'bad.py')


# Python 2 that also compiles as Python 3 (dataset.py of three corpus projects)
PY2_VALID_PY3 = '''import cPickle as pickle
import numpy as np
d = {'a': 7}
print ('%d items' % len(d))
for k, v in d.iteritems():
    print(k, v / 2)
fp = file('out.txt', 'w')
model = pickle.load(open('model'))
pickle.dump(model, open('model', 'w'))
'''


def test_python2_detected_by_idioms_when_it_compiles_as_python3():
    idioms = [what for _, what in py2.python2_idioms(PY2_VALID_PY3)]
    assert idioms == ['import cPickle', 'print (...)', '.iteritems()', 'file']
    assert py2.is_python2(PY2_VALID_PY3)
    for source in ('import xrange_helper\nprint(xrange(3))\n', 'x = raw_input()\n',
                   'if d.has_key(1): pass\n', 'from StringIO import StringIO\n'):
        assert py2.is_python2(source), source


def test_python3_code_is_not_python2():
    for source in ('import pickle\nprint ("x")\n',        # print (x) alone is valid 3
                   'def file(x):\n    return x\nfile(1)\n',   # its own file()
                   'xrange = range\nfor i in xrange(2): pass\n',
                   'import inspect\nsig = inspect.signature(f).parameters\n'):
        assert not py2.is_python2(source), source


def test_file_builtin_and_text_mode_pickle_files():
    code, notes = py2.to_python3(PY2_VALID_PY3)
    assert "fp = open('out.txt', 'w')" in code
    assert "pickle.load(open('model', 'rb'))" in code
    assert "pickle.dump(model, open('model', 'wb'))" in code
    assert 'print((k, _py2_div(v, 2)))' in code
    assert any('file()' in n for n in notes)


def test_method_type_with_a_class_and_time_clock():
    # libDNN's nnbase.py and dsanno/chainer-cifar's train.py
    source = ('import time\nfrom types import MethodType\n'
              'class A(object):\n    pass\n'
              'a = A()\na.f = MethodType(lambda self: 7, a, A)\n'
              'start = time.clock()\nprint(a.f())\n')
    assert [w for _, w in py2.python2_idioms(source)] == ['MethodType(f, obj, cls)',
                                                          'time.clock']
    code, _ = py2.to_python3(source)
    assert 'MethodType(lambda self: 7, a)' in code and 'time.perf_counter()' in code
    assert run(code) == '7\n'


def test_python2_3_compatible_idioms_are_not_python2():
    for source in ('import six\nfor k, v in six.iteritems(d): pass\n',
                   'x = d.iteritems(1)\n',          # somebody's own method
                   'try:\n    xrange\nexcept NameError:\n    xrange = range\n'):
        assert not py2.is_python2(source), source
