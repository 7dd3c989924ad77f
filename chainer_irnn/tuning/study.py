"""The study database of a search (``OUT/study.db``): opening it, the
identity of what a study searches on, and claiming a folder's one study
(:class:`StudyMismatch`, :class:`OtherStudy`)."""
import os

from chainer_irnn.errors import Setting, UserError
from chainer_irnn.tuning.space import SEARCHED

STUDY_FILE = 'study.db'


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


def _identity(train, val, meta, base, fixed, folds=None):
    """What a study searches on: the data fingerprint, ``best_by``, the
    settings every trial shares (the searched ones excepted) and the folds
    that judge a trial (None: the validation data)."""
    from chainer_irnn.training import run_folder
    ident = run_folder.identity(base, train, val, meta)
    drawn = [k for k in SEARCHED if k not in fixed and not (
        k == 'class_weight' and base.run.best_by != 'accuracy')]   # drawn only then (space)
    ident['settings'] = {k: v for k, v in ident['settings'].items() if k not in drawn}
    ident['settings']['fixed'] = sorted(fixed)
    ident['settings']['folds'] = folds
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


def _has_trials(optuna, out, study_name):
    if not os.path.exists(os.path.join(out, STUDY_FILE)):
        return False
    try:
        return bool(optuna.load_study(study_name=study_name,
                                      storage=_storage(optuna, out)).trials)
    except KeyError:
        return False
