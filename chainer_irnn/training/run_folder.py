"""One run per output folder: what run a folder holds, and starting over.

A training run's folder (``out``) holds its snapshots, log, plots and model.
Resuming continues the run a folder holds; another run into the same folder
would mix with it (resume its snapshots with other data, keep its best
model, leave its later snapshots to be resumed later).  So the folder
records its run's *identity* in ``run.json``: a fingerprint of the training
and validation data (and of the data description stored with the model)
and every setting that shapes the result.  :func:`claim` compares a new run
with it:

* resuming (``resume='auto'`` or a snapshot path) continues only the same
  run; another one is refused in one line naming the difference and the
  remedies (another folder, or starting over);
* ``resume='none'`` starts over: the files of the run the folder held
  (snapshots, log, plots, model, settings, rollback history) are removed
  first, so nothing of it is left to mix with the new one or to be resumed
  later.  Only a folder whose ``run.json`` says it holds a run is emptied,
  and only of regular files (or links, never followed) with the exact
  names a run writes; folders are never removed, and nothing else is.

A folder with files named as a run's (``log``, ``test.json``,
``snapshot_iter_*``, ...) but no ``run.json`` is not known to be a run's:
it is refused in one line naming those files, not emptied and not written
into -- except a folder written before ``run.json`` existed, whose
``settings.json`` can be checked, which may be resumed (with a warning).

Each snapshot also carries its run's identity
(:class:`~chainer_irnn.training.trainer.RunIdentity`), compared as
``run.json`` is when it is loaded, so that a snapshot copied out of its
folder, or into another one, is still resumed only by its own run.

The run's length (``epoch``, ``iteration``, ``min_iteration``) is not part
of its identity: a finished run may be extended.  Nor are display and
bookkeeping settings (progress, plots, report, log and snapshot intervals,
snapshots kept).
"""
import hashlib
import json
import logging
import os
import re

import numpy

from chainer_irnn.errors import Setting, UserError

logger = logging.getLogger(__name__)

RUN_FILE = 'run.json'
#: flat settings that do not shape the model a run ends with
NOT_SHAPING = ('preset', 'epoch', 'iteration', 'min_iteration', 'progress', 'plots', 'report',
               'log_interval', 'snapshot_interval', 'keep_snapshots')
#: shaping settings added since ``run.json`` existed, with the value every
#: run recorded before had (so that resuming one with another value is refused)
ADDED_SETTINGS = {'class_weight': 'none', 'lr_anneal': 'none', 'ensemble_folds': 0,
                  'bidirectional': False}
#: files a training run writes into its folder (removed when starting over)
RUN_FILES = (RUN_FILE, 'settings.json', 'log', 'rollbacks.json', 'world.json', 'model.npz',
             'model.json', 'loss.png', 'accuracy.png', 'test.json')
#: temporaries of the files above (the plots write ``loss.png.tmp``)
_TAILS = ('', '.tmp', '.tmp.npz', '.tmp.png')
#: snapshots (and those a rollback set aside) a run writes; start over removes these
_SNAPSHOT_FILE = re.compile(r'^snapshot_iter_\d+(\.diverged)?$')
#: names that make a folder look like a run's (refused without ``run.json``)
_RUN_LIKE = re.compile(r'^((tmp)?snapshot_iter_|member-\d+$)')
#: data description keys that say where the data came from, not what it is
_WHERE = ('data_source',)


class RunMismatch(UserError):
    """The output folder holds another run; ``differences`` lists how it differs."""

    def __init__(self, out, differences):
        self.out = out
        self.differences = list(differences)
        super().__init__(
            '{} holds another run ({}); resume it with its own data and settings, train into '
            'another folder ({}), or start over there with {} (removes that run\'s snapshots, '
            'log and model)'.format(out, '; '.join(self.differences), Setting('out'),
                                    Setting('resume', 'none')))


