"""Divergence: its error, the extension that watches the loss, and the
learning-rate scaling applied when a run rolls back."""
import math

import chainer
from chainer import training

from chainer_irnn.errors import UserError


class DivergenceError(UserError):
    """Training diverged at ``iteration``: NaN/Inf, or a loss relapse.

    ``last_good`` is the last iteration known to precede the divergence: a
    snapshot of it or earlier is safe to roll back to.  ``what`` says what
    was seen; ``advice`` (set by whoever knows the run's settings) says
    what to do.
    """

    def __init__(self, iteration, what, last_good=None, advice=''):
        self.iteration = iteration
        self.what = what
        self.last_good = iteration - 1 if last_good is None else last_good
        self.advice = advice
        super().__init__('{} at iteration {}.{}'.format(
            what, iteration, ' ' + advice if advice else ''))

    def with_advice(self, advice):
        """The same error with ``advice`` appended to its message."""
        return DivergenceError(self.iteration, self.what, self.last_good, advice)


class LossGuard(training.Extension):
    """Stops training where the loss diverges.

    Two kinds of divergence raise :class:`DivergenceError` at the iteration
    they are seen, before logs and snapshots are written for it:

    * a loss that is NaN or infinite;
    * a *relapse* (with ``relapse`` > 0): the training loss's moving average
      (over about ``window`` iterations) climbs back more than ``relapse``
      of the way from its lowest value to its starting value (the mean of
      the first ``window`` losses).  A ReLU recurrence that blows up often
      falls back to chance level without any NaN: measured on the ``irnn``
      preset, the loss jumped from 0.8 to 2.3 (chance) within 375
      iterations of epoch 12 and never recovered.  The guard arms only once
      the average has come down to ``arm`` times its start (half, by
      default): a run that has not learnt much yet, or a flat loss, never
      trips it.  (At 0.9, the noise of a small data set's loss — GunPoint's
      went from 0.56 to 0.49 and back to 0.54 — stopped runs that were
      learning.)  The climb is measured towards the start or ``floor`` (the
      chance-level loss, :func:`chance_loss`), whichever is higher: a small
      set learnt within the first ``window`` iterations starts low
      (UnitTest's 18 series: 0.258 where chance is 0.693), and its training
      loss wandering from 0.08 to 0.21, nowhere near chance, was taken for a
      relapse.  (The arming still compares with the start, so the floor
      never makes the guard trip where it did not.)  Snapshots within
      ``2 * window`` iterations of the alarm may already hold the relapse,
      so ``last_good`` is set before them.
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 1   # before snapshots and logs

    def __init__(self, key='main/loss', relapse=0.0, window=100, arm=0.5, floor=0.0):
        self.key = key
        self.relapse = relapse
        self.floor = floor
        self.window = window
        self.arm = arm
        self._count = 0
        self._start = 0.0     # mean of the first `window` losses
        self._avg = 0.0       # exponential moving average
        self._best = math.inf
        #: the first and the latest training loss seen (kept in snapshots):
        #: :func:`exploded` judges how a run ended by them
        self.first = math.nan
        self.last = math.nan

    def __call__(self, trainer):
        value = trainer.observation.get(self.key)
        if value is None:
            return
        value = float(chainer.backend.CpuDevice().send(
            value.array if isinstance(value, chainer.Variable) else value))
        iteration = trainer.updater.iteration
        self.last = value
        if math.isnan(self.first) and math.isfinite(value):
            self.first = value
        if not math.isfinite(value):
            raise DivergenceError(iteration, 'loss is {}'.format(value))
        if self.relapse > 0:
            self._watch(value, iteration)

    def _watch(self, value, iteration):
        self._count += 1
        if self._count <= self.window:
            self._start += (value - self._start) / self._count
            self._avg = self._start
            return
        beta = 1.0 - 1.0 / self.window
        self._avg = beta * self._avg + (1.0 - beta) * value
        armed = self._best < self.arm * self._start
        top = max(self._start, self.floor)
        if armed and self._avg > self._best + self.relapse * (top - self._best):
            raise DivergenceError(
                iteration, 'the training loss relapsed (moving average {:.4g}, lowest {:.4g}, '
                '{} {:.4g}; loss guard {:g})'.format(
                    self._avg, self._best, 'start' if top == self._start else 'chance level',
                    top, self.relapse),
                last_good=iteration - 2 * self.window)
        self._best = min(self._best, self._avg)

    def serialize(self, serializer):
        for name in ('count', 'start', 'avg', 'best'):
            attr = '_' + name
            try:
                setattr(self, attr, type(getattr(self, attr))(
                    serializer(name, getattr(self, attr))))
            except KeyError:   # a snapshot written before the guard kept state
                pass
        for name in ('first', 'last'):
            try:
                setattr(self, name, float(serializer(name, getattr(self, name))))
            except KeyError:
                pass


#: a run whose final training loss is this many times its start (or the
#: chance-level loss, if larger) has exploded
EXPLODED = 10.0


def chance_loss(n_class):
    """The cross-entropy of guessing among ``n_class`` classes: ``log(n_class)``
    (of 2 classes for an unknown or smaller number)."""
    return math.log(max(int(n_class or 2), 2))


def loss_scale(guard, n_class):
    """What an exploded loss is measured against: the run's first training
    loss or chance level, whichever is larger."""
    return max(guard.first if math.isfinite(guard.first) else 0.0, chance_loss(n_class))


def exploded(guard, n_class=2):
    """Why the run watched by ``guard`` (a :class:`LossGuard`) ended
    diverged, in words, or None: its last training loss is not finite, or
    more than :data:`EXPLODED` times its first one (or than chance level,
    ``log(n_class)``, if that is larger)."""
    if guard is None or math.isnan(guard.last):
        return None
    if not math.isfinite(guard.last):
        return 'the final training loss is {}'.format(guard.last)
    if guard.last > EXPLODED * loss_scale(guard, n_class):
        return 'the final training loss {:.4g} exploded (over {:g} times its start {:.4g} ' \
               'or chance level {:.4g})'.format(guard.last, EXPLODED, guard.first,
                                                chance_loss(n_class))
    return None


def learning_rate_name(optimizer):
    """The hyperparameter that plays the learning rate (``alpha`` for Adam)."""
    return 'alpha' if isinstance(optimizer, chainer.optimizers.Adam) else 'lr'


def scale_learning_rate(optimizer, factor):
    """Multiplies the optimizer's learning rate by ``factor``; returns the new one."""
    name = learning_rate_name(optimizer)
    setattr(optimizer, name, getattr(optimizer, name) * factor)
    return getattr(optimizer, name)
