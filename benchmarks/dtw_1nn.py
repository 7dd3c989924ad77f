#!/usr/bin/env python
"""1-nearest-neighbour DTW accuracy on a UCR/UEA train/test pair: the baseline
the CSV checks in docs/csv.md are compared with, recomputed on the same files.

    python benchmarks/dtw_1nn.py GunPoint_TRAIN.ts GunPoint_TEST.ts

Full-window DTW with squared point distances summed over dimensions
(dependent DTW, "DTW_D", for multivariate series), as the archives' DTW
baselines; series of different lengths are compared as they are.  Needs
numba (the ``fast`` or ``dev`` extra).
"""
import argparse
import os
import sys
import time

import numpy

from chainer_irnn.baselines import _dtw_kernel   # the DTW of chainer-irnn baseline
from chainer_irnn.datasets.ts import read_ts
from chainer_irnn.errors import DataError


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('train_ts')
    p.add_argument('test_ts')
    args = p.parse_args(argv)
    try:
        (xs_train, ys_train), (xs_test, ys_test) = read_ts(args.train_ts), read_ts(args.test_ts)
    except DataError as e:
        sys.exit(str(e))
    xs_train = [numpy.ascontiguousarray(x, dtype=numpy.float64) for x in xs_train]
    xs_test = [numpy.ascontiguousarray(x, dtype=numpy.float64) for x in xs_test]
    dtw = _dtw_kernel()
    start = time.time()
    correct = 0
    for x, y in zip(xs_test, ys_test):
        best, label = numpy.inf, None
        for xt, yt in zip(xs_train, ys_train):
            d = dtw(x, xt, best)
            if d < best:
                best, label = d, yt
        correct += label == y
    print('{}: 1-NN DTW (full window) accuracy {:.4f} ({}/{}), {:.1f} s'.format(
        os.path.basename(args.test_ts), correct / len(ys_test), correct, len(ys_test),
        time.time() - start))


if __name__ == '__main__':
    main()
