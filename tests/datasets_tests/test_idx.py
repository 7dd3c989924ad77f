import gzip
import struct

import numpy
import pytest

from chainer_irnn.datasets import idx
from chainer_irnn.errors import DataError, UserError


def _write_raw(path, data, compress=False):
    with open(path, 'wb') as f:
        f.write(gzip.compress(data) if compress else data)
    return str(path)


@pytest.mark.parametrize('dtype', ['u1', 'i1', 'i2', 'i4', 'f4', 'f8'])
@pytest.mark.parametrize('name', ['a.idx', 'a.idx.gz'])
def test_round_trip(tmp_path, dtype, name):
    rng = numpy.random.RandomState(0)
    array = (rng.uniform(-100, 100, size=(3, 4, 5))).astype(dtype)
    path = str(tmp_path / name)
    idx.write_idx(path, array)
    with open(path, 'rb') as f:
        assert (f.read(2) == idx.GZIP_MAGIC) == name.endswith('.gz')
    back = idx.read_idx(path)
    assert back.dtype == numpy.dtype(dtype) and back.dtype.isnative
    assert back.shape == (3, 4, 5)
    numpy.testing.assert_array_equal(back, array)
    back[0, 0, 0] = 1  # writable


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    array = numpy.arange(10, dtype=numpy.uint8)
    gz_named_raw = str(tmp_path / 'raw.gz')
    raw_named_gz = str(tmp_path / 'compressed.idx')
    idx.write_idx(gz_named_raw, array, compress=False)
    idx.write_idx(raw_named_gz, array, compress=True)
    numpy.testing.assert_array_equal(idx.read_idx(gz_named_raw), array)
    numpy.testing.assert_array_equal(idx.read_idx(raw_named_gz), array)


def test_header_is_the_mnist_layout(tmp_path):
    path = str(tmp_path / 'x')
    idx.write_idx(path, numpy.zeros((2, 28, 28), numpy.uint8))
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:4] == b'\x00\x00\x08\x03'
    assert struct.unpack('>3I', data[4:16]) == (2, 28, 28)
    assert len(data) == 16 + 2 * 784
    labels = idx.idx_bytes(numpy.array([1, 2], numpy.uint8))
    assert labels == b'\x00\x00\x08\x01' + struct.pack('>I', 2) + b'\x01\x02'


def test_big_endian_payload():
    data = idx.idx_bytes(numpy.array([1, -2], numpy.int32))
    assert data[8:] == struct.pack('>ii', 1, -2)
    numpy.testing.assert_array_equal(idx.parse_idx(data), [1, -2])


def test_gzip_output_is_reproducible(tmp_path):
    array = numpy.arange(100, dtype=numpy.uint8)
    a, b = str(tmp_path / 'a.gz'), str(tmp_path / 'b.gz')
    idx.write_idx(a, array)
    idx.write_idx(b, array)
    assert open(a, 'rb').read() == open(b, 'rb').read()


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match='int64'):
        idx.write_idx(str(tmp_path / 'x'), numpy.zeros(3, numpy.int64))


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    idx.write_idx(str(tmp_path / 'x.gz'), numpy.zeros(3, numpy.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['x.gz']


GOOD = idx.idx_bytes(numpy.arange(24, dtype=numpy.uint8).reshape(2, 3, 4))


@pytest.mark.parametrize('compress', [False, True], ids=['raw', 'gz'])
@pytest.mark.parametrize('data, words', [
    (b'\x00\x00', ['too short', '4-byte magic', 'found 2']),
    (b'\x89PNG\r\n\x1a\n' + b'\x00' * 20, ['not an IDX file', '89 50 4e 47']),
    (b'<!DOCTYPE html><html>not found</html>', ['not an IDX file', '3c 21 44 4f']),
    (b'\x00\x00\x08\x00' + b'\x00' * 8, ['not an IDX file', 'ndim >= 1']),
    (b'\x00\x00\x07\x01' + struct.pack('>I', 1) + b'\x00', ['unknown IDX type code 0x07',
                                                            '0x08']),
    (b'\x00\x00\x08\x03' + struct.pack('>I', 2), ['truncated IDX header', 'need 16 bytes',
                                                  'found 8']),
    (GOOD[:-5], ['truncated IDX payload', '(2, 3, 4)', 'need 24 bytes', 'found 19']),
    (GOOD + b'\x00', ['oversized IDX payload', 'need 24 bytes', 'found 25']),
    (GOOD[:16] + GOOD[16:], None),
], ids=['short', 'png', 'html', 'ndim0', 'type', 'header', 'truncated', 'oversized', 'good'])
def test_validation_errors(tmp_path, data, words, compress):
    path = _write_raw(tmp_path / 'f', data, compress)
    if words is None:
        assert idx.read_idx(path).shape == (2, 3, 4)
        return
    with pytest.raises(DataError) as info:
        idx.read_idx(path)
    message = str(info.value)
    assert message.startswith(path + ': ')
    assert info.value.path == path
    for word in words:
        assert word in message
    assert isinstance(info.value, UserError)


def test_truncated_gzip_stream(tmp_path):
    compressed = gzip.compress(GOOD * 50)
    path = _write_raw(tmp_path / 'cut.gz', compressed[:len(compressed) // 2])
    with pytest.raises(DataError, match='corrupt or truncated gzip') as info:
        idx.read_idx(path)
    assert info.value.path == path


def test_missing_file(tmp_path):
    path = str(tmp_path / 'nope')
    with pytest.raises(DataError, match='no such file'):
        idx.read_idx(path)


def test_expected_dtype_and_shape(tmp_path):
    path = str(tmp_path / 'images')
    idx.write_idx(path, numpy.zeros((5, 28, 27), numpy.uint8))
    assert idx.read_idx(path, numpy.uint8, (None, 28, 27)).shape == (5, 28, 27)
    with pytest.raises(DataError, match=r'expected \(\?, 28, 28\), found \(5, 28, 27\)'):
        idx.read_idx(path, shape=(None, 28, 28))
    with pytest.raises(DataError, match=r'expected \(\?,\), found \(5, 28, 27\)'):
        idx.read_idx(path, shape=(None,))
    with pytest.raises(DataError, match='expected int32, found uint8'):
        idx.read_idx(path, dtype=numpy.int32)
