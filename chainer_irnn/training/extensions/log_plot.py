"""Plots of the training log, drawn from the log itself."""
import math
import os
import time

from chainer import training


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
        plots (dict): PNG file name (in the trainer's ``out``) -> the log
            keys drawn in it, or a dict with ``keys``, ``ylabel`` and
            ``title``.
        x_key (str): The log key of the x axis.
        interval (float): Seconds between redraws during training.
        names (dict): Log key -> its name in the legend (default: the key).
        mark (callable): Returns ``(x, text)`` of a point to mark with a
            vertical line (the kept model), or None; called at each draw.
    """

    trigger = (1, 'iteration')

    def __init__(self, log_report, plots, x_key='iteration', interval=10.0, names=None,
                 mark=None):
        self._log_report = log_report
        self._plots = {name: spec if isinstance(spec, dict) else {'keys': list(spec)}
                       for name, spec in plots.items()}
        self._names = dict(names or {})
        self._mark = mark
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
        mark = self._mark() if self._mark is not None else None
        for name, spec in self._plots.items():
            fig = Figure(figsize=(6.4, 4.8))
            ax = fig.add_subplot()
            for key in spec['keys']:
                points = [(e[self._x_key], e[key]) for e in log if key in e]
                if points:
                    ax.plot(*zip(*points), marker='.' if len(points) <= 50 else None,
                            label=self._names.get(key, key))
            if mark is not None:
                ax.axvline(mark[0], color='0.3', linestyle='--', linewidth=1, label=mark[1])
            ax.set_xlabel(self._x_key)
            if spec.get('ylabel'):
                ax.set_ylabel(spec['ylabel'])
            if spec.get('title'):
                ax.set_title(spec['title'])
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
