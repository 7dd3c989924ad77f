"""Parameterised functions of Chainer 1.x: ``F.Linear``, ``F.EmbedID``, ...

In 1.x these lived in :mod:`chainer.functions`, took ``wscale``/``bias``
arguments and exposed their parameters as plain arrays (``f.W``, ``f.gW``).
Here each is a subclass of the Chainer 7 link in :mod:`chainer.links`:

* ``wscale=s`` draws W from N(0, (s * sqrt(1 / fan_in))^2), the 1.x rule
  (fan_in = in_size, or in_channels * kh * kw for convolutions), with
  ``numpy.random`` exactly as 1.x did;
* ``bias=c`` (or ``initial_bias``) fills b with c; ``nobias`` drops it;
* ``f.W = array`` replaces the parameter's array (1.x attribute assignment)
  instead of unregistering the parameter, and ``f.gW``/``f.gb`` are the
  gradient arrays;
* ``f.W``/``f.b`` also behave as the ndarrays they were (``f.W.max()``,
  ``f.W[i] = row``, ``for row in f.W``, ``'%e' % f.b[0]``, arithmetic) while
  staying Chainer parameters
  (:class:`~chainer_irnn.compat.v1.parameter_array.V1Parameter`);
* ``f.parameters``/``f.gradients`` are the 1.x tuples;
* gradients start as zeros (1.x: uninitialised arrays that ``zero_grads``
  cleared; Chainer 7 fills them with NaN), so a 1.x loop that calls
  ``zero_grads()`` first behaves the same either way.
"""
import math

import chainer
import chainer.links as L
import numpy

from chainer_irnn.compat.v1._registry import patch, warn_once
from chainer_irnn.compat.v1.function_set import ArrayTuple, ensure_grad, ordered_params
from chainer_irnn.compat.v1.parameter_array import V1Parameter, as_v1


def _weight_init(initialW, wscale, fan_in):
    if initialW is not None:
        return initialW
    return chainer.initializers.Normal(wscale * math.sqrt(1. / fan_in))


class _V1Mixin(object):
    """1.x attribute behaviour for a link: array assignment, ``gW``, tuples."""

    def __setattr__(self, name, value):
        params = self.__dict__.get('_params', ())
        if name in params and (not isinstance(value, chainer.Variable) or
                               isinstance(value, V1Parameter)):
            param = self.__dict__[name]
            if value is param:      # f.W += x: the in-place operator already ran
                return
            if value is None:
                param.array = None
            else:
                param.array = param.xp.asarray(getattr(value, 'array', value))
            return
        super().__setattr__(name, value)

    def __getattr__(self, name):
        # gW, gb, ggamma, gbeta: the gradient arrays of 1.x.
        if name.startswith('g') and name[1:] in self.__dict__.get('_params', ()):
            return ensure_grad(self.__dict__[name[1:]])
        raise AttributeError(name)

    @property
    def parameters(self):
        return ArrayTuple(p.array for p in ordered_params(self))

    @property
    def gradients(self):
        return ArrayTuple(ensure_grad(p) for p in ordered_params(self))


def _warn(name, hint):
    warn_once('F.' + name, 'chainer.functions.{} is Chainer 1.x API; use '
              'chainer.links.{}{}'.format(name, name, hint), stacklevel=4)


class Linear(_V1Mixin, L.Linear):
    """``F.Linear(in_size, out_size, wscale=1, bias=0, nobias=False, initialW=None,
    initial_bias=None)``."""

    def __init__(self, in_size, out_size, wscale=1, bias=0, nobias=False,
                 initialW=None, initial_bias=None):
        _warn('Linear', ' (wscale=s -> initialW=chainer.initializers.Normal('
                        's * sqrt(1 / in_size)), bias=c -> initial_bias=c)')
        super().__init__(in_size, out_size, nobias=nobias,
                         initialW=_weight_init(initialW, wscale, in_size),
                         initial_bias=bias if initial_bias is None else initial_bias)
        self.cleargrads()
        as_v1(self)


