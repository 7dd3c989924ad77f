"""Snapshots: their names, finding them, and loading anything saved.

Every file chainer-irnn reads back (a snapshot, a model, settings or the
rollback history) goes through :func:`load_npz` or :func:`load_json`, which
turn every kind of damage into one :class:`~chainer_irnn.errors.UserError`
naming the file.
"""
import glob
import os
import re
import shutil

from chainer_irnn import io as irnn_io
from chainer_irnn.errors import UserError  # noqa: F401  (snapshots.UserError in trainer)

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
    """Loads an ``.npz`` into ``target`` through the one safe loader,
    :func:`chainer_irnn.io.load_npz`: nothing is unpickled, and a file that
    is missing, truncated, not a zip, corrupt inside, holding an object
    array or written for another architecture gives one line naming it.
    """
    irnn_io.load_npz(path, target, what)


def load_json(path, what='settings', default=None):
    """The JSON value in ``path`` (``default`` when the file is missing)."""
    return irnn_io.load_json(path, what, default)


def write_json(path, value):
    """Writes ``value`` as JSON atomically (a temporary file, then a rename)."""
    irnn_io.write_json(path, value)