def _update(h, value):
    a = numpy.asarray(value)
    if a.dtype == object:
        h.update(repr(a.tolist()).encode())
        return
    h.update('{}{}'.format(a.dtype.str, a.shape).encode())
    h.update(numpy.ascontiguousarray(a).tobytes())


def fingerprint(dataset):
    """A SHA-256 of a dataset of ``(x, label)`` examples (its arrays, in
    order), or None for no dataset."""
    if dataset is None:
        return None
    h = hashlib.sha256()
    parts = getattr(dataset, '_datasets', None)       # chainer's TupleDataset
    if parts is not None and all(isinstance(p, numpy.ndarray) for p in parts):
        for p in parts:
            _update(h, p)
        return h.hexdigest()
    for i in range(len(dataset)):
        for item in dataset[i]:
            _update(h, item)
    return h.hexdigest()


def _description_digest(meta):
    kept = {k: v for k, v in (meta or {}).items() if k not in _WHERE}
    text = json.dumps(kept, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def identity(config, train, val=None, meta=None, processes=1):
    """The identity of a run: its data fingerprints and shaping settings."""
    settings = {k: v for k, v in config.flat().items() if k not in NOT_SHAPING}
    settings['processes'] = int(processes)
    return {'version': 1,
            'data': {'train': fingerprint(train), 'n_train': len(train),
                     'validation': fingerprint(val),
                     'n_validation': None if val is None else len(val),
                     'description': _description_digest(meta)},
            'settings': settings}


def _show(value):
    return 'none' if value is None else ','.join(map(str, value)) \
        if isinstance(value, (list, tuple)) else str(value)


def differences(old, new):
    """How run identity ``new`` differs from ``old``, in words (empty: the same run)."""
    out = []
    od, nd = old.get('data') or {}, new.get('data') or {}
    for key, what in (('train', 'training'), ('validation', 'validation')):
        if key in od and od.get(key) != nd.get(key):
            n_old, n_new = od.get('n_' + key), nd.get('n_' + key)
            out.append('other {} data{}'.format(what, '' if n_old == n_new else
                                                ' ({} sequences there, {} here)'.format(
                                                    _show(n_old), _show(n_new))))
    if 'description' in od and od.get('description') != nd.get('description') and \
            not any(d.startswith('other training') for d in out):
        out.append('another data description (classes, columns or preprocessing)')
    os_, ns = dict(old.get('settings') or {}), new.get('settings') or {}
    for key, value in ADDED_SETTINGS.items():
        if key in ns:
            os_.setdefault(key, value)      # a run recorded before the setting existed
    for key in sorted(set(os_) | set(ns)):
        if key in os_ and os_.get(key) != ns.get(key):
            out.append('{} {} there, {} here'.format(Setting(key), _show(os_.get(key)),
                                                     _show(ns.get(key))))
    return out


#: what a run's ``settings.json`` always holds (one that does not is not a run's)
_LEGACY_KEYS = ('n_class', 'in_size', 'hidden', 'lr')


def _legacy_identity(out):
    """What a folder written before ``run.json`` says of its run: the
    shaping settings in ``settings.json`` (no data fingerprint), or None."""
    settings = _settings_file(out)
    if settings is None or not all(k in settings for k in _LEGACY_KEYS):
        return None
    return {'settings': settings}


def _settings_file(out):
    """The object ``OUT/settings.json`` holds, or None where it is missing,
    unreadable or not an object."""
    try:
        with open(os.path.join(out, 'settings.json'), encoding='utf-8') as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return None
    return settings if isinstance(settings, dict) else None


def run_entries(out):
    """The names in ``out`` that a training run writes (files or not),
    sorted; empty when ``out`` is no folder."""
    try:
        names = os.listdir(out)
    except OSError:
        return []
    return sorted(n for n in names if n in _NAMES or _RUN_LIKE.match(n))


_NAMES = frozenset(name + tail for name in RUN_FILES for tail in _TAILS)


def holds_run(out):
    """Whether ``out`` holds files named as a training run's."""
    return bool(run_entries(out))


class NotARunFolder(UserError):
    """``out`` holds files named as a run's but no ``run.json``: they are
    left alone, and the folder is not used."""

    def __init__(self, out, names):
        self.out, self.names = out, list(names)
        shown = ', '.join(self.names[:6]) + (', ...' if len(self.names) > 6 else '')
        super().__init__(
            '{} holds {} named as a training run\'s ({}) but no {}: not known to be a run '
            'of this tool (or written before {}), so nothing there is removed or '
            'resumed; train into another folder ({}) or remove them'.format(
                out, 'an entry' if len(self.names) == 1 else 'entries', shown, RUN_FILE,
                RUN_FILE, Setting('out')))


def _ours(path):
    """Whether ``path`` may be removed by starting over: a regular file or a
    link (removing a link never touches what it points to), not a folder."""
    try:
        return not os.path.isdir(path) or os.path.islink(path)
    except OSError:
        return False


def start_over(out):
    """Removes the files of the run ``out`` holds, which must record it in
    ``run.json``; returns how many were removed.

    Only regular files and links with the exact names a run writes
    (:data:`RUN_FILES` and their temporaries, ``snapshot_iter_<n>``) go,
    ``run.json`` last; folders are never removed, whatever their name.
    Raises :class:`NotARunFolder` (removing nothing) when ``out`` holds
    such names but no ``run.json``, and :class:`UserError` when its
    ``run.json`` is damaged.
    """
    if read(out) is None:
        found = run_entries(out)
        if found:
            raise NotARunFolder(out, found)
        return 0
    removed = 0
    names = sorted(n for n in os.listdir(out) if n in _NAMES or _SNAPSHOT_FILE.match(n))
    # run.json last: a start over killed midway is done again
    names.sort(key=lambda n: n == RUN_FILE)
    for name in names:
        path = os.path.join(out, name)
        if not _ours(path):
            logger.warning('%s: a folder, not a file of the run; left alone', path)
            continue
        try:
            os.remove(path)
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def _damaged(path, why):
    return UserError('{}: not a run identity ({}); train into another folder ({}), or '
                     'remove the folder\'s run files (snapshot_iter_*, log, model.*, '
                     'settings.json, {}) to start there afresh'.format(
                         path, why, Setting('out'), RUN_FILE))


def read(out):
    """The identity recorded in ``out`` (None when there is none); a
    damaged ``run.json`` is a :class:`UserError` naming it."""
    path = os.path.join(out, RUN_FILE)
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        raise _damaged(path, 'a folder, not a file')
    try:
        with open(path, encoding='utf-8') as f:
            value = json.load(f)
    except (OSError, ValueError) as e:     # UnicodeDecodeError is a ValueError
        raise _damaged(path, 'damaged: {}'.format(e))
    if not isinstance(value, dict):
        raise _damaged(path, 'not a JSON object')
    for key in ('data', 'settings'):
        if not isinstance(value.get(key), dict):
            raise _damaged(path, '"{}" is {}, not a JSON object'.format(
                key, 'missing' if key not in value else type(value[key]).__name__))
    return value


def write(out, ident):
    from chainer_irnn.training import snapshots
    snapshots.write_json(os.path.join(out, RUN_FILE), ident)


def check(out, ident, what=None, foreign_ok=False, description=None):
    """Raises :class:`RunMismatch` unless ``out`` holds no run or the run
    ``ident`` describes (``what`` names the folder in the message), and
    :class:`NotARunFolder` where ``out`` holds files named as a run's but
    records no run (unless ``foreign_ok``: a folder a snapshot is read from).
    ``description`` (the run's data description) lets the refusal name a
    likely cause (:func:`window_hint`).

    Returns whether ``out`` records a run (``run.json``, or the
    ``settings.json`` of a folder written before it) found to be this one:
    its snapshots that carry no identity may then be resumed.
    """
    old = read(out)
    if old is None:
        found = run_entries(out)
        if not found:
            return False
        old = _legacy_identity(out)
        if old is None:
            if foreign_ok:
                return False
            raise NotARunFolder(what or out, found)
        old = {'settings': {k: v for k, v in old['settings'].items() if k in ident['settings']}}
        logger.warning('%s was written before runs recorded their data (%s): resuming '
                       'it checks the settings only', what or out, RUN_FILE)
    found = differences(old, ident)
    if found:
        hint = window_hint(out, description) if description is not None else None
        raise RunMismatch(what or out, found + ([hint] if hint else []))
    return True


def _reading(description):
    """What a data description says of the data read, the window
    averaging and what it changes (the feature statistics) left out."""
    kept = {k: v for k, v in description.items()
            if k in ('data', 'in_size', 'n_class', 'n_train', 'classes', 'label_type',
                     'validation')}
    tabular = description.get('tabular')
    if isinstance(tabular, dict):
        kept['tabular'] = {k: v for k, v in tabular.items()
                           if k not in ('mean', 'std', 'window_mean')}
    return json.dumps(kept, sort_keys=True, default=str)


def window_hint(out, description):
    """Why the training data of this run (data description
    ``description``) may differ from that of the run in ``out``: the words
    for a :class:`RunMismatch` when the two read the same data the same way
    but for the window averaging (``max_steps``), else None.

    ``run.json`` holds fingerprints only; the run's ``settings.json`` holds
    its data description, whose ``tabular.window_mean`` says over how many
    steps it averaged (none: it read the series as they are, as every run
    before ``max_steps`` did).  Everything else the two descriptions say of
    the data (classes, features, counts) must agree; the files themselves
    are not compared, so the cause named is a likely one."""
    mine = description.get('tabular')
    if not isinstance(mine, dict):
        return None
    path = os.path.join(out, 'settings.json')
    theirs = _settings_file(out)
    if theirs is None or not isinstance(theirs.get('tabular'), dict):
        return None
    k_here, k_there = mine.get('window_mean', 1), theirs['tabular'].get('window_mean', 1)
    if k_here == k_there or _reading(theirs) != _reading(description):
        return None
    if k_there == 1:
        return ('likely cause: the series were read here averaged over windows of {} steps '
                '(max_steps), and {} records no averaging: that run read them as they are; '
                '{} resumes it'.format(k_here, path, Setting('max_steps', None)))
    return ('likely cause: the series were read here {}, and {} records windows of {} '
            'steps: read the data with the max_steps of that run (its data_args) to resume '
            'it'.format('as they are' if k_here == 1 else
                        'averaged over windows of {} steps'.format(k_here), path, k_there))


def claim(out, ident, resume, description=None):
    """Makes ``out`` this run's folder, as ``resume`` says: ``'none'``
    starts over (removing the files of the run its ``run.json`` records:
    :func:`start_over`); ``'auto'`` or a snapshot path continues the run
    ``out`` holds, which must be this one (:class:`RunMismatch`
    otherwise); so must the run of a snapshot given by path, where its
    folder records one.  A folder holding files named as a run's but no
    run record is refused (:class:`NotARunFolder`).

    Returns ``(ident, vouched)``: this run's identity, which its
    snapshots carry and a snapshot resumed must match, and the folders
    (absolute paths) found to hold this run, whose snapshots written
    before snapshots carried their identity may be resumed.  ``description``:
    as for :func:`check`.
    """
    vouched = set()
    if resume in (None, 'none'):
        n = start_over(out)
        if n:
            logger.info('started over in %s: removed %d file(s) of the run it held', out, n)
    else:
        if check(out, ident, description=description):
            vouched.add(os.path.abspath(out))
        if resume != 'auto':
            where = os.path.dirname(os.path.abspath(resume))
            if where != os.path.abspath(out) and check(
                    where, ident, what='{} (the folder of {})'.format(where, resume),
                    foreign_ok=True):
                vouched.add(where)
    os.makedirs(out, exist_ok=True)
    write(out, ident)
    return ident, frozenset(vouched)
