"""Optimizer methods of Chainer 1.x.

``setup`` accepts a ``FunctionSet`` (a Chain here) or what
``collect_parameters()`` returned.  ``zero_grads`` fills every gradient with
zeros (1.x accumulated gradients in backprop, as Chainer 7 does when a
gradient exists; ``cleargrads`` is the modern equivalent).  ``clip_grads``,
``weight_decay``, ``accumulate_grads`` and ``compute_grads_norm`` act on the
gradients at the moment they are called, as in 1.x; the parameter order is
1.x's (see :func:`chainer_irnn.compat.v1.function_set.ordered_params`).
"""
import math

import chainer

from chainer_irnn.compat.v1._registry import patch, warn_once
from chainer_irnn.compat.v1.function_set import (
    CollectedParameters, ensure_grad, ordered_params)


def _pairs(optimizer):
    params = ordered_params(optimizer.target)
    return [(p, ensure_grad(p)) for p in params if p.array is not None]


def zero_grads(self):
    """Fill every gradient with zeros (1.x); modern: ``model.cleargrads()``."""
    warn_once('zero_grads', 'optimizer.zero_grads() is Chainer 1.x API; use '
                            'model.cleargrads() (or optimizer.target.cleargrads())')
    for _, g in _pairs(self):
        g.fill(0)


def compute_grads_norm(self):
    """L2 norm of all gradients, as a Python float (1.x)."""
    warn_once('compute_grads_norm',
              'optimizer.compute_grads_norm() is Chainer 1.x API; compute '
              'sqrt(sum((p.grad ** 2).sum() for p in model.params()))')
    return _grads_norm(self)


def _grads_norm(self):
    sqnorm = 0.
    for _, g in _pairs(self):
        flat = g.ravel()
        sqnorm += float(flat.dot(flat))
    return math.sqrt(sqnorm)


def clip_grads(self, maxnorm):
    """Scale all gradients so their L2 norm is at most ``maxnorm`` (1.x)."""
    warn_once('clip_grads', 'optimizer.clip_grads(c) is Chainer 1.x API; use '
                            'optimizer.add_hook(chainer.optimizer_hooks.'
                            'GradientClipping(c))')
    norm = _grads_norm(self)
    if norm > maxnorm:
        ratio = maxnorm / norm
        for _, g in _pairs(self):
            g *= ratio


def weight_decay(self, decay):
    """Add ``decay * param`` to every gradient (1.x, from 1.1 on)."""
    warn_once('weight_decay', 'optimizer.weight_decay(d) is Chainer 1.x API; '
                              'use optimizer.add_hook(chainer.optimizer_hooks.'
                              'WeightDecay(d))')
    for p, g in _pairs(self):
        g += decay * p.array


def accumulate_grads(self, grads):
    """Add the given gradient arrays to the gradients, in parameter order (1.x)."""
    warn_once('accumulate_grads',
              'optimizer.accumulate_grads(grads) is Chainer 1.x API; use '
              'model.addgrads(other_model)')
    for (p, g), src in zip(_pairs(self), grads):
        g += chainer.backend.get_device_from_array(g).send(src)


def _accepting_collected(original_setup):
    def setup(self, link):
        if isinstance(link, CollectedParameters):
            link = link.link
        elif isinstance(link, tuple):
            raise TypeError('optimizer.setup() takes the model (a Link) or '
                            'model.collect_parameters(), not a tuple of arrays')
        return original_setup(self, link)
    setup.__doc__ = original_setup.__doc__
    return setup


def install(chainer_module):
    optimizer_cls = chainer_module.Optimizer
    for cls in (optimizer_cls, chainer_module.GradientMethod):
        patch(cls, 'setup', _accepting_collected(cls.__dict__['setup']))
    for func in (zero_grads, compute_grads_norm, clip_grads, weight_decay,
                 accumulate_grads):
        patch(optimizer_cls, func.__name__, func)
