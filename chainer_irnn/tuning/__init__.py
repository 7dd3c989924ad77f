"""Hyperparameter search with Optuna: ``tune`` (and ``chainer-irnn tune``).

::

    from chainer_irnn import read_csv
    from chainer_irnn.tuning import tune

    data = read_csv('train.csv', val_split=0.25)
    result = tune(data.train, data.val, data.meta, 'tuned', n_trials=30, timeout=600)
    result.best_params, result.best_value     # the model is in tuned/model.npz + model.json

Each trial is one :func:`chainer_irnn.training.fit` run (the base preset's
run length, validation-driven: the best evaluation is the trial's value)
with settings drawn by a TPE sampler from :func:`suggest`'s space: hidden
sizes, layers, optimizer, learning rate, clipping, batch size, identity
scale, dropout, weight decay, pooling, reading one way or both and (float
input) the augmentations.  A median pruner stops trials whose
validation figure lags the others' at the same evaluation, through the
:class:`~chainer_irnn.training.extensions.OptunaPruning` Trainer extension.

The study lives in ``OUT/study.db`` (SQLite): a killed search resumes where
it stopped when run again with the same ``out``, and several processes
(``jobs``) share it.  ``OUT`` ends up holding the best trial's model
(``model.npz`` + ``model.json``, ready for ``chainer-irnn predict``), the
table of trials (``trials.csv``, ``trials.md``), a plot of the study
(``study.png``, with matplotlib) and each trial's folder under ``trials/``
(its log, settings and model; snapshots removed).

A folder holds one study: the trial folders and the exported model belong
to it, so a study of another name in the same ``OUT`` is refused
(:class:`OtherStudy`); tune into another folder instead.

Cross-validated trials (``folds=K``): on small sets (tens of sequences) a
validation split of a few sequences cannot tell trials apart -- the best
reach a validation loss near 0 -- and the search picks among them by
chance.  With ``folds``, every trial is a fold ensemble
(:mod:`chainer_irnn.training.ensemble`: ``ensemble=K, ensemble_folds=K``
on the training and validation data pooled), judged by its out-of-fold
validation figure: each sequence scored by the one member that never trained
on it.  A trial costs K runs.  The exported model is the best trial's
ensemble, and its settings (:attr:`TuneResult.best_params`) include
``ensemble`` and ``ensemble_folds``, so that training them again
(``chainer-irnn train`` with the printed flags) redoes that ensemble.
"""
import contextlib
import dataclasses
import logging
import math
import os
import shutil
import time
from typing import Optional

from chainer_irnn import io as irnn_io
from chainer_irnn.errors import ParameterError, Setting, UserError
from chainer_irnn.tuning.reports import plot_study, write_table
from chainer_irnn.tuning.space import SEARCHED, suggest
from chainer_irnn.tuning.study import (  # NOQA: F401 (names of the package)
    IDENTITY_ATTR, STUDY_FILE, OtherStudy, StudyMismatch, _claim_study, _direction,
    _has_trials, _identity, _other_studies, _storage, _study)

logger = logging.getLogger(__name__)

#: held while the best model is exported (processes finishing together)
EXPORT_LOCK = '.export.lock'


@dataclasses.dataclass
class TuneResult:
    """What :func:`tune` returns.

    Attributes:
        study: the ``optuna.Study`` (all processes' trials).
        best_params (dict): the best trial's flat settings (what
            ``TrainConfig.replace`` takes), with the ``ensemble`` every trial
            was (1; with ``folds=K``, K and ``ensemble_folds`` K).
        best_value (float): its validation loss (or accuracy, with
            ``best_by='accuracy'``); with ``folds``, out-of-fold.
        best_trial (int): its number.
        out (str): the folder holding the best model, the table and the plot.
        n_complete, n_pruned, n_failed (int): trials by state.
        test (dict or None): with ``test=``, the best trial's model scored
            once on it after the search (``loss``, ``accuracy``, ``n``; also
            ``OUT/test.json``); the test data judged no trial.
    """

    study: object
    best_params: dict
    best_value: float
    best_trial: int
    out: str
    n_complete: int
    n_pruned: int
    n_failed: int
    test: Optional[dict] = None


def _require_optuna():
    try:
        import optuna
    except ImportError:
        raise UserError('tuning needs Optuna: pip install "chainer-irnn[tune]" '
                        '(or pip install optuna)')
    return optuna


