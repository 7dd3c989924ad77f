"""A learning-rate schedule: warm-up, then exponential decay."""
import chainer
from chainer import training

from chainer_irnn.training.loss_guard import learning_rate_name


class LearningRateSchedule(training.Extension):
    """Scales the learning rate by a function of the iteration.

    The rate for update ``t + 1`` (``t`` updates done) is ``base * f(t)``
    with ``f(t) = min(1, (t + 1) / warmup) * decay ** (t / every)``: a
    linear warm-up over ``warmup`` updates (0 = none), then an exponential
    decay by ``decay`` every ``every`` updates (``decay`` 1 = none).  ``base``
    is the optimizer's rate when training starts or resumes, so that a
    rollback's lowered rate is kept, and ``f`` depends on the iteration only:
    a resumed run follows the same schedule as an uninterrupted one.
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 2   # after the update, before anything else

    def __init__(self, decay=1.0, every=1000, warmup=0):
        # the values are checked by RunConfig (lr_decay, lr_decay_every, warmup)
        self.decay, self.every, self.warmup = decay, every, warmup
        self._base = None

    def factor(self, t):
        warm = min(1.0, (t + 1.0) / self.warmup) if self.warmup else 1.0
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
