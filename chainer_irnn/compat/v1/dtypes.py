"""Arithmetic of Variables of different float dtypes, as Chainer 1.x allowed.

Chainer 1.0-1.1 had no type check in ``Add``/``Sub``/``Mul``/``Div``: NumPy
promoted ``float32 + float64`` to float64.  Scripts relied on it, above all
the loss accumulator ``accum_loss = Variable(np.zeros(()))`` (float64) that
float32 losses are added to (the 2015 char-RNN and its many copies).
Chainer 7 refuses (``InvalidType: lhs.dtype == rhs.dtype``).  Here the
binary operators of :class:`chainer.Variable` cast the lower-precision float
operand up (``F.cast``, so gradients flow back in each operand's own dtype)
before Chainer 7's operator runs; the modern code writes the accumulator as
``np.zeros((), dtype=np.float32)``, which is what ``migrate`` does.
"""
import numpy

from chainer_irnn.compat.v1._registry import patch, warn_once

OPERATORS = ('__add__', '__radd__', '__sub__', '__rsub__', '__mul__', '__rmul__',
             '__truediv__', '__rtruediv__')


def _float_dtype(x):
    dtype = getattr(x, 'dtype', None)
    return dtype if dtype is not None and numpy.dtype(dtype).kind == 'f' else None


def _promoting(op):
    def method(self, other):
        import chainer
        import chainer.functions as F
        a, b = _float_dtype(self), _float_dtype(other)
        if a is not None and b is not None and a != b and \
                isinstance(other, (chainer.Variable, numpy.ndarray)):
            warn_once('float64', 'mixing float dtypes in Variable arithmetic ({} and {}) '
                      'is Chainer 1.x behaviour; create the arrays as float32 '
                      '(e.g. np.zeros((), dtype=np.float32))'.format(a, b))
            wide = numpy.promote_types(a, b)
            if a != wide:
                self = F.cast(self, wide)
            elif isinstance(other, chainer.Variable):
                other = F.cast(other, wide)
            else:
                other = other.astype(wide)
        return op(self, other)
    method.__name__ = op.__name__
    method._v1_original = op
    return method


def install(chainer_module):
    variable_cls = chainer_module.Variable
    for name in OPERATORS:
        patch(variable_cls, name, _promoting(getattr(variable_cls, name)))