class _Pace(object):
    """Where a search stands, for the line each trial logs: trials done of
    ``n_trials`` (a total over the study) and time left of ``timeout``."""

    def __init__(self, n_trials=None, timeout=None, done=0, clock=time.time):
        self.n_trials, self.timeout = n_trials, timeout
        self.done = self.done_at_start = done
        self.clock = clock
        self.start = clock()

    def ended(self, done=None):
        """A trial ended; ``done``: the study's ended trials now, this one
        included (every process's; default: one more than before).  Returns
        the text to log with it."""
        self.done = self.done + 1 if done is None else max(done, self.done_at_start + 1)
        self.here = self.done - self.done_at_start
        elapsed = self.clock() - self.start
        parts, left = [], []
        if self.n_trials is not None:
            parts.append('{} of {} trials'.format(min(self.done, self.n_trials),
                                                  self.n_trials))
            left.append(elapsed / self.here * max(self.n_trials - self.done, 0))
        else:
            parts.append('{} trial{}'.format(self.done, '' if self.done == 1 else 's'))
        if self.timeout is not None:
            left.append(max(self.timeout - elapsed, 0.0))
        if left:
            parts.append('about {} left'.format(_duration(min(left))))
        return '; '.join(parts)


def _ended(trial):
    """The study's complete and pruned trials, ``trial`` included."""
    from optuna.trial import TrialState
    others = trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,
                                                            TrialState.PRUNED))
    return sum(1 for t in others if t.number != trial.number) + 1


def _duration(seconds):
    if seconds < 90:
        return '{:.0f} s'.format(seconds)
    if seconds < 90 * 60:
        return '{:.0f} min'.format(seconds / 60)
    return '{:.1f} h'.format(seconds / 3600)


def _objective(optuna, train, val, meta, out, base, fixed, device, pace=None):
    from chainer_irnn.training import fit
    from chainer_irnn.training.ensemble import member_folder
    from chainer_irnn.training.extensions import OptunaPruning
    key = 'validation/main/' + base.run.best_by
    direction = _direction(base)
    folds = base.run.ensemble_folds
    # the batch sizes drawn fit the smallest training set a run of the trial gets
    n_train = len(train) if not folds else _smallest_member_train(len(train) + len(val), folds)

    def objective(trial):
        values = suggest(trial, base, n_train, fixed)
        # a drawn batch size is used as drawn (the settings printed repeat the trial)
        config = base.replace(**values, **({'auto_batchsize': False} if 'batchsize' in values
                                           else {}))
        trial.set_user_attr('settings', {k: list(v) if isinstance(v, tuple) else v
                                         for k, v in values.items()})
        trial_out = os.path.join(out, 'trials', '{:04d}'.format(trial.number))
        if os.path.isdir(trial_out):       # a retried trial starts afresh
            shutil.rmtree(trial_out, ignore_errors=True)
        # A fold ensemble's trial is K runs one after another.  Only the first
        # member reports: its evaluations are steps 1, 2, ... of every trial
        # alike, on the same fold 1 (the folds are dealt by the base seed, the
        # same for every trial), so the median pruner compares like with like.
        # Reporting each member on from where the last stopped would compare
        # member 2 of one trial with member 1 of another wherever patience
        # ended a member early, and mix folds in the best-so-far it reports.
        # The cost: a trial is pruned in its first run, never in the later ones.
        pruning = OptunaPruning(trial, key, direction,
                                out=member_folder(trial_out, 0) if folds else None)
        start = time.time()
        quiet = logging.getLogger('chainer_irnn.training')   # one line per trial, not per run
        level = quiet.level
        quiet.setLevel(max(logging.WARNING, level))
        try:
            result = fit(config, train, val, out=trial_out, meta=meta, device=device,
                         resume='none', extensions=[pruning])
        except optuna.TrialPruned:
            trial.set_user_attr('seconds', time.time() - start)
            logger.info('trial %d pruned at evaluation %d (%.0f s): %s%s', trial.number,
                        pruning.step, time.time() - start, _brief(values),
                        ' [{}]'.format(pace.ended(_ended(trial))) if pace is not None else '')
            raise
        finally:
            quiet.setLevel(level)
            _remove_snapshots(trial_out, base.run.ensemble)
        best = result.best or {}
        trial.set_user_attr('seconds', result.seconds)
        for name in ('iteration', 'epoch', 'validation/main/loss', 'validation/main/accuracy'):
            if name in best:
                trial.set_user_attr(name.split('/')[-1], best[name])
        trial.set_user_attr('stopped', result.stopped)
        if key not in best or not math.isfinite(best[key]):
            raise optuna.TrialPruned('no finite validation {}'.format(base.run.best_by))
        logger.info('trial %d: %svalidation %s %.4f (accuracy %s) in %.0f s: %s%s',
                    trial.number, 'out-of-fold ' if folds else '',
                    base.run.best_by, best[key], _fmt(best.get('validation/main/accuracy')),
                    result.seconds, _brief(values),
                    ' [{}]'.format(pace.ended(_ended(trial))) if pace is not None else '')
        return best[key]
    return objective


