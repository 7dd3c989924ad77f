"""Progress of a run: Chainer's progress bar on a terminal, plain lines elsewhere."""
import math
import sys
import time

from chainer import training
from chainer.training import extensions


def _is_terminal(stream):
    return hasattr(stream, 'isatty') and stream.isatty()


def progress(training_length, interval=30.0, stream=None):
    """The progress extension for a run of ``training_length``.

    On a terminal: Chainer's :class:`~chainer.training.extensions.ProgressBar`
    (it redraws itself with cursor codes).  Anywhere else (a file, a pipe, a
    notebook's captured output): :class:`PlainProgress`, one line every
    ``interval`` seconds, so that a redirected run stays readable.

    Args:
        training_length (tuple): ``(length, 'epoch' | 'iteration')``.
        interval (float): Seconds between plain lines.
        stream: Where to write; default ``sys.stdout`` (looked up when called).
    """
    if _is_terminal(stream if stream is not None else sys.stdout):
        return extensions.ProgressBar(training_length=training_length, update_interval=1,
                                      out=stream if stream is not None else sys.stdout)
    return PlainProgress(training_length, interval, stream)


class PlainProgress(training.Extension):
    """One line of progress every ``interval`` seconds, without cursor codes::

        progress: epoch 3.20 of 60, iteration 12000 of 225000 (5.3%), 212.4 it/s, about 17 min left

    The first line comes after the first interval; a run shorter than that
    prints none (its report says everything).
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_READER

    def __init__(self, training_length, interval=30.0, stream=None):
        self.length, self.unit = training_length
        self.interval = float(interval)
        self.stream = stream
        self._start = None      # (time, iteration) where this process began
        self._last = None

    def __call__(self, trainer):
        now = time.time()
        iteration = trainer.updater.iteration
        if self._start is None:
            self._start = self._last = now, iteration
            return
        if now - self._last[0] < self.interval:
            return
        self._last = now, iteration
        self._write(self.line(trainer.updater, now))

    def line(self, updater, now):
        """The text of one progress line for ``updater`` at time ``now``."""
        iteration, epoch = updater.iteration, updater.epoch_detail
        if self.unit == 'epoch':
            # the run ends at the first iteration whose epoch reaches the length
            total = math.ceil(self.length * iteration / epoch - 1e-9) if epoch > 0 else None
        else:
            total = self.length
        rate = (iteration - self._start[1]) / max(now - self._start[0], 1e-9)
        parts = ['epoch %.2f' % epoch + (' of %d' % self.length if self.unit == 'epoch' else '')]
        if total:
            parts.append('iteration %d of %d (%.1f%%)'
                         % (iteration, total, 100.0 * iteration / total))
        else:
            parts.append('iteration %d' % iteration)
        parts.append('%.1f it/s' % rate)
        if total and rate > 0:
            parts.append('about %s left' % _duration(max(total - iteration, 0) / rate))
        return 'progress: ' + ', '.join(parts)

    def _write(self, text):
        out = self.stream if self.stream is not None else sys.stdout
        out.write(text + '\n')
        out.flush()


def _duration(seconds):
    if seconds < 90:
        return '%d s' % round(seconds)
    if seconds < 90 * 60:
        return '%d min' % round(seconds / 60)
    return '%.1f h' % (seconds / 3600)
