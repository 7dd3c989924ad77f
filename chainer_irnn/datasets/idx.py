"""Reading and writing IDX files, the format of the original MNIST files.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim``
big-endian ``uint32`` sizes, then the array in C order, big-endian.  Files
may be gzip-compressed; :func:`read_idx` tells the two apart by their first
bytes (``1f 8b``), not by the file name.

Every problem with a file's contents is raised as
:class:`chainer_irnn.errors.DataError` naming the file and what was expected
and found.
"""
import gzip
import os
import struct
import tempfile
import zlib

import numpy

from chainer_irnn.errors import DataError

GZIP_MAGIC = b'\x1f\x8b'

#: IDX type code -> big-endian NumPy dtype.
TYPE_CODES = {
    0x08: numpy.dtype('u1'),
    0x09: numpy.dtype('i1'),
    0x0B: numpy.dtype('>i2'),
    0x0C: numpy.dtype('>i4'),
    0x0D: numpy.dtype('>f4'),
    0x0E: numpy.dtype('>f8'),
}
_CODE_OF_DTYPE = {dtype.newbyteorder('='): code for code, dtype in TYPE_CODES.items()}


def read_bytes(path):
    """The uncompressed bytes of a file, gunzipped if it starts with ``1f 8b``.

    Args:
        path (str): File to read.

    Returns:
        bytes: The file's contents, decompressed when it is a gzip file.

    Raises:
        DataError: The file is missing or unreadable, or its gzip stream is
            corrupt or truncated.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError('no such file', path=path)
    except OSError as e:
        raise DataError('cannot read the file: {}'.format(e.strerror or e), path=path)
    return read_bytes_from(data, path)


def read_bytes_from(data, path=None):
    """``data`` gunzipped if it starts with ``1f 8b``, else unchanged.

    ``path`` (a file name or URL) is used in error messages only.

    Raises:
        DataError: The gzip stream is corrupt or truncated.
    """
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError('corrupt or truncated gzip data ({})'.format(e), path=path)
    return data


def parse_idx(data, path=None):
    """Decodes the bytes of an (uncompressed) IDX file.

    Args:
        data (bytes): The whole file.
        path (str): Used in error messages only.

    Returns:
        numpy.ndarray: A writable array in native byte order whose shape is the
        file's dimensions and whose dtype is given by its type code
        (``uint8``, ``int8``, ``int16``, ``int32``, ``float32``, ``float64``).

    Raises:
        DataError: Bad magic number, unknown type code, truncated header, or a
            payload longer or shorter than the dimensions say.
    """
    if len(data) < 4:
        raise DataError('too short for an IDX file: expected a 4-byte magic number, '
                        'found {} byte(s)'.format(len(data)), path=path)
    zero, code, ndim = data[:2], data[2], data[3]
    if zero != b'\x00\x00' or ndim == 0:
        raise DataError('not an IDX file: expected magic bytes 00 00 <type> <ndim> with '
                        'ndim >= 1, found {} ({!r})'.format(data[:4].hex(' '), data[:4]),
                        path=path)
    if code not in TYPE_CODES:
        raise DataError('unknown IDX type code 0x{:02x}: expected one of {}'.format(
            code, ', '.join('0x{:02x}'.format(c) for c in sorted(TYPE_CODES))), path=path)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError('truncated IDX header: {} dimension(s) need {} bytes, found {}'.format(
            ndim, header, len(data)), path=path)
    dims = struct.unpack('>{}I'.format(ndim), data[4:header])
    dtype = TYPE_CODES[code]
    expected = int(numpy.prod(dims, dtype=numpy.int64)) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        raise DataError('{} IDX payload: dimensions {} of {} need {} bytes, found {}'.format(
            'truncated' if found < expected else 'oversized', tuple(dims),
            dtype.newbyteorder('=').name, expected, found), path=path)
    array = numpy.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder('='), copy=True)


def read_idx(path, dtype=None, shape=None):
    """Reads an IDX file, raw or gzip-compressed.

    Args:
        path (str): File to read; gzip is recognised by its magic bytes.
        dtype: If given, the dtype the file must hold (e.g. ``numpy.uint8``).
        shape (tuple): If given, the dimensions the file must have; ``None``
            entries match any size (e.g. ``(None, 28, 28)``).

    Returns:
        numpy.ndarray: The array, native byte order, writable.

    Raises:
        DataError: The file is missing, corrupt, truncated, not an IDX file,
            or does not hold ``dtype``/``shape``.
    """
    array = parse_idx(read_bytes(path), path=path)
    check_array(array, dtype=dtype, shape=shape, path=path)
    return array


def check_array(array, dtype=None, shape=None, path=None):
    """Raises :class:`DataError` unless ``array`` has ``dtype`` and ``shape``.

    ``shape`` entries that are ``None`` match any size.
    """
    if dtype is not None and array.dtype != numpy.dtype(dtype):
        raise DataError('wrong IDX data type: expected {}, found {}'.format(
            numpy.dtype(dtype).name, array.dtype.name), path=path)
    if shape is not None:
        ok = len(shape) == array.ndim and all(
            s is None or s == n for s, n in zip(shape, array.shape))
        if not ok:
            want = '({}{})'.format(', '.join('?' if s is None else str(s) for s in shape),
                                   ',' if len(shape) == 1 else '')
            raise DataError('wrong IDX dimensions: expected {}, found {}'.format(
                want, tuple(array.shape)), path=path)


def idx_bytes(array):
    """The bytes of an uncompressed IDX file holding ``array``."""
    array = numpy.asarray(array)
    key = array.dtype.newbyteorder('=')
    if key not in _CODE_OF_DTYPE:
        raise ValueError('IDX cannot hold dtype {} (use uint8, int8, int16, int32, '
                         'float32 or float64)'.format(array.dtype))
    if not 1 <= array.ndim <= 255:
        raise ValueError('IDX needs 1 to 255 dimensions, got {}'.format(array.ndim))
    code = _CODE_OF_DTYPE[key]
    header = bytes((0, 0, code, array.ndim)) + struct.pack('>{}I'.format(array.ndim),
                                                           *array.shape)
    return header + numpy.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()


def write_idx(path, array, compress=None):
    """Writes ``array`` as an IDX file, atomically.

    Args:
        path (str): Destination.
        array (numpy.ndarray): ``uint8``, ``int8``, ``int16``, ``int32``,
            ``float32`` or ``float64``, 1 to 255 dimensions.
        compress (bool): gzip the file; by default, when ``path`` ends with
            ``.gz``.  The gzip header carries no name and no time stamp, so
            the same array gives the same bytes.
    """
    data = idx_bytes(array)
    if compress is None:
        compress = str(path).endswith('.gz')
    if compress:
        data = gzip_bytes(data)
    write_atomic(path, data)


def gzip_bytes(data):
    """gzip ``data`` reproducibly (no file name, time stamp 0)."""
    import io
    buf = io.BytesIO()
    with gzip.GzipFile(filename='', mode='wb', fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def write_atomic(path, data):
    """Writes ``data`` to ``path`` through a temporary file and a rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
