"""Optimizer hooks of chainer-irnn (Chainer's home: ``chainer.optimizer_hooks``)."""
import chainer
import numpy
from chainer.optimizer_hooks.gradient_clipping import _sum_sqnorm_grads

from chainer_irnn.training.loss_guard import DivergenceError


class GradientClipping(object):
    """Optimizer hook: scales all gradients to an L2 norm of at most ``threshold``.

    ``chainer.optimizer_hooks.GradientClipping`` (the same name, so that
    ``optimizer.remove_hook('GradientClipping')`` still finds it) to the
    bit, except that an all-zero gradient (dead ReLU units) is left as it is
    without computing ``threshold / 0``, which Chainer's hook does and NumPy
    warns about ("divide by zero encountered in scalar divide").
    """

    name = 'GradientClipping'
    timing = 'pre'

    def __init__(self, threshold):
        self.threshold = threshold

    def __call__(self, opt):
        sqnorm, device = _sum_sqnorm_grads(list(opt.target.params(False)))
        if device is None:      # parameters on several devices: a Python float
            device = chainer.backend.CpuDevice()
        with chainer.using_device(device):
            norm = device.xp.sqrt(sqnorm)
            if device.xp is numpy:
                if norm == 0:
                    return
                rate = self.threshold / norm
                if rate >= 1:
                    return
            else:       # no synchronisation: a zero norm gives rate inf, clipped to 1
                rate = (self.threshold / norm).clip(None, 1)
        for param in opt.target.params(False):
            grad = param.grad
            with chainer.using_device(param.device):
                grad *= rate


class FiniteGradients(object):
    """Optimizer hook: stop before an update would write NaN/Inf weights."""

    name = 'FiniteGradients'
    call_for_each_param = False
    timing = 'pre'

    def __call__(self, optimizer):
        xp = None
        for name, param in optimizer.target.namedparams():
            g = param.grad
            if g is None:
                continue
            xp = xp or chainer.backend.get_array_module(g)
            if not bool(xp.isfinite(g).all()):
                raise DivergenceError(optimizer.t + 1,
                                      'non-finite gradient of {}'.format(name))
