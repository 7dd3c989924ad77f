"""Reading and writing the files chainer-irnn keeps: the one safe ``.npz``
loader, JSON, and atomic writes.

Every ``.npz`` chainer-irnn reads (a model, a snapshot, a rollback target,
an estimator's pickled state) goes through :func:`read_npz` or
:func:`load_npz`.  Neither ever unpickles: Chainer's own
``serializers.load_npz`` calls ``numpy.load(allow_pickle=True)``, so a
model file holding an object array runs whatever its pickle says the
moment it is read.  Here each member's ``.npy`` header is read first
(:func:`npz_headers`) and a member that is not a plain array of numbers,
booleans or text (an object array, a structured dtype, a header that does
not match the member's size, anything but ``.npy``) is refused with one
line naming the file; the arrays are then read with ``allow_pickle=False``
and handed to Chainer's ``NpzDeserializer``, which checks each shape
exactly (Chainer's broadcasts a ``(1,)`` array into any parameter).

Nothing is allocated on a header's word either.  A member's header can
declare any size, and a compressed archive of a megabyte can unpack to a
gigabyte (a "decompression bomb"): before a member is read its declared
size is checked against a cap its caller gives (:data:`MAX_BYTES` by
default; the shape of the parameter it is read into, where that is known:
:func:`load_npz` reads each entry only when the target asks for it, after
comparing the header's shape with the target's), and a member that claims
more than :data:`MAX_RATIO` times its compressed size (more than deflate,
the compression of ``numpy.savez_compressed``, can give) is refused.

Writes go to a temporary file in the destination's folder, are flushed to
disk and renamed into place (:func:`write_file`, :func:`write_json`), so a
reader sees the old file or the new one, never a part.  Two files cannot be
renamed at once: :func:`write_pair` writes both before renaming either, and
the pair must carry its own check (a model's ``model.npz`` holds a copy of
its ``model.json``, compared at load).

The member checks are in :mod:`chainer_irnn.npz_members` (their names are
imported here too).  Both modules are the ground floor: they import nothing
from chainer-irnn but :mod:`chainer_irnn.errors` and each other (``io`` ->
``npz_members``).
"""
import json
import math
import os

import numpy

from chainer_irnn.errors import UserError
# the member checks, and the names readers of this module use (npz_headers, the limits)
from chainer_irnn.npz_members import (  # NOQA: F401
    MAX_BYTES, MAX_RATIO, PLAIN_KINDS, RATIO_FLOOR, check_member, display_name, human_size,
    member_header, member_limit, npz_headers, open_zip, read_member)


def read_npz(source, what='model', name=None, keys=None, max_bytes=None, shapes=None):
    """The arrays of an ``.npz`` as a dict, read with ``allow_pickle=False``
    after every member's header passed :func:`npz_headers`' checks.

    Args:
        keys: read only those entries (the headers of all are checked).
        max_bytes: the most bytes an entry read may declare: a number, or
            ``{key: number}`` (:data:`MAX_BYTES` for an entry not given).
        shapes (dict): ``{key: shape}``: an entry read must have that shape.

    Every entry to be read is checked against ``max_bytes`` and ``shapes``
    before any is read.  Raises :class:`UserError` as :func:`npz_headers`
    does, and for an entry that is too large or of another shape.
    """
    name = display_name(source, name)
    zf = open_zip(source, what, name)
    try:
        with zf:
            members = [(info, member_header(zf, info, what, name)) for info in zf.infolist()]
            members = [(info, key, shape, dtype) for info, (key, shape, dtype) in members
                       if keys is None or key in keys]
            for info, key, shape, dtype in members:
                check_member(key, shape, dtype, what, name, member_limit(max_bytes, key),
                             (shapes or {}).get(key))
            return {key: read_member(zf, info) for info, key, _, _ in members}
    except UserError:
        raise
    except Exception as e:  # BadZipFile, zlib.error, EOFError, ValueError, OSError, ...
        raise UserError('{}: not a readable {} file (truncated or damaged: {}: {})'.format(
            name, what, type(e).__name__, e))


