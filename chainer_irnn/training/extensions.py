"""Trainer extensions and optimizer hooks of chainer-irnn."""
import glob
import math
import os
import re

import chainer
from chainer import training

from chainer_irnn.errors import UserError

SNAPSHOT_PATTERN = 'snapshot_iter_{.updater.iteration}'
_SNAPSHOT_RE = re.compile(r'^snapshot_iter_(\d+)$')


class DivergenceError(UserError):
    """The loss or a gradient became NaN or infinite."""


def _remedies(iteration, what):
    return ('{} at iteration {}. The last good snapshot in the output '
            'directory is kept. Remedies: lower --lr, lower --clip, lower '
            '--identity-scale (e.g. 0.9), or --optimizer adam.'.format(what, iteration))


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
                raise DivergenceError(_remedies(
                    optimizer.t + 1, 'non-finite gradient of {}'.format(name)))


class FiniteLoss(training.Extension):
    """Stops training at the first iteration whose loss is NaN or Inf."""

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 1   # before snapshots and logs

    def __init__(self, key='main/loss'):
        self.key = key

    def __call__(self, trainer):
        value = trainer.observation.get(self.key)
        if value is None:
            return
        value = float(chainer.backend.CpuDevice().send(
            value.array if isinstance(value, chainer.Variable) else value))
        if not math.isfinite(value):
            raise DivergenceError(_remedies(trainer.updater.iteration,
                                            'loss is {}'.format(value)))


def find_snapshots(out):
    """Complete snapshots in ``out``, oldest first, as ``(iteration, path)``."""
    found = []
    for path in glob.glob(os.path.join(out, 'snapshot_iter_*')):
        m = _SNAPSHOT_RE.match(os.path.basename(path))
        if m and os.path.isfile(path):
            found.append((int(m.group(1)), path))
    return sorted(found)


def plot_available():
    try:
        import matplotlib  # NOQA
    except ImportError:
        return False
    return True

