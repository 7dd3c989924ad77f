"""``train=``/``test=`` arguments of Chainer 1.x functions and links.

1.x passed the mode per call: ``F.dropout(x, ratio, train=False)``,
``bn(x, test=True)``.  Chainer 7 reads ``chainer.config.train``; these shims
run the call inside ``chainer.using_config('train', ...)``.
"""
import functools

import chainer

from chainer_irnn.compat.v1._registry import patch, warn_once

# functions of chainer.functions that took ``train=`` in 1.x
TRAIN_FUNCTIONS = ('dropout', 'zoneout', 'simplified_dropconnect', 'rrelu',
                   'gaussian')


def _with_train_kwarg(name, func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if 'train' not in kwargs:
            return func(*args, **kwargs)
        warn_once('train:' + name,
                  'F.{}(..., train=t) is Chainer 1.x API; call it inside '
                  '"with chainer.using_config(\'train\', t):"'.format(name))
        train = kwargs.pop('train')
        with chainer.using_config('train', bool(train)):
            return func(*args, **kwargs)
    wrapper._v1_original = func
    return wrapper


def install(chainer_module):
    import chainer.functions as F
    import chainer.links as L
    for name in TRAIN_FUNCTIONS:
        func = getattr(F, name, None)
        if func is not None:
            patch(F, name, _with_train_kwarg(name, func))

    original_forward = L.BatchNormalization.forward

    def forward(self, x, *args, **kwargs):
        if 'test' in kwargs or args:
            test = kwargs.pop('test') if 'test' in kwargs else args[0]
            args = args[1:]
            warn_once('bn:test', 'BatchNormalization(x, test=t) is Chainer 1.x '
                                 'API; call it inside "with chainer.using_config'
                                 '(\'train\', not t):"')
            with chainer.using_config('train', not test):
                return original_forward(self, x, *args, **kwargs)
        return original_forward(self, x, **kwargs)

    patch(L.BatchNormalization, 'forward', forward)
