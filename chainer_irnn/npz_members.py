"""The members of an ``.npz`` archive, checked before anything is read.

:func:`npz_headers` (and :mod:`chainer_irnn.io`'s readers, through
:func:`open_zip`, :func:`member_header` and :func:`check_member`) read each
member's ``.npy`` header without its data and refuse a member that is not a
plain array of numbers, booleans or text (:data:`PLAIN_KINDS`), whose header
does not match the member's size, that claims more than :data:`MAX_RATIO`
times its compressed size, or that declares more bytes or another shape than
its reader allows (:data:`MAX_BYTES` by default).  :func:`read_member` then
reads one member with ``allow_pickle=False``.

Like :mod:`chainer_irnn.io`, this module imports nothing from chainer-irnn but
:mod:`chainer_irnn.errors`.
"""
import io
import math
import os
import zipfile

import numpy

from chainer_irnn.errors import UserError

#: Array kinds a member may hold: booleans, integers, floats, complex
#: numbers, text and bytes.  Never objects (pickles) or structured records.
PLAIN_KINDS = 'biufcUS'
#: The most bytes one member may unpack to unless its caller says otherwise
#: (the largest file chainer-irnn reads, Chainer's MNIST cache, holds a
#: 47 MB member; parameters are checked against their exact shapes).
MAX_BYTES = 256 * 2 ** 20
#: The most a member may unpack to per compressed byte: deflate gives at
#: most about 1032 (all zeros); more is a forged size or a bomb built with
#: another compression.  Members under :data:`RATIO_FLOOR` bytes are exempt.
MAX_RATIO = 1100
RATIO_FLOOR = 2 ** 20


def human_size(n):
    for unit, scale in (('GiB', 2 ** 30), ('MiB', 2 ** 20), ('KiB', 2 ** 10)):
        if n >= scale:
            return '{:.3g} {}'.format(n / scale, unit)
    return '{} bytes'.format(n)


def display_name(source, name):
    if name is not None:
        return str(name)
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else '<npz data>'


def open_zip(source, what, name):
    """``(zipfile, file object or None)`` for a path, bytes or a file object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)) and not os.path.isfile(source):
        raise UserError('{}: no such {} file'.format(name, what))
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        # NotImplementedError: a damaged directory entry claiming an unknown zip version
        raise UserError('{}: not a readable {} file (not an npz archive: {})'.format(
            name, what, e))


def member_header(zf, info, what, name):
    """``(key, shape, dtype)`` of one member, checked, without its data."""
    key = info.filename
    if not key.endswith('.npy'):
        raise UserError('{}: not a {} file of arrays (member {!r} is not a .npy array)'.format(
            name, what, key))
    key = key[:-len('.npy')]
    with zf.open(info) as f:
        version = numpy.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = numpy.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = numpy.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError('unsupported .npy format version {}'.format(version))
        offset = f.tell()
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None or \
            dtype.kind not in PLAIN_KINDS:
        raise UserError(
            '{}: refused: entry {!r} holds {} (Python objects are pickles, which run code when '
            'read); a {} file written by chainer-irnn or Chainer holds plain numeric '
            'arrays'.format(name, key, 'a Python object array' if dtype.hasobject
                            else 'records of dtype {}'.format(dtype), what))
    size = offset + math.prod(shape) * dtype.itemsize
    if info.file_size > RATIO_FLOOR and \
            info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise UserError('{}: refused: entry {!r} claims to unpack {} from {} ({:.0f} times its '
                        'compressed size; numpy.savez_compressed gives at most about 1000): a '
                        'forged size or a decompression bomb'.format(
                            name, key, human_size(info.file_size), human_size(info.compress_size),
                            info.file_size / max(info.compress_size, 1)))
    if size != info.file_size:
        raise UserError('{}: not a readable {} file (damaged: entry {!r} of shape {} needs {} '
                        'bytes, the archive holds {})'.format(
                            name, what, key, tuple(shape), size, info.file_size))
    return key, tuple(shape), dtype


def npz_headers(source, what='model', name=None):
    """The entries of an ``.npz`` as ``{key: (shape, dtype)}``, read from
    the member headers only (no array data, nothing unpickled).

    Args:
        source: a path, the file's bytes or a binary file object.
        what (str): what the file is, for messages (``'model'``,
            ``'snapshot'``).
        name (str): how messages name the file (default: the path).

    Raises:
        UserError: a missing or damaged file, or one with a member that is
            not a plain array (see :data:`PLAIN_KINDS`), named.
    """
    name = display_name(source, name)
    zf = open_zip(source, what, name)
    try:
        with zf:
            return {key: (shape, dtype) for key, shape, dtype in
                    (member_header(zf, info, what, name) for info in zf.infolist())}
    except UserError:
        raise
    except Exception as e:  # BadZipFile, zlib.error, EOFError, ValueError, OSError, ...
        raise UserError('{}: not a readable {} file (truncated or damaged: {}: {})'.format(
            name, what, type(e).__name__, e))


def check_member(key, shape, dtype, what, name, max_bytes=None, want=None):
    """Refuses, before anything is read, a member of another shape than
    ``want`` (when given) or declaring more than ``max_bytes``."""
    if want is not None and tuple(shape) != tuple(want):
        raise UserError('{}: refused: entry {!r} has shape {}; this {} needs {} (nothing read; '
                        'was it written for another architecture?)'.format(
                            name, key, tuple(shape), what, tuple(want)))
    limit = MAX_BYTES if max_bytes is None else max_bytes
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > limit:
        raise UserError('{}: refused: entry {!r} declares {} (shape {}, {}), more than the {} '
                        'such an entry of a {} file may hold (nothing read)'.format(
                            name, key, human_size(nbytes), tuple(shape), dtype, human_size(limit),
                            what))


def member_limit(max_bytes, key):
    if isinstance(max_bytes, dict):
        return max_bytes.get(key)
    return max_bytes


def read_member(zf, info):
    with zf.open(info) as f:
        return numpy.lib.format.read_array(f, allow_pickle=False)
