"""The random draws of dropout and input noise, reproducible across resumes."""
import zlib

import numpy
from chainer import training


class IterationSeed(training.Extension):
    """Seeds the global generators that dropout and input noise draw from,
    from the run's seed and the iteration about to be trained.

    Chainer's ``F.dropout`` draws its masks from NumPy's global generator
    (``numpy.random``) on the CPU and from CuPy's (``cupy.random``) on a GPU;
    the models' input noise and the row RNN's input dropout draw from the
    same ``xp.random``.  A snapshot does not hold those generators' states,
    so a resumed run used to draw other masks than the uninterrupted one.
    Here every update draws from a generator seeded by ``(seed, iteration,
    rank)``: the iteration is in the snapshot, so a run resumed from any
    snapshot (or rolled back to one) draws exactly what the uninterrupted
    run drew, on NumPy and on CuPy alike, with nothing more to store.  It
    seeds before the first update of :meth:`Trainer.run` (:meth:`initialize`,
    after a snapshot was loaded) and after every update (it runs after the
    other extensions, so an evaluation cannot shift the next draws either).
    ``gpu``: the model runs on CuPy (its generator is seeded too).
    """

    trigger = 1, 'iteration'
    priority = -1000    # after every other extension (snapshots are at -100)

    def __init__(self, seed=0, rank=0, gpu=False):
        self.seed = int(seed)
        self.rank = int(rank)
        self.gpu = bool(gpu)

    def initialize(self, trainer):
        self.reseed(trainer.updater.iteration)

    def __call__(self, trainer):
        self.reseed(trainer.updater.iteration)

    def reseed(self, iteration):
        """Seeds NumPy's (and, where a GPU is in use, CuPy's) global
        generator for the update that follows ``iteration``."""
        key = numpy.array([self.seed % 2 ** 32, int(iteration) % 2 ** 32, self.rank % 2 ** 32,
                           int(iteration) // 2 ** 32], dtype=numpy.uint32)
        numpy.random.seed(key)
        if self.gpu:
            from chainer.backends import cuda
            cuda.cupy.random.seed(zlib.crc32(key.tobytes()))