class _LazyArrays(object):
    """The members of an open ``.npz`` as a read-only mapping whose values
    are read when first asked for (Chainer's deserializer asks only for the
    entries its target has, after our shape check)."""

    def __init__(self, zf, what, name, max_bytes):
        self.zf, self.what, self.name, self.max_bytes = zf, what, name, max_bytes
        self.members = {}
        for info in zf.infolist():
            key, shape, dtype = member_header(zf, info, what, name)
            self.members[key] = (info, shape, dtype)
        self.read = {}

    def shape(self, key):
        return self.members[key][1]

    def check(self, key, want=None):
        _, shape, dtype = self.members[key]
        check_member(key, shape, dtype, self.what, self.name,
                     member_limit(self.max_bytes, key), want)

    def __contains__(self, key):
        return key in self.members

    def __iter__(self):
        return iter(self.members)

    def __len__(self):
        return len(self.members)

    def keys(self):
        return self.members.keys()

    def __getitem__(self, key):
        if key not in self.read:
            self.check(key)
            try:
                self.read[key] = read_member(self.zf, self.members[key][0])
            except Exception as e:  # zlib.error, EOFError, ValueError, OSError, ...
                raise UserError('{}: not a readable {} file (truncated or damaged: {}: '
                                '{})'.format(self.name, self.what, type(e).__name__, e))
        return self.read[key]


class _ShapeMismatch(Exception):
    pass


def _deserializer():
    import chainer

    class Deserializer(chainer.serializers.NpzDeserializer):
        """Chainer's ``NpzDeserializer`` over a dict of arrays that records
        the entries it used and refuses an array whose shape is not the
        target's exactly (``numpy.copyto`` would broadcast it)."""

        def __init__(self, npz, path='', strict=True, ignore_names=None, used=None):
            super().__init__(npz, path=path, strict=strict, ignore_names=ignore_names)
            self.used = set() if used is None else used

        def __getitem__(self, key):
            key = key.strip('/')
            return Deserializer(self.npz, self.path + key + '/', strict=self.strict,
                                ignore_names=self.ignore_names, used=self.used)

        def __call__(self, key, value):
            full = self.path + key.lstrip('/')
            if full in self.npz:
                self.used.add(full)
                shape, have = getattr(value, 'shape', None), self.npz.shape(full)
                if value is None:            # an uninitialized parameter: any shape
                    pass
                elif shape is not None and not isinstance(value, numpy.generic):
                    if tuple(shape) != have:
                        raise _ShapeMismatch('entry {} has shape {}; this {{what}} needs '
                                             '{}'.format(full, have, tuple(shape)))
                elif math.prod(have) != 1:    # a number or a text: one element
                    raise _ShapeMismatch('entry {} has shape {}; this {{what}} needs one '
                                         'value'.format(full, have))
                self.npz.check(full)            # the size cap, before reading
            return super().__call__(key, value)

    return Deserializer


def load_npz(source, target, what='model', name=None, exact=False, ignore=(),
             max_bytes=None):
    """Loads an ``.npz`` into a Chainer object (a link, a trainer), as
    ``chainer.serializers.load_npz(source, target)`` does, but safely: no
    pickle is ever read, every array must have its target's shape, and an
    entry is read only after its header was compared with the target's
    shape (an entry whose shape the target leaves open, an uninitialized
    parameter, may declare at most ``max_bytes``, :data:`MAX_BYTES` by
    default).

    Args:
        source: a path, the file's bytes or a binary file object.
        target: what to load into (anything with ``serialize``).
        what (str): what the file is, for messages.
        name (str): how messages name the file (default: the path).
        exact (bool): also refuse entries the target has no place for
            (a model file of another architecture); entries in ``ignore``
            are exempt.
        ignore (iterable of str): entries that are not the target's.
        max_bytes: as for :func:`read_npz`.

    Returns:
        dict: the arrays read (those the target has).

    Raises:
        UserError: a missing, damaged or unsafe file, or one that does not
            fit ``target``, named in one line.
    """
    name = display_name(source, name)
    zf = open_zip(source, what, name)
    try:
        with zf:
            arrays = _LazyArrays(zf, what, name, max_bytes)
            d = _deserializer()(arrays)
            try:
                d.load(target)
            except _ShapeMismatch as e:
                raise UserError('{}: does not fit this {} ({}; nothing of it read); was it '
                                'written for another architecture?'.format(
                                    name, what, str(e).format(what=what)))
            except KeyError as e:
                raise UserError('{}: does not hold this {} (no entry {}); was it written for '
                                'another architecture?'.format(name, what, e))
            except (TypeError, ValueError) as e:
                raise UserError('{}: does not fit this {} ({}); was it written for '
                                'another architecture?'.format(name, what, e))
    except UserError:
        raise
    except Exception as e:  # BadZipFile, zlib.error, EOFError, ValueError, OSError, ...
        raise UserError('{}: not a readable {} file (truncated or damaged: {}: {})'.format(
            name, what, type(e).__name__, e))
    if exact:
        extra = sorted(set(arrays) - d.used - set(ignore))
        if extra:
            raise UserError('{}: holds entries this {} does not have ({}{}); was it written '
                            'for another architecture?'.format(
                                name, what, ', '.join(extra[:5]),
                                ', ...' if len(extra) > 5 else ''))
    return dict(arrays.read)


