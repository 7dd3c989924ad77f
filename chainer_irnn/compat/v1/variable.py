"""``Variable(x, volatile=...)`` and ``Variable.volatile`` of Chainer 1.x.

A volatile variable (1.x) made every function applied to it build no graph,
and its outputs were volatile too.  Here ``volatile`` is stored on the
variable and :meth:`chainer.FunctionNode.apply` runs under
:func:`chainer.no_backprop_mode` whenever an input is volatile, marking its
outputs volatile: the 1.x propagation.  1.x accepted ``True``/``False``
(1.0-1.4) and the flags ``'on'``/``'off'``/``'auto'`` (1.5+); ``'auto'``
(and ``None``) count as not volatile here, which is how they behaved with
non-volatile inputs.
"""
import chainer
from chainer import function_node

from chainer_irnn.compat.v1._registry import patch, warn_once

_NOT_GIVEN = object()


def as_bool(flag):
    """1.x volatile flag -> bool (``'on'``/``True`` are volatile)."""
    if isinstance(flag, str):
        lowered = flag.lower()
        if lowered not in ('on', 'off', 'auto'):
            raise ValueError('volatile must be on, off or auto, not %r' % flag)
        return lowered == 'on'
    if flag is None:
        return False
    return bool(flag)


def install(chainer_module):
    variable_cls = chainer_module.Variable
    original_init = variable_cls.__init__
    original_apply = function_node.FunctionNode.apply

    def __init__(self, data=None, *args, **kwargs):
        volatile = kwargs.pop('volatile', _NOT_GIVEN)
        if args:   # 1.x: Variable(data, volatile, name)
            volatile, args = args[0], args[1:]
            if args:
                kwargs.setdefault('name', args[0])
        original_init(self, data, **kwargs)
        if volatile is not _NOT_GIVEN:
            warn_once('volatile',
                      'Variable(..., volatile=...) is Chainer 1.x API; use '
                      '"with chainer.no_backprop_mode():" (volatile on) or '
                      '"with chainer.using_config(\'enable_backprop\', flag):"')
            self._v1_volatile = as_bool(volatile)

    def _get_volatile(self):
        warn_once('volatile-attr',
                  'Variable.volatile is Chainer 1.x API; read '
                  'chainer.config.enable_backprop instead')
        return getattr(self, '_v1_volatile', False)

    def _set_volatile(self, flag):
        self._v1_volatile = as_bool(flag)

    def apply(self, inputs):
        if any(getattr(x, '_v1_volatile', False) for x in inputs):
            with chainer.no_backprop_mode():
                outputs = original_apply(self, inputs)
            for y in outputs:
                y._v1_volatile = True
            return outputs
        return original_apply(self, inputs)

    patch(variable_cls, '__init__', __init__)
    patch(variable_cls, 'volatile', property(_get_volatile, _set_volatile))
    patch(function_node.FunctionNode, 'apply', apply)
