"""Function objects of Chainer 1.x: ``F.ReLU()``, ``F.AveragePooling2D(8, 1)``.

1.x exported the classes behind its functions in :mod:`chainer.functions`;
code built them once and called them later (``pool = F.AveragePooling2D(8,
1, 0, False, True)``, ``h = pool(h)``).  Chainer 7 keeps only the functions
there.  Each name below, where Chainer 7 lacks it, is a small class that
stores the 1.x constructor arguments (named as 1.x named them) and calls the
Chainer 7 function with those that still exist (``use_cudnn`` and
``cover_all`` of average pooling are gone: cuDNN is chosen by
``chainer.config.use_cudnn``; 1.x average pooling ignored ``cover_all``).
``migrate`` writes ``F.relu`` and
``functools.partial(F.average_pooling_2d, ksize=8, stride=1, pad=0)``.
"""
from chainer_irnn.compat.v1._registry import patch, warn_once

# 1.x class -> (Chainer 7 function, 1.x constructor arguments, arguments dropped)
FUNCTION_OBJECTS = {
    'ReLU': ('relu', ('use_cudnn',), ('use_cudnn',)),
    'Sigmoid': ('sigmoid', ('use_cudnn',), ('use_cudnn',)),
    'Tanh': ('tanh', ('use_cudnn',), ('use_cudnn',)),
    'Softmax': ('softmax', ('use_cudnn',), ('use_cudnn',)),
    'LeakyReLU': ('leaky_relu', ('slope',), ()),
    'AveragePooling2D': ('average_pooling_2d', ('ksize', 'stride', 'pad', 'cover_all',
                                                'use_cudnn'), ('cover_all', 'use_cudnn')),
    'MaxPooling2D': ('max_pooling_2d', ('ksize', 'stride', 'pad', 'cover_all', 'use_cudnn'),
                     ('use_cudnn',)),
}


def bound_arguments(name, args, kwargs):
    """The Chainer 7 keyword arguments for ``F.<name>(*args, **kwargs)`` of 1.x."""
    _, names, dropped = FUNCTION_OBJECTS[name]
    if len(args) > len(names):
        raise TypeError('F.{}() takes at most {} arguments'.format(name, len(names)))
    bound = dict(zip(names, args))
    bound.update(kwargs)
    return {k: v for k, v in bound.items() if k not in dropped}


def _function_object(name):
    import chainer.functions as F
    func_name = FUNCTION_OBJECTS[name][0]

    class FunctionObject(object):
        def __init__(self, *args, **kwargs):
            warn_once('F.' + name, 'chainer.functions.{0}(...) objects are Chainer 1.x '
                      'API; call chainer.functions.{1}(x, ...)'.format(name, func_name))
            self.kwargs = bound_arguments(name, args, kwargs)
            self.func = getattr(F, func_name)

        def __call__(self, x):
            return self.func(x, **self.kwargs)

    FunctionObject.__name__ = FunctionObject.__qualname__ = name
    return FunctionObject


def install(chainer_module):
    import chainer.functions as F
    for name in FUNCTION_OBJECTS:
        if not hasattr(F, name):
            patch(F, name, _function_object(name))