def _smallest_member_train(n_pool, folds):
    """The fewest training sequences a member of a ``folds``-fold ensemble of
    ``n_pool`` sequences gets: the pool less its largest fold."""
    return n_pool - -(-n_pool // folds)


def _remove_snapshots(trial_out, members):
    """A trial folder keeps its log, settings and model, not its snapshots
    (nor its members' in a fold ensemble)."""
    from chainer_irnn.training import snapshots
    from chainer_irnn.training.ensemble import member_folder
    folders = [trial_out] + ([member_folder(trial_out, i) for i in range(members)]
                             if members > 1 else [])
    for folder in folders:
        for _, path in snapshots.find_snapshots(folder):
            os.remove(path)


def _fmt(v):
    return '-' if v is None else '{:.3f}'.format(v)


def _brief(values):
    return ', '.join('{}={}'.format(k, '{:.3g}'.format(v) if isinstance(v, float) else
                                    ','.join(map(str, v)) if isinstance(v, tuple) else v)
                     for k, v in values.items())


def _optimize(train, val, meta, out, base, fixed, n_trials, timeout, seed, device,
              study_name, worker=0):
    optuna = _require_optuna()
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState
    study = _study(optuna, out, base, study_name, seed, worker)
    callbacks = []
    if n_trials is not None:   # a total over every process and every resumed run
        callbacks.append(MaxTrialsCallback(n_trials, states=(TrialState.COMPLETE,
                                                             TrialState.PRUNED)))
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,
                                                            TrialState.PRUNED)))
        if done >= n_trials:
            return study
    pace = _Pace(n_trials, timeout, done=len(study.get_trials(
        deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))))
    study.optimize(_objective(optuna, train, val, meta, out, base, fixed, device, pace),
                   n_trials=None if n_trials is None else n_trials, timeout=timeout,
                   callbacks=callbacks, catch=(UserError,), gc_after_trial=True)
    return study


def _worker(args):
    """A second process of a ``jobs`` > 1 search (run by multiprocessing)."""
    logging.getLogger('chainer_irnn').setLevel(logging.WARNING)
    _optimize(*args)


