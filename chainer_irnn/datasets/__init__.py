"""Data sets: the MNIST files (:mod:`.mnist`) and the IDX format (:mod:`.idx`).

Importing this package loads NumPy only; Chainer is imported when datasets
are built.
"""
from chainer_irnn.datasets.idx import read_idx, write_idx  # NOQA
from chainer_irnn.datasets.mnist import (  # NOQA
    MNISTArrays, MNISTData, get_mnist, load_mnist, make_views)
