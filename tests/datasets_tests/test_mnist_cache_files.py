"""Chainer's own MNIST cache (``train.npz``/``test.npz``) read through the
one safe loader (issue 22, item 1): a planted pickle never runs and a
damaged archive is passed over, never a traceback."""
import os

import numpy
import pytest

from chainer_irnn.datasets import mnist
from tests.datasets_tests.test_mnist import (  # noqa: F401  (fixtures)
    SYN, _chainer_npz, assert_synthetic, dead, full, no_real_mirrors)
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
