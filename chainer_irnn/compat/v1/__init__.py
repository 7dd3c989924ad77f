"""Run Chainer 1.x code on Chainer 7.8.1: runtime shims.

:func:`install` puts the 1.x API back onto the live :mod:`chainer` module;
:func:`uninstall` takes it away again.  Each shim warns once with a
:class:`ChainerV1Warning` naming the modern replacement, which is what
``chainer-irnn migrate`` writes.

===========================================  =====================================
Chainer 1.x                                   Modern replacement
===========================================  =====================================
``chainer.FunctionSet(l1=F.Linear(...))``     ``chainer.Chain(l1=L.Linear(...))``
``FunctionSet.parameters/.gradients``         ``link.params()`` (``param.array/.grad``)
``F.Linear/EmbedID/Convolution2D/...``        ``L.Linear/EmbedID/Convolution2D/...``
``wscale=s`` (W ~ N(0, s*sqrt(1/fan_in)))     ``initialW=chainer.initializers.Normal(...)``
``bias=c``                                    ``initial_bias=c``
``Variable(x, volatile=True)``                ``with chainer.no_backprop_mode():``
``F.dropout(x, train=t)``                     ``with chainer.using_config('train', t):``
``bn(x, test=t)``                             ``with chainer.using_config('train', not t):``
``optimizer.setup(m.collect_parameters())``   ``optimizer.setup(m)``
``optimizer.zero_grads()``                    ``model.cleargrads()``
``optimizer.clip_grads(c)``                   ``optimizer_hooks.GradientClipping(c)``
``optimizer.weight_decay(d)``                 ``optimizer_hooks.WeightDecay(d)``
``optimizer.accumulate_grads(g)``             ``param.grad += g`` per parameter
``optimizer.compute_grads_norm()``            square root of the sum of ``(g*g).sum()``
``cuda.init(n)``                              ``cuda.get_device_from_id(n).use()``
``cuda.get_device(n)``                        ``cuda.get_device_from_id(n)``
``Variable(np.zeros(()))`` + float32 loss     ``np.zeros((), dtype=np.float32)``
``f.W.max()``, ``f.W[i] = row`` (1.x arrays)  ``f.W.array.max()``, ``f.W.array[i] = row``
``numpy.array(model.parameters)``             an object array built by hand
``cuda.to_cpu(f.W)``, ``to_cpu(variable)``    ``f.W.array``, ``to_cpu(variable.array)``
``F.ReLU()``, ``F.AveragePooling2D(8, 1)``    ``F.relu``,
                                              ``functools.partial(F.average_pooling_2d, ...)``
===========================================  =====================================
"""
from chainer_irnn.compat.v1._registry import ChainerV1Warning, reset_warnings

__all__ = ['ChainerV1Warning', 'install', 'installed', 'reset_warnings', 'uninstall']

_installed = False


def install():
    """Apply every 1.x shim to the live ``chainer`` module (idempotent).

    Returns the ``chainer`` module.
    """
    global _installed
    from chainer_irnn import compat
    chainer = compat.apply()
    if _installed:
        return chainer
    from chainer_irnn.compat.v1 import (
        cuda, dtypes, function_objects, function_set, functions, optimizer,
        train_flags, variable)
    for module in (function_set, functions, variable, optimizer, cuda,
                   train_flags, dtypes, function_objects):
        module.install(chainer)
    _installed = True
    return chainer


def uninstall():
    """Remove every 1.x shim, restoring Chainer 7's own attributes."""
    global _installed
    from chainer_irnn.compat.v1 import _registry
    _registry.restore_all()
    _installed = False


def installed():
    """Whether :func:`install` is in effect."""
    return _installed
