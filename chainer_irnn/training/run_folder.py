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
  later.  Files that are not a run's are left alone.

The run's length (``epoch``, ``iteration``, ``min_iteration``) is not part
of its identity: a finished run may be extended.  Nor are display and
bookkeeping settings (progress, plots, report, log and snapshot intervals,
snapshots kept).
"""
import glob
import hashlib
import json
import logging
import os
import shutil

import numpy

from chainer_irnn.errors import Setting, UserError

logger = logging.getLogger(__name__)

RUN_FILE = 'run.json'
#: flat settings that do not shape the model a run ends with
NOT_SHAPING = ('preset', 'epoch', 'iteration', 'min_iteration', 'progress', 'plots', 'report',
               'log_interval', 'snapshot_interval', 'keep_snapshots')
#: files a training run writes into its folder (removed when starting over)
RUN_FILES = (RUN_FILE, 'settings.json', 'log', 'rollbacks.json', 'world.json', 'model.npz',
             'model.json', 'loss.png', 'accuracy.png', 'test.json')
_RUN_PATTERNS = ('snapshot_iter_*', 'tmpsnapshot_iter_*')
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
    od, nd = old.get('data', {}), new.get('data', {})
    for key, what in (('train', 'training'), ('validation', 'validation')):
        if key in od and od.get(key) != nd.get(key):
            n_old, n_new = od.get('n_' + key), nd.get('n_' + key)
            out.append('other {} data{}'.format(what, '' if n_old == n_new else
                                                ' ({} sequences there, {} here)'.format(
                                                    _show(n_old), _show(n_new))))
    if 'description' in od and od.get('description') != nd.get('description') and \
            not any(d.startswith('other training') for d in out):
        out.append('another data description (classes, columns or preprocessing)')
    os_, ns = old.get('settings', {}), new.get('settings', {})
    for key in sorted(set(os_) | set(ns)):
        if key in os_ and os_.get(key) != ns.get(key):
            out.append('{} {} there, {} here'.format(Setting(key), _show(os_.get(key)),
                                                     _show(ns.get(key))))
    return out


def _legacy_identity(out):
    """What a folder written before ``run.json`` says of its run: the
    shaping settings in ``settings.json`` (no data fingerprint), or None."""
    path = os.path.join(out, 'settings.json')
    try:
        with open(path, encoding='utf-8') as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(settings, dict):
        return None
    return {'settings': settings}


def holds_run(out):
    """Whether ``out`` holds files of a training run."""
    if not os.path.isdir(out):
        return False
    if any(os.path.lexists(os.path.join(out, name)) for name in RUN_FILES):
        return True
    return bool(glob.glob(os.path.join(glob.escape(out), 'snapshot_iter_*')))


def start_over(out):
    """Removes the files of the run ``out`` holds (nothing else); returns
    how many were removed."""
    removed = 0
    paths = [os.path.join(out, name + tail) for name in RUN_FILES
             for tail in ('', '.tmp', '.tmp.npz', '.tmp.png')]
    for pattern in _RUN_PATTERNS:
        paths.extend(glob.glob(os.path.join(glob.escape(out), pattern)))
    for path in paths:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def read(out):
    """The identity recorded in ``out`` (None when there is none)."""
    path = os.path.join(out, RUN_FILE)
    if not os.path.exists(path):
        return None
    from chainer_irnn.training import snapshots
    value = snapshots.load_json(path, 'run identity')
    if not isinstance(value, dict):
        raise UserError('{}: not a run identity (a JSON object); start over with {} or '
                        'train into another folder'.format(path, Setting('resume', 'none')))
    return value


def write(out, ident):
    from chainer_irnn.training import snapshots
    snapshots.write_json(os.path.join(out, RUN_FILE), ident)


def check(out, ident, what=None):
    """Raises :class:`RunMismatch` unless ``out`` holds no run or the run
    ``ident`` describes (``what`` names the folder in the message)."""
    old = read(out)
    if old is None:
        if not holds_run(out):
            return
        old = _legacy_identity(out)
        if old is None:
            return
        old = {'settings': {k: v for k, v in old['settings'].items() if k in ident['settings']}}
        logger.warning('%s was written before runs recorded their data (%s): resuming '
                       'it checks the settings only', out, RUN_FILE)
    found = differences(old, ident)
    if found:
        raise RunMismatch(what or out, found)


def claim(out, ident, resume):
    """Makes ``out`` this run's folder, as ``resume`` says: ``'none'``
    starts over (removing an earlier run's files); ``'auto'`` or a
    snapshot path continues the run ``out`` holds, which must be this one
    (:class:`RunMismatch` otherwise); so must the run of a snapshot given
    by path, where its folder records one."""
    if resume in (None, 'none'):
        if holds_run(out):
            n = start_over(out)
            logger.info('started over in %s: removed %d file(s) of the run it held', out, n)
    else:
        check(out, ident)
        if resume != 'auto':
            where = os.path.dirname(os.path.abspath(resume))
            if where != os.path.abspath(out) and os.path.exists(os.path.join(where, RUN_FILE)):
                check(where, ident, what='{} (the folder of {})'.format(where, resume))
    os.makedirs(out, exist_ok=True)
    write(out, ident)
