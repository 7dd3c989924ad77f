"""The download cache and Chainer's own ``train.npz``/``test.npz``."""
import logging
import os

import numpy

from chainer_irnn import io as irnn_io
from chainer_irnn.datasets import idx
from chainer_irnn.errors import DataError, UserError
from chainer_irnn.datasets.mnist.files import FILES, N_PIXELS, _candidates, _md5, _arrays

logger = logging.getLogger(__name__)

#: Where the full set is cached, relative to Chainer's dataset root.
CACHE_NAME = 'chainer-irnn/mnist'

#: Where ``chainer.datasets.get_mnist`` keeps its ``train.npz``/``test.npz``.
CHAINER_CACHE_NAME = 'pfnet/chainer/mnist'


def default_cache_dir():
    """``<chainer dataset root>/chainer-irnn/mnist`` (not created here)."""
    from chainer_irnn import compat
    chainer = compat.apply()
    return chainer.dataset.get_dataset_directory(CACHE_NAME, create_directory=False)


def default_chainer_cache_dir():
    """Chainer's own MNIST directory (``pfnet/chainer/mnist``)."""
    from chainer_irnn import compat
    chainer = compat.apply()
    return chainer.dataset.get_dataset_directory(CHAINER_CACHE_NAME, create_directory=False)


def _read_cache(cache_dir, checksums):
    """Uncompressed bytes of the cached files that pass their checksum."""
    good = {}
    if not os.path.isdir(cache_dir):
        return good
    for name in FILES.values():
        paths = _candidates(cache_dir, name)
        for path in paths:
            try:
                data = idx.read_bytes(path)
            except DataError:
                continue
            if _md5(data) == checksums[name]:
                good[name] = data
                break
        if paths and name not in good:
            logger.warning('cached %s is damaged; fetching it again', paths[0])
    return good


def _read_chainer_cache(directory, checksums):
    """The arrays from Chainer's ``train.npz``/``test.npz``, if they are official."""
    npz = {part: os.path.join(directory, part + '.npz') for part in ('train', 'test')}
    if not all(os.path.isfile(p) for p in npz.values()):
        return None
    raw = {}
    try:
        for part, path in npz.items():
            # the one safe loader: nothing unpickled, damage a UserError
            f = irnn_io.read_npz(path, "Chainer's MNIST cache", keys=('x', 'y'))
            x, y = f['x'], f['y']
            if x.dtype != numpy.uint8 or y.dtype != numpy.uint8 or x.ndim != 2 \
                    or x.shape[1] != N_PIXELS or y.shape != (len(x),):
                return None
            prefix = 'train' if part == 'train' else 't10k'
            raw[prefix + '-images-idx3-ubyte'] = idx.idx_bytes(x.reshape(-1, 28, 28))
            raw[prefix + '-labels-idx1-ubyte'] = idx.idx_bytes(y)
    except (OSError, KeyError, ValueError, UserError):
        return None
    if any(_md5(raw[name]) != checksums[name] for name in raw):
        return None
    return _arrays(raw, {n: npz['train' if n.startswith('train') else 'test'] for n in raw},
                   "full MNIST, from Chainer's cache in {}".format(directory))
