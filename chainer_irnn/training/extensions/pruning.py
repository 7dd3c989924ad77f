"""Reporting the validation metric to an Optuna trial, and pruning it."""
import math
import os

from chainer import training


class OptunaPruning(training.Extension):
    """Reports each evaluation to an Optuna ``trial`` and ends the run by
    raising ``optuna.TrialPruned`` when the trial's pruner says so.

    The value reported at evaluation ``k`` (the step, counted from 1, so
    that trials of different batch sizes and run lengths compare at the
    same point of their runs: every run makes about 20 evaluations) is the
    best so far of ``key`` (the lowest for ``direction='minimize'``), the
    figure the trial will be judged by if it goes on.  It acts after the
    evaluator (and the best-model keeper) at iterations whose observation
    holds ``key``.

    ``out`` (a folder) limits it to the trainer writing there: a trial that
    is a fold ensemble (:func:`chainer_irnn.tuning.tune` with ``folds``)
    reports its first member's run only (see there why).
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER - 2

    def __init__(self, trial, key='validation/main/loss', direction='minimize', out=None):
        self.trial = trial
        self.out = None if out is None else os.path.abspath(out)
        self.key = key
        self.sign = 1.0 if direction == 'minimize' else -1.0
        self.step = 0
        self.best = math.inf

    def __call__(self, trainer):
        import optuna
        from chainer_irnn.training.extensions.best_model import _scalar
        if self.key not in trainer.observation:
            return
        if self.out is not None and os.path.abspath(trainer.out) != self.out:
            return
        value = _scalar(trainer.observation[self.key])
        self.step += 1
        if math.isfinite(value):
            self.best = min(self.best, self.sign * value)
        if not math.isfinite(self.best):
            return
        self.trial.report(self.sign * self.best, self.step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(
                'pruned at evaluation {} (iteration {}): best {} {:.4g}'.format(
                    self.step, trainer.updater.iteration, self.key, self.sign * self.best))
