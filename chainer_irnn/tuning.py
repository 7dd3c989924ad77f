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
scale, dropout, weight decay and pooling.  A median pruner stops trials whose
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

logger = logging.getLogger(__name__)

STUDY_FILE = 'study.db'
#: held while the best model is exported (processes finishing together)
EXPORT_LOCK = '.export.lock'
#: settings the search draws (flat TrainConfig keys); ``fixed`` ones are left alone
SEARCHED = ('hidden', 'optimizer', 'lr', 'clip', 'batchsize', 'identity_scale', 'dropout',
            'input_dropout', 'weight_decay', 'pool')


@dataclasses.dataclass
class TuneResult:
    """What :func:`tune` returns.

    Attributes:
        study: the ``optuna.Study`` (all processes' trials).
        best_params (dict): the best trial's flat settings (what
            ``TrainConfig.replace`` takes).
        best_value (float): its validation loss (or accuracy, with
            ``best_by='accuracy'``).
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


def suggest(trial, base, n_train, fixed=()):
    """Flat settings for one trial, drawn from the search space.

    ``base`` (TrainConfig) says what kind of model is tuned: the IRNN gets
    layers and identity scale, float input gets input dropout; settings in
    ``fixed`` keep ``base``'s value.
    """
    from chainer_irnn.training.settings_table import POOLS
    m, values = base.model, {}

    def want(name):
        return name not in fixed

    if m.model == 'irnn' and want('hidden'):
        layers = trial.suggest_int('layers', 1, 2)
        size = trial.suggest_categorical('hidden_size', [32, 64, 128])
        values['hidden'] = (size,) * layers if layers == 1 else (size, max(16, size // 2))
    if want('optimizer'):
        values['optimizer'] = trial.suggest_categorical('optimizer', ['adam', 'rmsprop'])
    if want('lr'):
        values['lr'] = trial.suggest_float('lr', 1e-4, 1e-2, log=True)
    if want('clip'):
        values['clip'] = trial.suggest_float('clip', 0.1, 10.0, log=True)
    if want('batchsize'):
        sizes = [b for b in (8, 16, 32, 64) if b <= n_train] or [n_train]
        values['batchsize'] = trial.suggest_categorical('batchsize', sizes)
    if m.model == 'irnn' and want('identity_scale'):
        values['identity_scale'] = trial.suggest_float('identity_scale', 0.5, 1.0)
    if want('dropout'):
        values['dropout'] = trial.suggest_float('dropout', 0.0, 0.5)
    if m.model == 'irnn' and m.input == 'linear' and want('input_dropout'):
        values['input_dropout'] = trial.suggest_float('input_dropout', 0.0, 0.3)
    if want('weight_decay'):
        values['weight_decay'] = trial.suggest_float('weight_decay', 1e-6, 1e-2, log=True)
    if m.model == 'irnn' and want('pool'):
        values['pool'] = trial.suggest_categorical('pool', list(POOLS))
    return values


def _storage(optuna, out):
    """The study database of ``out``; a damaged or foreign ``study.db``
    is a :class:`UserError` naming it."""
    try:
        return _open_storage(optuna, out)
    except UserError:
        raise
    except Exception as e:   # sqlalchemy's DatabaseError, optuna's StorageInternalError, ...
        path = os.path.join(out, STUDY_FILE)
        raise UserError('{}: not a readable study database ({}: {}); move it away, or tune '
                        'into another folder'.format(path, type(e).__name__,
                                                     str(e).splitlines()[0] if str(e) else ''))


def _open_storage(optuna, out):
    import warnings
    from optuna import storages
    url = 'sqlite:///' + os.path.abspath(os.path.join(out, STUDY_FILE))
    # heartbeats: a trial of a killed process is marked failed (and retried
    # once) when the search runs again
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')     # "experimental" heartbeat features
        if hasattr(storages, 'RetryHeartbeatStaleTrialCallback'):      # optuna >= 4.9
            retry = {'heartbeat_stale_trial_callback':
                     storages.RetryHeartbeatStaleTrialCallback(max_retry=1)}
        else:
            retry = {'failed_trial_callback': storages.RetryFailedTrialCallback(max_retry=1)}
        return storages.RDBStorage(url, heartbeat_interval=20, grace_period=60,
                                   engine_kwargs={'connect_args': {'timeout': 60}}, **retry)


#: the study's user attribute holding what it searches (data, criterion, fixed settings)
IDENTITY_ATTR = 'chainer_irnn.identity'


def _identity(train, val, meta, base, fixed):
    """What a study searches on: the data fingerprint, ``best_by`` and the
    settings every trial shares (the searched ones excepted)."""
    from chainer_irnn.training import run_folder
    ident = run_folder.identity(base, train, val, meta)
    drawn = [k for k in SEARCHED if k not in fixed]
    ident['settings'] = {k: v for k, v in ident['settings'].items() if k not in drawn}
    ident['settings']['fixed'] = sorted(fixed)
    ident['settings'].pop('processes', None)
    return ident


class StudyMismatch(UserError):
    """The study in ``out`` searches on other data or by another criterion."""

    def __init__(self, out, study_name, differences):
        self.differences = list(differences)
        super().__init__(
            '{} holds study {!r} of another search ({}); resume it with its data and '
            'settings, or tune into another folder ({})'.format(
                os.path.join(out, STUDY_FILE), study_name, '; '.join(self.differences),
                Setting('out')))


class OtherStudy(UserError):
    """``out`` holds a study of another name: a folder holds one study (its
    ``trials/NNNN`` and its exported model would be overwritten)."""

    def __init__(self, out, study_name, others):
        self.others = list(others)
        super().__init__(
            '{} holds study {} and a folder holds one study (trial folders and the model '
            'would be overwritten); tune study {!r} into another folder ({}), or resume {} '
            'with {}'.format(
                os.path.join(out, STUDY_FILE), ', '.join(repr(n) for n in self.others),
                study_name, Setting('out'),
                'it' if len(self.others) == 1 else 'one of them',
                Setting('study_name', self.others[0])))


def _other_studies(storage, study_name):
    """The studies in ``storage`` that stand in the way of ``study_name``:
    every other one where ``study_name`` is not there; else those created
    before it and those with trials (a study created after it with no trial
    is another process racing to start a second study: that process refuses
    and removes it)."""
    studies = storage.get_all_studies()
    mine = [s for s in studies if s.study_name == study_name]
    others = [s for s in studies if s.study_name != study_name]
    if not mine:
        return sorted(s.study_name for s in others)
    mine_id = mine[0]._study_id
    return sorted(s.study_name for s in others
                  if s._study_id < mine_id or storage.get_all_trials(s._study_id,
                                                                     deepcopy=False))


def _claim_study(optuna, out, base, study_name, ident):
    """Creates the study in ``out`` with ``ident``, or checks that the
    existing one searches the same way (:class:`StudyMismatch`); a study of
    another name in ``out`` is :class:`OtherStudy`.  Returns True where
    this call created it."""
    from chainer_irnn.training import run_folder
    storage = _storage(optuna, out)
    others = _other_studies(storage, study_name)
    if others:
        raise OtherStudy(out, study_name, others)
    try:
        study = optuna.create_study(storage=storage, study_name=study_name,
                                    direction=_direction(base), load_if_exists=False)
        study.set_user_attr(IDENTITY_ATTR, ident)
    except optuna.exceptions.DuplicatedStudyError:
        pass
    else:
        # another process may have created a study of another name meanwhile:
        # the later of the two gives way
        others = _other_studies(storage, study_name)
        if others:
            try:
                optuna.delete_study(study_name=study_name, storage=storage)
            except KeyError:
                pass
            raise OtherStudy(out, study_name, others)
        return True
    study = optuna.load_study(study_name=study_name, storage=storage)
    old = study.user_attrs.get(IDENTITY_ATTR)
    if old is None:
        if study.trials and study.direction.name.lower() != _direction(base):
            raise StudyMismatch(out, study_name, ['{} {} there, {} here'.format(
                Setting('best_by'), 'accuracy' if study.direction.name == 'MAXIMIZE'
                else 'loss', base.run.best_by)])
        if not study.trials:
            study.set_user_attr(IDENTITY_ATTR, ident)
        return False
    found = run_folder.differences(old, ident)
    if found:
        raise StudyMismatch(out, study_name, found)
    return False


def _direction(base):
    return 'maximize' if base.run.best_by == 'accuracy' else 'minimize'


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
    from chainer_irnn.training import snapshots
    from chainer_irnn.training.extensions import OptunaPruning
    key = 'validation/main/' + base.run.best_by
    direction = _direction(base)

    def objective(trial):
        values = suggest(trial, base, len(train), fixed)
        # a drawn batch size is used as drawn (the settings printed repeat the trial)
        config = base.replace(**values, **({'auto_batchsize': False} if 'batchsize' in values
                                           else {}))
        trial.set_user_attr('settings', {k: list(v) if isinstance(v, tuple) else v
                                         for k, v in values.items()})
        trial_out = os.path.join(out, 'trials', '{:04d}'.format(trial.number))
        if os.path.isdir(trial_out):       # a retried trial starts afresh
            shutil.rmtree(trial_out, ignore_errors=True)
        pruning = OptunaPruning(trial, key, direction)
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
            for _, path in snapshots.find_snapshots(trial_out):
                os.remove(path)
        best = result.best or {}
        trial.set_user_attr('seconds', result.seconds)
        for name in ('iteration', 'epoch', 'validation/main/loss', 'validation/main/accuracy'):
            if name in best:
                trial.set_user_attr(name.split('/')[-1], best[name])
        trial.set_user_attr('stopped', result.stopped)
        if key not in best or not math.isfinite(best[key]):
            raise optuna.TrialPruned('no finite validation {}'.format(base.run.best_by))
        logger.info('trial %d: validation %s %.4f (accuracy %s) in %.0f s: %s%s', trial.number,
                    base.run.best_by, best[key], _fmt(best.get('validation/main/accuracy')),
                    result.seconds, _brief(values),
                    ' [{}]'.format(pace.ended(_ended(trial))) if pace is not None else '')
        return best[key]
    return objective


def _fmt(v):
    return '-' if v is None else '{:.3f}'.format(v)


def _brief(values):
    return ', '.join('{}={}'.format(k, '{:.3g}'.format(v) if isinstance(v, float) else
                                    ','.join(map(str, v)) if isinstance(v, tuple) else v)
                     for k, v in values.items())


def _study(optuna, out, base, study_name, seed, worker=0):
    """The study in ``out`` (created on first use) with this process's sampler."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # a resumed search or another process must not replay the same draws
    done = 0
    if os.path.exists(os.path.join(out, STUDY_FILE)):
        try:
            done = len(optuna.load_study(study_name=study_name,
                                         storage=_storage(optuna, out)).trials)
        except KeyError:
            pass
    sampler = optuna.samplers.TPESampler(
        seed=(seed + 7919 * worker + 104729 * done) % 2 ** 32, n_startup_trials=8,
        multivariate=True)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=4)
    return optuna.create_study(storage=_storage(optuna, out), study_name=study_name,
                               direction=_direction(base), sampler=sampler, pruner=pruner,
                               load_if_exists=True)


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
         test=None):
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
    if base.run.ensemble > 1 and 'ensemble' in fixed:
        raise ParameterError('ensemble', 'tune judges single models (a trial is one run); '
                             'train the best settings as an ensemble afterwards')
    # each trial is one model, whatever the preset's ensemble
    base = base.replace(progress=False, report=False, plots=False, keep_snapshots=1,
                        ensemble=1)
    meta = infer_meta(train, base) if meta is None else meta
    unknown = [k for k in fixed if k not in SEARCHED]
    if unknown:
        raise ParameterError('fixed', 'not searched: {} (searched: {})'.format(
            ', '.join(unknown), ', '.join(SEARCHED)))
    _make_out(out)
    resumed = _has_trials(optuna, out, study_name)
    created = _claim_study(optuna, out, base, study_name,
                           _identity(train, val, meta, base, tuple(fixed)))
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


