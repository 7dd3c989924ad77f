"""Order samplers (Chainer's home: ``chainer.iterators.order_samplers``)."""
import zlib

import numpy


class ChainedShuffleOrderSampler(object):
    """A shuffle order sampler whose next order depends only on the last one.

    Chainer's :class:`~chainer.iterators.ShuffleOrderSampler` draws from a
    random state that snapshots do not store, so a resumed run would shuffle
    later epochs differently from an uninterrupted one.  Here each epoch's
    order is seeded by ``seed`` and the previous order (which the iterator
    does store), so resuming reproduces the uninterrupted run exactly.
    """

    def __init__(self, seed=0):
        self.seed = int(seed)

    def __call__(self, current_order, current_position):
        digest = zlib.crc32(numpy.ascontiguousarray(current_order, dtype=numpy.int64).tobytes())
        rng = numpy.random.RandomState((digest + self.seed) % (2 ** 32))
        return rng.permutation(len(current_order))