def tune(train, val, meta=None, out='tune', n_trials=None, timeout=None, jobs=1, *,
         base=None, preset='csv', fixed=(), seed=0, device=None, study_name='chainer-irnn',
         test=None, folds=None):
    """Searches hyperparameters with Optuna's TPE sampler; returns :class:`TuneResult`.

    Args:
        train, val: datasets of ``(x, class index)`` as :func:`~chainer_irnn.training.fit`
            takes them; ``val`` is required (it judges the trials).
        meta (dict): the data description stored with the model (as for
            ``fit``; :func:`~chainer_irnn.read_csv` gives it).
        out (str): the study's folder (``study.db``, the best model, the
            table, the plot, the trials).
        n_trials (int): total trials of the study (counting those of earlier,
            killed runs and of every process); None: until ``timeout``.
        timeout (float): seconds this call searches for (each process).
        jobs (int): processes searching together (they share ``study.db``).
        base (TrainConfig): the settings the search starts from (run length,
            patience, ...); default the ``preset``'s.
        fixed: flat setting names the search leaves at ``base``'s value.
        seed (int): seeds the sampler (each process and each resumed run
            draws anew from a seed derived from it).
        device: as for ``fit`` (one device for every process).
        study_name (str): the study's name inside ``study.db``; a folder
            holds one study (another name is :class:`OtherStudy`).
        test: a dataset that judges no trial: the best trial's model is
            scored on it once, after the search (:attr:`TuneResult.test`).
        folds (int): None: each trial is one run, judged on ``val``.  K >= 2:
            each trial is a fold ensemble of K members on ``train`` and
            ``val`` pooled (K runs), judged by its out-of-fold validation
            figure; the exported model is the best trial's ensemble.  Part
            of the study: a study resumed with another ``folds`` is
            :class:`StudyMismatch`.
    """
    optuna = _require_optuna()
    from chainer_irnn.training import TrainConfig
    from chainer_irnn.training.fitting import infer_meta
    if val is None or len(val) == 0:
        raise ParameterError('val', 'tuning needs validation data (a validation file or '
                             'a validation split) to judge the trials')
    if n_trials is None and timeout is None:
        raise ParameterError('n_trials', 'give a budget: a number of trials or a timeout')
    if n_trials is not None and (isinstance(n_trials, bool) or int(n_trials) < 1):
        raise ParameterError('n_trials', 'expected a positive integer, not {!r}'.format(n_trials))
    if isinstance(jobs, bool) or int(jobs) < 1:
        raise ParameterError('jobs', 'expected a positive integer, not {!r}'.format(jobs))
    base = TrainConfig.from_preset(preset) if base is None else base
    _check_folds(folds, base, fixed, train, val, meta)
    # each trial is one model, whatever the preset's ensemble; with folds, an
    # ensemble of one member per fold
    base = base.replace(progress=False, report=False, plots=False, keep_snapshots=1,
                        ensemble=folds or 1, ensemble_folds=folds or 0)
    meta = infer_meta(train, base) if meta is None else meta
    # the ensemble's settings are the trials' shape, checked above, not drawn
    unknown = [k for k in fixed if k not in SEARCHED + ('ensemble', 'ensemble_folds')]
    if unknown:
        raise ParameterError('fixed', 'not searched: {} (searched: {})'.format(
            ', '.join(unknown), ', '.join(SEARCHED)))
    _make_out(out)
    resumed = _has_trials(optuna, out, study_name)
    created = _claim_study(optuna, out, base, study_name,
                           _identity(train, val, meta, base, tuple(fixed), folds))
    if not created:
        # another process (or an earlier run) draws from this study too: its
        # samplers must not share seeds with ours
        import secrets
        seed = (seed + secrets.randbits(31)) % 2 ** 32
    args = (train, val, meta, out, base, tuple(fixed), n_trials, timeout, seed,
            None if device is None else str(device), study_name)
    logger.info('tuning in %s (%s; %s): %s, %d process%s', out, STUDY_FILE,
                'resumed' if resumed else 'new',
                ' and '.join(b for b in (None if n_trials is None else '{} trials'.format(
                    n_trials), None if timeout is None else '{:g} s'.format(timeout)) if b),
                jobs, '' if jobs == 1 else 'es')
    procs = []
    if jobs > 1:
        import multiprocessing
        ctx = multiprocessing.get_context('spawn')
        # the study is created first, so that the processes do not race to make it
        _study(optuna, out, base, study_name, seed)
        for k in range(1, jobs):
            p = ctx.Process(target=_worker, args=(args + (k,),))
            p.start()
            procs.append(p)
    try:
        study = _optimize(*args)
    finally:
        for p in procs:
            p.join()
    result = _finish(optuna, study, out, base)
    if test is not None:
        from chainer_irnn import models
        from chainer_irnn.training.fitting import get_device
        from chainer_irnn.training.scoring import score_test
        device = get_device(device)
        model, _ = models.load_model(out)
        model.to_device(device)
        result.test = score_test(model, test, device, out,
                                 'the best trial ({})'.format(result.best_trial))
    return result