def _make_out(out):
    """``os.makedirs(out)`` with every failure a :class:`UserError`."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise UserError('{}: cannot use it as the study folder ({}){}'.format(
            out, e.strerror or e, '; it is a file: choose a folder' if
            os.path.isfile(out) else ''))


def _has_trials(optuna, out, study_name):
    if not os.path.exists(os.path.join(out, STUDY_FILE)):
        return False
    try:
        return bool(optuna.load_study(study_name=study_name,
                                      storage=_storage(optuna, out)).trials)
    except KeyError:
        return False


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
    logger.info('best of %d trials (%d complete, %d pruned, %d failed): trial %d, validation '
                '%s %.4f (accuracy %s): %s; model written to %s', len(trials),
                count[TrialState.COMPLETE], count[TrialState.PRUNED], count[TrialState.FAIL],
                best.number, base.run.best_by, best.value, _fmt(best.user_attrs.get('accuracy')),
                _brief({k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}),
                os.path.join(out, models.MODEL_FILE))
    return TuneResult(study=study, best_params=settings, best_value=best.value,
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


def _rows(study):
    rows = []
    for t in study.get_trials(deepcopy=False):
        settings = t.user_attrs.get('settings', {})
        row = {'trial': t.number, 'state': t.state.name.lower(),
               'value': t.value if t.value is not None else
               (t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values
                else None),
               'accuracy': t.user_attrs.get('accuracy'), 'epoch': t.user_attrs.get('epoch'),
               'seconds': t.user_attrs.get('seconds')}
        for k, v in settings.items():
            row[k] = ','.join(map(str, v)) if isinstance(v, list) else v
        rows.append(row)
    return rows


def write_table(study, out):
    """``trials.csv`` (every trial) and ``trials.md`` (ranked) in ``out``."""
    import csv
    rows = _rows(study)
    keys = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    with open(os.path.join(out, 'trials.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)
    sign = -1 if study.direction.name == 'MAXIMIZE' else 1
    ranked = sorted(rows, key=lambda r: (r['state'] != 'complete',
                                         sign * r['value'] if r['value'] is not None else math.inf))

    def cell(v):
        return '' if v is None else '{:.4g}'.format(v) if isinstance(v, float) else str(v)
    lines = ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys)]
    lines += ['| ' + ' | '.join(cell(r.get(k)) for k in keys) + ' |' for r in ranked]
    with open(os.path.join(out, 'trials.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def plot_study(study, path):
    """The study as a PNG: each trial's value (pruned ones at their last
    report) and the best so far."""
    from matplotlib.figure import Figure
    rows = _rows(study)
    fig = Figure(figsize=(6.4, 4.8))
    ax = fig.add_subplot()
    for state, style in (('complete', 'o'), ('pruned', 'x')):
        pts = [(r['trial'], r['value']) for r in rows if r['state'] == state and
               r['value'] is not None]
        if pts:
            ax.plot(*zip(*pts), style, label=state, alpha=0.8)
    done = sorted((r['trial'], r['value']) for r in rows
                  if r['state'] == 'complete' and r['value'] is not None)
    if done:
        pick = max if study.direction.name == 'MAXIMIZE' else min
        best, xs, ys = None, [], []
        for n, v in done:
            best = v if best is None else pick(best, v)
            xs.append(n)
            ys.append(best)
        ax.step(xs, ys, where='post', label='best so far')
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('trial')
    ax.set_ylabel('validation ' + ('accuracy' if study.direction.name == 'MAXIMIZE'
                                   else 'loss'))
    ax.set_title('Study {}: {} trials'.format(study.study_name, len(rows)))
    ax.legend()
    ax.grid(alpha=0.3)
    tmp = path + '.tmp.png'
    fig.savefig(tmp)
    os.replace(tmp, path)


__all__ = ['tune', 'suggest', 'TuneResult', 'StudyMismatch', 'OtherStudy', 'write_table',
           'plot_study', 'SEARCHED']