def load_json(path, what='settings', default=None, hint='remove it or start afresh in '
              'another output folder', max_bytes=None):
    """The JSON value in ``path`` (``default`` when the file is missing and
    ``default`` is not None); any damage (also nesting too deep for Python,
    and a file over ``max_bytes`` when given) is a :class:`UserError`
    naming it."""
    hint = '; ' + hint if hint else ''
    try:
        with open(path, encoding='utf-8') as f:
            if max_bytes is not None:
                size = os.fstat(f.fileno()).st_size
                if size > max_bytes:
                    raise UserError('{}: not a readable {} file ({}, more than the {} such a '
                                    'file may hold){}'.format(path, what, human_size(size),
                                                              human_size(max_bytes), hint))
            return json.load(f)
    except FileNotFoundError:
        if default is not None:
            return default
        raise UserError('{}: missing ({} file)'.format(path, what))
    except RecursionError:
        raise UserError('{}: not a readable {} file (damaged: JSON nested too deeply){}'.format(
            path, what, hint))
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise UserError('{}: not a readable {} file (damaged: {}){}'.format(
            path, what, e, hint))


def json_text(value):
    """``value`` as the JSON text chainer-irnn writes (sorted keys, indent 1)."""
    return json.dumps(value, indent=1, sort_keys=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass
    return True


def _remove_stale(folder, base):
    """Deletes the temporary files of ``base`` that a killed writer left."""
    prefix = '.{}.'.format(base)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        parts = name[len(prefix):].split('.')
        if name.startswith(prefix) and len(parts) == 3 and parts[2] == 'tmp' and \
                parts[0].isdigit() and not _alive(int(parts[0])):
            _remove(os.path.join(folder, name))


def _temporary(path):
    folder, base = os.path.split(os.path.abspath(path))
    _remove_stale(folder, base)
    for _ in range(100):
        tmp = os.path.join(folder, '.{}.{}.{}.tmp'.format(base, os.getpid(),
                                                          os.urandom(4).hex()))
        try:
            # permissions as for any new file (umask), not mkstemp's 0600
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(tmp)


def _fsync_folder(path):
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_temporary(path, data):
    """Writes ``data`` (bytes or text) to a new temporary file beside
    ``path``, on disk; returns its name."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    tmp, fd = _temporary(path)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def write_file(path, data):
    """Writes ``data`` (bytes, or text as UTF-8) to ``path`` atomically: a
    reader sees the old file or the whole new one, also after a crash."""
    tmp = _write_temporary(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    _fsync_folder(path)


def write_json(path, value):
    """Writes ``value`` as JSON to ``path`` atomically (see :func:`write_file`)."""
    write_file(path, json_text(value))


def write_pair(first, second):
    """Writes two files, ``(path, data)`` each: both are complete on disk
    before either is renamed into place, ``first`` then ``second``.

    A crash between the two renames leaves the new ``first`` beside the old
    ``second``: readers must be able to tell (a model's ``model.npz`` holds a
    copy of the ``model.json`` it was written with).
    """
    tmps = []
    try:
        for path, data in (first, second):
            tmps.append(_write_temporary(path, data))
        os.replace(tmps[0], first[0])
        os.replace(tmps[1], second[0])
    except BaseException:
        for tmp in tmps:
            _remove(tmp)
        raise
    _fsync_folder(first[0])
    if os.path.dirname(os.path.abspath(first[0])) != os.path.dirname(os.path.abspath(second[0])):
        _fsync_folder(second[0])
