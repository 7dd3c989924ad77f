"""Optimizer hooks of chainer-irnn (Chainer's home: ``chainer.optimizer_hooks``)."""
import chainer

from chainer_irnn.training.loss_guard import DivergenceError


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
