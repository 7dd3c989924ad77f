"""Chainer's own MNIST cache (``train.npz``/``test.npz``) read through the
one safe loader (issue 22, item 1): a planted pickle never runs, a
damaged archive or a decompression bomb is passed over, never a traceback
(and the bomb never read)."""
import os

import numpy
import pytest

from chainer_irnn.datasets import mnist
from tests.datasets_tests.test_mnist import (  # noqa: F401  (fixtures)
    SYN, _chainer_npz, assert_synthetic, dead, full, no_real_mirrors)
from tests.npz_bomb import peak_bytes, write_bomb
from tests.pickle_payload import payload_array, unpickled


def test_a_pickle_in_chainers_cache_never_runs(tmp_path, dead):  # noqa: F811
    _chainer_npz(tmp_path / 'chainer', SYN)
    marker = tmp_path / 'MARKER'
    path = str(tmp_path / 'chainer' / 'test.npz')
    with numpy.load(path) as f:
        y = f['y']
    numpy.savez(path, x=payload_array(marker, (len(y),)), y=y)
    with pytest.raises(mnist.DownloadError):
        full(tmp_path / 'cache', [dead], chainer_cache_dir=str(tmp_path / 'chainer'))
    assert not unpickled(marker)


@pytest.mark.parametrize('damage', ['crc', 'truncated'])
def test_a_damaged_chainer_cache_is_passed_over(tmp_path, dead, damage):  # noqa: F811
    _chainer_npz(tmp_path / 'chainer', SYN)
    path = str(tmp_path / 'chainer' / 'train.npz')
    data = bytearray(open(path, 'rb').read())
    if damage == 'crc':
        for i in range(60, len(data) - 200, 53):
            data[i] ^= 0xFF
    else:
        data = data[:len(data) // 2]
    open(path, 'wb').write(bytes(data))
    with pytest.raises(mnist.DownloadError):
        full(tmp_path / 'cache', [dead], chainer_cache_dir=str(tmp_path / 'chainer'))
    os.remove(path)
    _chainer_npz(tmp_path / 'chainer', SYN)
    assert_synthetic(full(tmp_path / 'cache', [dead],
                          chainer_cache_dir=str(tmp_path / 'chainer')))


def test_a_decompression_bomb_in_chainers_cache_is_passed_over_unread(tmp_path,
                                                                      dead):  # noqa: F811
    """x declaring 1 GiB in a 1 MB test.npz: refused from its header."""
    _chainer_npz(tmp_path / 'chainer', SYN)
    path = str(tmp_path / 'chainer' / 'test.npz')
    with numpy.load(path) as f:
        y = f['y']
    write_bomb(path, {'y': y}, 'x', (2 ** 30 // 784, 784), 'u1')
    assert os.path.getsize(path) < 2 * 2 ** 20
    peak, e = peak_bytes(full, tmp_path / 'cache', [dead],
                         chainer_cache_dir=str(tmp_path / 'chainer'))
    assert isinstance(e, mnist.DownloadError), e
    assert peak < 64 * 2 ** 20, peak
