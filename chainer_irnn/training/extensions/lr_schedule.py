"""A learning-rate schedule: warm-up, then exponential or cosine decay."""
import math

import chainer
from chainer import training

from chainer_irnn.training.loss_guard import learning_rate_name


class LearningRateSchedule(training.Extension):
    """Scales the learning rate by a function of the iteration.

    The rate for update ``t + 1`` (``t`` updates done) is ``base * f(t)``
    with ``f(t) = min(1, (t + 1) / warmup) * decay ** (t / every)``: a
    linear warm-up over ``warmup`` updates (0 = none), then an exponential
    decay by ``decay`` every ``every`` updates (``decay`` 1 = none).  With
    ``anneal`` (updates, 0 = none), the decay is a half cosine instead,
    ``(1 + cos(pi * t / anneal)) / 2``, reaching 0 at update ``anneal``
    (cosine annealing without restarts, Loshchilov & Hutter 2017).  ``base``
    is the optimizer's rate when training starts or resumes, so that a
    rollback's lowered rate is kept, and ``f`` depends on the iteration only:
    a resumed run follows the same schedule as an uninterrupted one.
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 2   # after the update, before anything else

    def __init__(self, decay=1.0, every=1000, warmup=0, anneal=0):
        # the values are checked by RunConfig (lr_decay, lr_decay_every, warmup, lr_anneal)
        self.decay, self.every, self.warmup, self.anneal = decay, every, warmup, anneal
        self._base = None

    def factor(self, t):
        warm = min(1.0, (t + 1.0) / self.warmup) if self.warmup else 1.0
        if self.anneal:
            return warm * 0.5 * (1.0 + math.cos(math.pi * min(t, self.anneal) / self.anneal))
        return warm * self.decay ** (t / float(self.every))

    def _optimizer(self, trainer):
        opt = trainer.updater.get_optimizer('main')
        return getattr(opt, 'actual_optimizer', opt)

    def initialize(self, trainer):
        opt = self._optimizer(trainer)
        self._base = getattr(opt, learning_rate_name(opt))
        self(trainer)

    def __call__(self, trainer):
        opt = self._optimizer(trainer)
        lr = self._base * self.factor(trainer.updater.iteration)
        setattr(opt, learning_rate_name(opt), lr)
        chainer.reporter.report({'lr': lr})