class EmbedID(_V1Mixin, L.EmbedID):
    """``F.EmbedID(in_size, out_size)``: W ~ N(0, 1) as 1.x's ``randn``."""

    def __init__(self, in_size, out_size, initialW=None, ignore_label=None):
        _warn('EmbedID', '')
        super().__init__(in_size, out_size,
                         initialW=initialW if initialW is not None
                         else chainer.initializers.Normal(1.0),
                         ignore_label=ignore_label)
        self.cleargrads()
        as_v1(self)


class Convolution2D(_V1Mixin, L.Convolution2D):
    """``F.Convolution2D(in, out, ksize, stride=1, pad=0, wscale=1, bias=0, nobias=False,
    use_cudnn=True, ...)``."""

    def __init__(self, in_channels, out_channels, ksize, stride=1, pad=0,
                 wscale=1, bias=0, nobias=False, use_cudnn=True,
                 initialW=None, initial_bias=None):
        _warn('Convolution2D', ' (wscale -> initialW, bias -> initial_bias, '
                               'use_cudnn -> chainer.using_config("use_cudnn", ...))')
        kh, kw = (ksize, ksize) if numpy.isscalar(ksize) else ksize
        super().__init__(in_channels, out_channels, ksize, stride=stride,
                         pad=pad, nobias=nobias,
                         initialW=_weight_init(initialW, wscale,
                                               in_channels * kh * kw),
                         initial_bias=bias if initial_bias is None else initial_bias)
        self.cleargrads()
        as_v1(self)


class BatchNormalization(_V1Mixin, L.BatchNormalization):
    """``F.BatchNormalization(size, decay=0.9, eps=1e-5, dtype=numpy.float32)``."""

    def __init__(self, size, decay=0.9, eps=1e-5, dtype=numpy.float32):
        _warn('BatchNormalization', '')
        super().__init__(size, decay=decay, eps=eps, dtype=dtype)
        self.cleargrads()
        as_v1(self)


def _alias(link_class):
    """A 1.x ``F.<Name>`` that is Chainer 7's link with the same arguments."""
    name = link_class.__name__

    class Alias(_V1Mixin, link_class):
        def __init__(self, *args, **kwargs):
            _warn(name, '')
            super().__init__(*args, **kwargs)
            self.cleargrads()
            if link_class is not L.Parameter:   # F.Parameter's output is a Variable
                as_v1(self)
    Alias.__name__ = Alias.__qualname__ = name
    Alias.__module__ = __name__
    globals()[name] = Alias   # picklable, as 1.x models were
    Alias.__doc__ = '``F.{0}``: Chainer 7\'s ``L.{0}``.'.format(name)
    return Alias


def create_huffman_tree(counts):
    """``F.create_huffman_tree``: ``L.BinaryHierarchicalSoftmax.create_huffman_tree``."""
    warn_once('F.create_huffman_tree',
              'chainer.functions.create_huffman_tree is Chainer 1.x API; use '
              'chainer.links.BinaryHierarchicalSoftmax.create_huffman_tree')
    return L.BinaryHierarchicalSoftmax.create_huffman_tree(counts)


V1_FUNCTIONS = {
    'Linear': Linear,
    'EmbedID': EmbedID,
    'Convolution2D': Convolution2D,
    'BatchNormalization': BatchNormalization,
    'NegativeSampling': _alias(L.NegativeSampling),
    'BinaryHierarchicalSoftmax': _alias(L.BinaryHierarchicalSoftmax),
    'PReLU': _alias(L.PReLU),
    'Bilinear': _alias(L.Bilinear),
    'Parameter': _alias(L.Parameter),
}


def install(chainer_module):
    import chainer.functions as F
    for name, cls in V1_FUNCTIONS.items():
        patch(F, name, cls)
    patch(F, 'create_huffman_tree', create_huffman_tree)
