"""The parameters of 1.x functions (``F.Linear(...).W``) as the arrays they were.

In Chainer 1.0-1.4 ``f.W``/``f.b`` of a parameterised function were plain
ndarrays: scripts read them (``model.conv1.W.max()``, ``'%e' % x for x in
row`` over the rows of ``f.W``), wrote into them (``f.W[i] = row``) and did
arithmetic with them.  Here they stay :class:`chainer.Parameter` objects (the
optimizer, ``to_gpu``, serializers and the link's own forward pass use them
as Chainer 7 does) of the class :class:`V1Parameter`, which adds the ndarray
behaviour on top: indexing and item assignment, iteration, ``len``,
conversion (``numpy.asarray(f.W)``, ``float(f.b[0])``), formatting, printing,
arithmetic with arrays and numbers (results are arrays, as in 1.x), in-place
arithmetic (on the parameter's array), comparisons, and every other ndarray
attribute (``max``, ``mean``, ``copy``, ``fill``, ``astype``, ``tolist``,
``T``, ``reshape``...) read from the array.  ``==`` and hashing stay
Chainer's (parameters live in sets).  Links created with ``L.*`` (Chainer
1.5+ code) are not affected.  ``migrate`` writes ``f.W.array`` instead.
"""
import operator

import chainer


def _arr(x):
    return x.array if isinstance(x, V1Parameter) else x


class V1Parameter(chainer.Parameter):
    """A :class:`chainer.Parameter` that also behaves as its ndarray (1.x)."""

    # every other attribute: the array's (W.max(), W.mean(), W.fill(0), ...)
    def __getattr__(self, name):
        if name.startswith('__') or name.startswith('_'):
            raise AttributeError(name)
        array = chainer.Parameter.array.fget(self)
        if array is None:
            raise AttributeError(name)
        return getattr(array, name)

    def __getitem__(self, index):
        return self.array[_arr(index)]

    def __setitem__(self, index, value):
        self.array[_arr(index)] = _arr(value)

    def __iter__(self):
        return iter(self.array)

    def __array__(self, dtype=None, copy=None):
        import numpy
        a = chainer.backends.cuda.to_cpu(self.array)
        return numpy.asarray(a, dtype=dtype) if copy is not True else \
            numpy.array(a, dtype=dtype, copy=True)

    def __float__(self):
        return float(self.array)

    def __int__(self):
        return int(self.array)

    def __index__(self):
        return operator.index(self.array)

    def __format__(self, spec):
        return format(self.array, spec)

    def __str__(self):
        return str(self.array)

    def __repr__(self):
        return repr(self.array)

    @property
    def T(self):
        return self.array.T

    def reshape(self, *shape, **kwargs):
        return self.array.reshape(*shape, **kwargs)

    def transpose(self, *axes):
        return self.array.transpose(*axes)

    def mean(self, *args, **kwargs):
        return self.array.mean(*args, **kwargs)

    def item(self, *args):
        return self.array.item(*args)

    def __reduce__(self):
        func, args = super().__reduce__()
        return _recover_v1_parameter, (func, args)

    __hash__ = chainer.Parameter.__hash__
    __eq__ = chainer.Parameter.__eq__
    __ne__ = chainer.Parameter.__ne__


def _binary(name):
    op = getattr(operator, name)

    def method(self, other):
        if isinstance(other, chainer.Variable) and not isinstance(other, V1Parameter):
            return NotImplemented       # ndarray op Variable: the Variable's operator
        return op(self.array, _arr(other))

    def reflected(self, other):
        if isinstance(other, chainer.Variable) and not isinstance(other, V1Parameter):
            return NotImplemented
        return op(_arr(other), self.array)

    def inplace(self, other):
        getattr(operator, 'i' + name)(self.array, _arr(other))
        return self

    method.__name__ = '__{}__'.format(name)
    return method, reflected, inplace


for _name in ('add', 'sub', 'mul', 'truediv', 'floordiv', 'mod', 'pow', 'matmul'):
    _m, _r, _i = _binary(_name)
    setattr(V1Parameter, '__{}__'.format(_name), _m)
    setattr(V1Parameter, '__r{}__'.format(_name), _r)
    setattr(V1Parameter, '__i{}__'.format(_name), _i)

for _name in ('lt', 'le', 'gt', 'ge'):
    setattr(V1Parameter, '__{}__'.format(_name),
            (lambda op: lambda self, other: op(self.array, _arr(other)))(
                getattr(operator, _name)))

for _name in ('neg', 'pos', 'abs'):
    setattr(V1Parameter, '__{}__'.format(_name),
            (lambda op: lambda self: op(self.array))(getattr(operator, _name)))


def _recover_v1_parameter(func, args):
    param = func(*args)
    param.__class__ = V1Parameter
    return param


def as_v1(link):
    """Give ``link``'s own parameters the 1.x array behaviour (in place)."""
    for name in link._params:
        param = link.__dict__[name]
        if type(param) is chainer.Parameter:
            param.__class__ = V1Parameter
    return link
