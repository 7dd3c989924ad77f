"""Trainer extensions and optimizer hooks of chainer-irnn."""
import glob
import math
import os
import re
import sys
import time
import zlib

import numpy

import chainer
from chainer import training

from chainer_irnn.errors import UserError

SNAPSHOT_PATTERN = 'snapshot_iter_{.updater.iteration}'
_SNAPSHOT_RE = re.compile(r'^snapshot_iter_(\d+)$')


class DivergenceError(UserError):
    """Training diverged at ``iteration``: NaN/Inf, or a loss relapse.

    ``last_good`` is the last iteration known to precede the divergence: a
    snapshot of it or earlier is safe to roll back to.
    """

    def __init__(self, iteration, what, last_good=None):
        self.iteration = iteration
        self.last_good = iteration - 1 if last_good is None else last_good
        super().__init__(
            '{} at iteration {}. The last good snapshot in the output directory '
            'is kept. Remedies: --on-nan rollback, lower --lr, lower --clip, lower '
            '--identity-scale (e.g. 0.9), or --optimizer adam.'.format(what, iteration))


class ChainedShuffleOrderSampler(object):
    """A shuffle order sampler whose next order depends only on the last one.

    Chainer's :class:`~chainer.iterators.ShuffleOrderSampler` draws from a
    random state that snapshots do not store, so a resumed run would shuffle
    later epochs differently from an uninterrupted one.  Here each epoch's
    order is seeded by ``seed`` and the previous order (which the iterator
    does store), so resuming reproduces the uninterrupted run exactly.
    """

    def __init__(self, seed=0):
        self.seed = int(seed)

    def __call__(self, current_order, current_position):
        digest = zlib.crc32(numpy.ascontiguousarray(current_order, dtype=numpy.int64).tobytes())
        rng = numpy.random.RandomState((digest + self.seed) % (2 ** 32))
        return rng.permutation(len(current_order))


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
      the average has come down by 10% of its start, so a run that has not
      learnt yet (or a flat loss) never trips it.  Snapshots within
      ``2 * window`` iterations of the alarm may already hold the relapse,
      so ``last_good`` is set before them.
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 1   # before snapshots and logs

    def __init__(self, key='main/loss', relapse=0.0, window=100):
        self.key = key
        self.relapse = relapse
        self.window = window
        self._count = 0
        self._start = 0.0     # mean of the first `window` losses
        self._avg = 0.0       # exponential moving average
        self._best = math.inf

    def __call__(self, trainer):
        value = trainer.observation.get(self.key)
        if value is None:
            return
        value = float(chainer.backend.CpuDevice().send(
            value.array if isinstance(value, chainer.Variable) else value))
        iteration = trainer.updater.iteration
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
        armed = self._best < 0.9 * self._start
        if armed and self._avg > self._best + self.relapse * (self._start - self._best):
            raise DivergenceError(
                iteration, 'the training loss relapsed (moving average {:.4g}, lowest {:.4g}, '
                'start {:.4g}; --loss-guard {:g})'.format(self._avg, self._best, self._start,
                                                          self.relapse),
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
        if not 0 < decay <= 1:
            raise UserError('learning-rate decay must be in (0, 1], not {}'.format(decay))
        if every < 1 or warmup < 0:
            raise UserError('learning-rate decay interval must be >= 1 and warm-up >= 0')
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


class AnyTrigger(object):
    """Fires when any of the given triggers (tuples or trigger objects) fires."""

    def __init__(self, *triggers):
        self.triggers = [training.trigger.get_trigger(t) for t in triggers]

    def __call__(self, trainer):
        return any([t(trainer) for t in self.triggers])

    def serialize(self, serializer):
        for i, t in enumerate(self.triggers):
            if hasattr(t, 'serialize'):
                t.serialize(serializer['t{}'.format(i)])


class ReportStream(object):
    """Standard output for ``PrintReport``, without its erase sequence off a terminal.

    ``PrintReport`` writes ``ESC [ J`` before each line to erase a progress
    bar below the cursor; in a file or a pipe that is noise.  The stream is
    looked up at each write, so redirections made later (pytest's capture
    among them) are followed.
    """

    ERASE = '\033[J'

    def write(self, text):
        out = sys.stdout
        if text == self.ERASE and not (hasattr(out, 'isatty') and out.isatty()):
            return
        out.write(text)

    def flush(self):
        sys.stdout.flush()


def find_snapshots(out):
    """Complete snapshots in ``out``, oldest first, as ``(iteration, path)``."""
    found = []
    for path in glob.glob(os.path.join(out, 'snapshot_iter_*')):
        m = _SNAPSHOT_RE.match(os.path.basename(path))
        if m and os.path.isfile(path):
            found.append((int(m.group(1)), path))
    return sorted(found)


class LogPlot(training.Extension):
    """PNG plots of ``LogReport``'s log: one point per log line.

    Chainer's ``PlotReport`` renders its figure at each of its triggers
    (about 0.2 s a figure on the development machine: more than a whole
    training step of a small model, 58 of 59 s of a 123-step CSV run).
    This extension draws from the log itself, so the picture does not
    depend on when it is drawn: at most every ``interval`` seconds while
    training and once more when training ends.

    Args:
        log_report: The trainer's ``LogReport`` extension.
        plots (dict): PNG file name (in the trainer's ``out``) -> log keys
            drawn in it.
        x_key (str): The log key of the x axis.
        interval (float): Seconds between redraws during training.
    """

    trigger = (1, 'iteration')

    def __init__(self, log_report, plots, x_key='iteration', interval=10.0):
        self._log_report = log_report
        self._plots = plots
        self._x_key = x_key
        self._interval = interval
        self._out = None
        self._drawn = 0
        self._last = -math.inf

    def __call__(self, trainer):
        self._out = trainer.out
        if len(self._log_report.log) > self._drawn and \
                time.monotonic() - self._last >= self._interval:
            self.draw()

    def finalize(self):
        if self._out is not None and len(self._log_report.log) > self._drawn:
            self.draw()

    def draw(self):
        """Writes every PNG now (through a temporary file and a rename)."""
        from matplotlib.figure import Figure
        log = list(self._log_report.log)
        for name, keys in self._plots.items():
            fig = Figure(figsize=(6.4, 4.8))
            ax = fig.add_subplot()
            for key in keys:
                points = [(e[self._x_key], e[key]) for e in log if key in e]
                if points:
                    ax.plot(*zip(*points), marker='.' if len(points) <= 50 else None,
                            label=key)
            ax.set_xlabel(self._x_key)
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc='best')
            path = os.path.join(self._out, name)
            tmp = path + '.tmp'
            fig.savefig(tmp, format='png')
            os.replace(tmp, path)
        self._drawn = len(log)
        self._last = time.monotonic()


def plot_available():
    try:
        import matplotlib  # NOQA
    except ImportError:
        return False
    return True



def learning_rate_name(optimizer):
    """The hyperparameter that plays the learning rate (``alpha`` for Adam)."""
    return 'alpha' if isinstance(optimizer, chainer.optimizers.Adam) else 'lr'


def scale_learning_rate(optimizer, factor):
    name = learning_rate_name(optimizer)
    setattr(optimizer, name, getattr(optimizer, name) * factor)
    return getattr(optimizer, name)


def remove_partial_snapshots(out):
    """Deletes temporary snapshot directories a killed run left behind."""
    import shutil
    for path in glob.glob(os.path.join(out, 'tmpsnapshot_iter_*')):
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