def _check_folds(folds, base, fixed, train, val, meta):
    """Refuses ``folds`` that are no number of folds, or that the other
    arguments contradict (an ensemble asked of ``base``, too few sequences,
    MNIST's test set as the validation data)."""
    if folds is None:
        if base.run.ensemble > 1 and 'ensemble' in fixed:
            raise ParameterError('ensemble', 'tune judges single models (a trial is one run); '
                                 'train the best settings as an ensemble afterwards, or '
                                 'cross-validate the trials ({})'.format(Setting('folds')))
        if 'ensemble_folds' in fixed and base.run.ensemble_folds:
            raise ParameterError('ensemble_folds', 'tune deals the folds itself: give {} '
                                 'instead'.format(Setting('folds', base.run.ensemble_folds)))
        return     # a preset's ensemble and folds give way to single-model trials
    from chainer_irnn.training.settings_table import SETTINGS
    limit = SETTINGS['ensemble_folds'].maximum
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= limit:
        raise ParameterError('folds', 'expected an integer from 2 to {}, not {!r}'.format(
            limit, folds))
    if 'ensemble' in fixed and base.run.ensemble != folds:
        raise ParameterError('ensemble', 'with {} every trial is an ensemble of its {} fold '
                             'members; leave {} unset'.format(Setting('folds', folds), folds,
                                                              Setting('ensemble')))
    if 'ensemble_folds' in fixed and base.run.ensemble_folds not in (0, folds):
        raise ParameterError('ensemble_folds', 'tune deals the folds itself ({}); leave it '
                             'unset'.format(Setting('folds', folds)))
    if (meta or {}).get('validation') == 'test':
        raise ParameterError('folds', "the validation data are MNIST's test set, evaluated for "
                             'the log only: cross-validating would train on it')
    if len(train) + len(val) < folds:
        raise ParameterError('folds', '{} folds of {} sequences (training and validation '
                             'data together): a fold would be empty'.format(
                                 folds, len(train) + len(val)))


def _make_out(out):
    """``os.makedirs(out)`` with every failure a :class:`UserError`."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise UserError('{}: cannot use it as the study folder ({}){}'.format(
            out, e.strerror or e, '; it is a file: choose a folder' if
            os.path.isfile(out) else ''))


def _finish(optuna, study, out, base):
    from optuna.trial import TrialState
    # reload: the other processes' trials
    study = optuna.load_study(study_name=study.study_name, storage=_storage(optuna, out))
    trials = study.get_trials(deepcopy=False)
    count = {s: sum(t.state == s for t in trials)
             for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    write_table(study, out)
    try:
        plot_study(study, os.path.join(out, 'study.png'))
    except ImportError:
        logger.info('no study.png: matplotlib is not installed (the plot extra)')
    if not count[TrialState.COMPLETE]:
        raise UserError('no trial completed ({} pruned, {} failed); give a larger budget'.format(
            count[TrialState.PRUNED], count[TrialState.FAIL]))
    from chainer_irnn import models
    with _export_lock(out):
        # the best trial as it stands now, under the lock: processes that
        # finish together write one pair after the other, the last one the
        # study's best at its end
        study = optuna.load_study(study_name=study.study_name, storage=_storage(optuna, out))
        best = study.best_trial
        src = os.path.join(out, 'trials', '{:04d}'.format(best.number))
        pair = []
        for name in (models.MODEL_FILE, models.CONFIG_FILE):
            with open(os.path.join(src, name), 'rb') as f:
                pair.append((os.path.join(out, name), f.read()))
        # unique temporaries, both on disk before either is renamed
        irnn_io.write_pair(*pair)
    settings = best.user_attrs.get('settings', {})
    # what every trial shared and train must be told (the csv preset's ensemble is 3)
    params = dict(settings, ensemble=base.run.ensemble,
                  **({'ensemble_folds': base.run.ensemble_folds} if base.run.ensemble_folds
                     else {}))
    logger.info('best of %d trials (%d complete, %d pruned, %d failed): trial %d, %svalidation '
                '%s %.4f (accuracy %s): %s; model written to %s', len(trials),
                count[TrialState.COMPLETE], count[TrialState.PRUNED], count[TrialState.FAIL],
                best.number, 'out-of-fold ' if base.run.ensemble_folds else '',
                base.run.best_by, best.value, _fmt(best.user_attrs.get('accuracy')),
                _brief({k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}),
                os.path.join(out, models.MODEL_FILE))
    return TuneResult(study=study, best_params=params, best_value=best.value,
                      best_trial=best.number, out=out, n_complete=count[TrialState.COMPLETE],
                      n_pruned=count[TrialState.PRUNED], n_failed=count[TrialState.FAIL])


@contextlib.contextmanager
def _export_lock(out):
    """Holds ``OUT/.export.lock`` (``flock``) while the best model is
    exported, so that processes finishing together do not interleave."""
    try:
        import fcntl
    except ImportError:       # no flock (Windows): the pair is still written atomically
        yield
        return
    fd = os.open(os.path.join(out, EXPORT_LOCK), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


__all__ = ['tune', 'suggest', 'TuneResult', 'StudyMismatch', 'OtherStudy', 'write_table',
           'plot_study', 'SEARCHED']
