"""Snapshots: their names, finding them, and loading anything saved.

Every file chainer-irnn reads back (a snapshot, a model, settings or the
rollback history) goes through :func:`load_npz` or :func:`load_json`, which
turn every kind of damage into one :class:`~chainer_irnn.errors.UserError`
naming the file.
"""
import glob
import json
import os
import re
import shutil

from chainer_irnn.errors import UserError

SNAPSHOT_PATTERN = 'snapshot_iter_{.updater.iteration}'
_SNAPSHOT_RE = re.compile(r'^snapshot_iter_(\d+)$')


def find_snapshots(out):
    """Complete snapshots in ``out``, oldest first, as ``(iteration, path)``."""
    found = []
    for path in glob.glob(os.path.join(out, 'snapshot_iter_*')):
        m = _SNAPSHOT_RE.match(os.path.basename(path))
        if m and os.path.isfile(path):
            found.append((int(m.group(1)), path))
    return sorted(found)


def remove_partial_snapshots(out):
    """Deletes temporary snapshot directories a killed run left behind."""
    for path in glob.glob(os.path.join(out, 'tmpsnapshot_iter_*')):
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)


def load_npz(path, target, what='model'):
    """``chainer.serializers.load_npz`` with every failure a :class:`UserError`.

    A file that is missing, truncated, not a zip, corrupt inside (zlib,
    pickle) or written for another architecture gives one line naming it.
    """
    import chainer
    if not os.path.isfile(path):
        raise UserError('{}: no such {} file'.format(path, what))
    try:
        chainer.serializers.load_npz(path, target)
    except KeyError as e:
        raise UserError('{}: does not hold this {} (no entry {}); was it written for '
                        'another architecture?'.format(path, what, e))
    except ValueError as e:
        if 'pickle' in str(e) or 'interpret' in str(e):
            raise UserError('{}: not a readable {} file (damaged: {})'.format(path, what, e))
        raise UserError('{}: does not fit this {} ({}); was it written for another '
                        'architecture?'.format(path, what, e))
    except Exception as e:  # BadZipFile, OSError, EOFError, zlib.error, UnpicklingError, ...
        raise UserError('{}: not a readable {} file (truncated or damaged: {}: {})'.format(
            path, what, type(e).__name__, e))


def load_json(path, what='settings', default=None):
    """The JSON value in ``path`` (``default`` when the file is missing)."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        if default is not None:
            return default
        raise UserError('{}: missing ({} file)'.format(path, what))
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise UserError('{}: not a readable {} file (damaged: {}); remove it or start '
                        'afresh in another output folder'.format(path, what, e))


def write_json(path, value):
    """Writes ``value`` as JSON atomically (a temporary file, then a rename)."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(value, f, indent=1, sort_keys=True)
    os.replace(tmp, path)
