"""``chainer.FunctionSet``: the 1.x container of parameterised functions.

A :class:`FunctionSet` here is a :class:`chainer.Chain`: every keyword
argument (and every later attribute that is a link) becomes a child link, so
optimizers, ``to_gpu`` and serializers treat it as Chainer 7 does.  The 1.x
extras keep their 1.x meaning: :attr:`FunctionSet.parameters` and
:attr:`FunctionSet.gradients` are tuples of arrays ordered by child name and,
within a child, in the child's 1.x ``parameter_names`` order
(``W`` then ``b``; ``gamma`` then ``beta``).
"""
import chainer

from chainer_irnn.compat.v1._registry import patch, warn_once

# The order 1.x functions listed their parameters in (``parameter_names``).
_PARAM_ORDER = ('W', 'b', 'gamma', 'beta', 'avg_mean', 'avg_var')


def _param_names(link):
    names = [name for name, _ in link.namedparams(include_uninit=True)
             if name.count('/') == 1]
    names = [n[1:] for n in names]
    known = [n for n in _PARAM_ORDER if n in names]
    return known + sorted(n for n in names if n not in _PARAM_ORDER)


def ordered_params(link):
    """The parameters of ``link`` in 1.x order, as :class:`chainer.Parameter`."""
    if isinstance(link, FunctionSet):
        out = []
        for name in sorted(link._children):
            out.extend(ordered_params(getattr(link, name)))
        return out
    if isinstance(link, chainer.Chain):
        return [p for _, p in sorted(link.namedparams())]
    own = [link.__dict__[n] for n in _param_names(link)]
    if isinstance(link, chainer.ChainList):
        for child in link.children():
            own.extend(ordered_params(child))
    return own


class ArrayTuple(tuple):
    """The 1.x ``parameters``/``gradients`` tuple.

    ``numpy.array(model.parameters)`` (saving a model, e.g. libDNN) made an
    object array of the differently-shaped arrays on the NumPy of 2015;
    NumPy >= 1.24 refuses ("inhomogeneous shape").  ``__array__`` keeps the
    old result: an object array when the shapes differ, the stacked array
    when they agree.
    """

    def __array__(self, dtype=None, copy=None):
        import numpy
        arrays = [chainer.backends.cuda.to_cpu(a) for a in self]
        if len({getattr(a, 'shape', None) for a in arrays}) <= 1:
            return numpy.array(arrays, dtype=dtype)
        out = numpy.empty(len(arrays), dtype=object)
        for i, a in enumerate(arrays):
            out[i] = a
        return out


def ensure_grad(param):
    """Return ``param.grad``, allocated as zeros if Chainer 7 left it ``None``."""
    if param.array is not None and param.grad is None:
        param.grad = param.xp.zeros_like(param.array)
    return param.grad


class CollectedParameters(tuple):
    """What 1.x ``collect_parameters()`` returned: ``(parameters, gradients)``.

    ``optimizer.setup`` accepts it and sets up the originating link.
    """

    def __new__(cls, link):
        self = super().__new__(cls, (link.parameters, link.gradients))
        self.link = link
        return self


class FunctionSet(chainer.Chain):
    """Set of parameterised functions (Chainer 1.x), a :class:`chainer.Chain` here.

    Args:
        **functions: name -> link (``F.Linear(...)`` and friends); each is
            registered as a child link under that name.
    """

    def __init__(self, **functions):
        warn_once('FunctionSet',
                  'chainer.FunctionSet is Chainer 1.x API; use chainer.Chain '
                  '(register links in "with self.init_scope():" or '
                  'chainer.Chain(name=L.Linear(...), ...))')
        super().__init__()
        for name, func in functions.items():
            setattr(self, name, func)
        self.cleargrads()   # zeros on first use (see ensure_grad), not NaN

    def __setattr__(self, name, value):
        if isinstance(value, chainer.Link) and not name.startswith('_') \
                and getattr(self, '_within_init_scope', None) is False:
            with self.init_scope():
                super().__setattr__(name, value)
        else:
            super().__setattr__(name, value)

    def collect_parameters(self):
        """``(parameters, gradients)``; give it (or the set) to ``optimizer.setup``."""
        warn_once('collect_parameters',
                  'FunctionSet.collect_parameters() is Chainer 1.x API; '
                  'use optimizer.setup(model)')
        return CollectedParameters(self)

    @property
    def parameters(self):
        """Tuple of parameter arrays, children sorted by name (1.x order)."""
        return ArrayTuple(p.array for p in ordered_params(self))

    @parameters.setter
    def parameters(self, arrays):
        for p, a in zip(ordered_params(self), arrays):
            p.array = a

    @property
    def gradients(self):
        """Tuple of gradient arrays in :attr:`parameters` order (zeros if unset)."""
        return ArrayTuple(ensure_grad(p) for p in ordered_params(self))

    @gradients.setter
    def gradients(self, arrays):
        for p, g in zip(ordered_params(self), arrays):
            p.grad = g

    def copy_parameters_from(self, params):
        """Copy arrays into the parameters, in :attr:`parameters` order."""
        for p, src in zip(ordered_params(self), params):
            p.array[...] = chainer.backend.get_device_from_array(
                p.array).send(src)


def install(chainer_module):
    patch(chainer_module, 'FunctionSet', FunctionSet)
