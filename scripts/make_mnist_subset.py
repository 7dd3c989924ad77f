#!/usr/bin/env python
"""Builds the MNIST subset embedded in the package from the full IDX files.

    python scripts/make_mnist_subset.py [MNIST_DIR] [--out DIR] [--seed 0]

MNIST_DIR holds the four official files (raw or .gz; default ../shared/mnist
next to the repository); their checksums must match the official ones.  The
subset takes, for every digit, ``--train-per-class`` training images (500)
and ``--test-per-class`` test images (100) drawn without replacement by
``numpy.random.RandomState(seed)``, digit 0 first, and keeps them in their
original MNIST order.  It writes four gzip IDX files (no name or time stamp
in the gzip header) and a README.md with their MD5s to ``--out`` (default
chainer_irnn/datasets/data), then prints the MD5s that
``chainer_irnn/datasets/mnist.py`` must list in ``EMBEDDED_MD5``.
"""
import argparse
import hashlib
import os
import sys

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from chainer_irnn.datasets import idx, mnist  # NOQA: E402

README = """\
# Embedded MNIST subset

A small class-balanced subset of the real MNIST handwritten digits, shipped so
that `chainer-irnn` trains and tests without a download (`--data embedded`,
and the fallback of `--data auto`).

* Training set: {n_train} images ({train_per_class} per digit), drawn from the
  60000 MNIST training images.
* Test set: {n_test} images ({test_per_class} per digit), drawn from the 10000
  MNIST test images.

## Source and licence

MNIST by Yann LeCun and Corinna Cortes,
<http://yann.lecun.com/exdb/mnist/>, licensed under the Creative Commons
Attribution-Share Alike 3.0 licence (CC BY-SA 3.0).  This subset is a
derivative work under the same licence: the images and labels are unchanged,
only a selection of them is kept.

## How it was made

`python scripts/make_mnist_subset.py MNIST_DIR --seed {seed}` from the four
official files, checked first against the MD5s of the uncompressed originals:

{official}

For each digit 0..9 in turn,
`numpy.random.RandomState({seed}).choice(indices_of_digit, k, replace=False)`
picks k = {train_per_class} training and then, in a second pass over the digits,
k = {test_per_class} test indices; the selected images keep their original MNIST
order.  Files are IDX (the original format), gzip-compressed with no name and
time stamp 0.

## Checksums

MD5 of the uncompressed IDX bytes (what the loader verifies, listed in
`chainer_irnn/datasets/mnist.py` as `EMBEDDED_MD5`):

{md5_raw}

MD5 of the `.gz` files as written (these depend on the zlib version; the
uncompressed ones above do not):

{md5_gz}
"""


def select(labels, per_class, rng):
    """Sorted indices of ``per_class`` examples of each digit."""
    picked = []
    for digit in range(10):
        pool = numpy.flatnonzero(labels == digit)
        if len(pool) < per_class:
            raise SystemExit('only {} examples of digit {} (need {})'.format(
                len(pool), digit, per_class))
        picked.append(rng.choice(pool, per_class, replace=False))
    return numpy.sort(numpy.concatenate(picked))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('mnist_dir', nargs='?',
                        default=os.path.join(ROOT, '..', 'shared', 'mnist'))
    parser.add_argument('--out', default=os.path.join(ROOT, 'chainer_irnn', 'datasets', 'data'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--train-per-class', type=int, default=500)
    parser.add_argument('--test-per-class', type=int, default=100)
    args = parser.parse_args(argv)

    paths = mnist.find_files(args.mnist_dir)
    missing = [n for n, p in paths.items() if p is None]
    if missing:
        raise SystemExit('{}: missing {}'.format(args.mnist_dir, ', '.join(missing)))
    for name, path in paths.items():
        found = hashlib.md5(idx.read_bytes(path)).hexdigest()
        if found != mnist.MNIST_MD5[name]:
            raise SystemExit('{}: MD5 {} is not that of the official {} ({})'.format(
                path, found, name, mnist.MNIST_MD5[name]))
    full = mnist.load_directory(args.mnist_dir)

    rng = numpy.random.RandomState(args.seed)
    train = select(full.train_labels, args.train_per_class, rng)
    test = select(full.test_labels, args.test_per_class, rng)
    arrays = {
        'train-images-idx3-ubyte': full.train_images[train],
        'train-labels-idx1-ubyte': full.train_labels[train].astype(numpy.uint8),
        't10k-images-idx3-ubyte': full.test_images[test],
        't10k-labels-idx1-ubyte': full.test_labels[test].astype(numpy.uint8),
    }
    os.makedirs(args.out, exist_ok=True)
    md5_raw, md5_gz, total = {}, {}, 0
    for name, array in arrays.items():
        path = os.path.join(args.out, name + '.gz')
        idx.write_idx(path, array)
        with open(path, 'rb') as f:
            gz = f.read()
        md5_raw[name] = hashlib.md5(idx.idx_bytes(array)).hexdigest()
        md5_gz[name] = hashlib.md5(gz).hexdigest()
        total += len(gz)
        print('{}  {}.gz  {} bytes, {} ({})'.format(md5_raw[name], name, len(gz),
                                                    array.shape, array.dtype))
    official = '\n'.join('    {}  {}'.format(m, n) for n, m in mnist.MNIST_MD5.items())
    text = README.format(
        n_train=len(train), n_test=len(test), seed=args.seed, official=official,
        train_per_class=args.train_per_class, test_per_class=args.test_per_class,
        md5_raw='\n'.join('    {}  {}'.format(m, n) for n, m in md5_raw.items()),
        md5_gz='\n'.join('    {}  {}.gz'.format(m, n) for n, m in md5_gz.items()))
    idx.write_atomic(os.path.join(args.out, 'README.md'), text.encode('utf-8'))
    print('total {} bytes in {}'.format(total, args.out))
    if md5_raw != mnist.EMBEDDED_MD5:
        print('\nUpdate EMBEDDED_MD5 in chainer_irnn/datasets/mnist.py:\nEMBEDDED_MD5 = {')
        for name, m in md5_raw.items():
            print("    '{}': '{}',".format(name, m))
        print('}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
