#!/usr/bin/env python
"""Writes a toy sequence-classification CSV shaped like a user's data.

5000 sequences (default) of 20 steps x 3 float features, labels 0/1:

    label = 1  if  (sum_t a_t) * (sum_t b_t) > 0  else 0

i.e. whether the running totals of features ``a`` and ``b`` end with the same
sign; feature ``c`` is noise.  An RNN learns it (identity recurrence keeps
running sums; the layers above compare their signs).  A linear model on the
60 flattened values cannot: the label is the XOR of the signs of two linear
functions, so any linear score is uncorrelated with it (about 50% accuracy).

Layouts (docs/csv.md)::

    wide  one row per sequence: label, a1, b1, c1, a2, b2, c2, ...
          -> chainer-irnn train --csv toy.csv --features-per-step 3
    long  one row per step: id, t, a, b, c, label
          -> chainer-irnn train --csv toy.csv   (long: detected from 'id')

Usage: python scripts/make_toy_csv.py toy.csv [--n 5000] [--steps 20]
       [--layout wide|long] [--seed 0] [--test-out toy_test.csv --n-test 1000]
"""
import argparse

import numpy


def make(n, steps, seed):
    rng = numpy.random.RandomState(seed)
    x = rng.normal(size=(n, steps, 3)).round(4)
    s = x[:, :, 0].sum(axis=1) * x[:, :, 1].sum(axis=1)
    return x, (s > 0).astype(int)


def write(path, x, y, layout, first_id=0):
    import pandas as pd
    n, steps, _ = x.shape
    names = ('a', 'b', 'c')
    if layout == 'wide':
        cols = {'label': y}
        for t in range(steps):
            for j, name in enumerate(names):
                cols['{}{}'.format(name, t + 1)] = x[:, t, j]
        frame = pd.DataFrame(cols)
    else:
        frame = pd.DataFrame({
            'id': numpy.repeat(numpy.arange(first_id, first_id + n), steps),
            't': numpy.tile(numpy.arange(1, steps + 1), n),
            'a': x[:, :, 0].ravel(), 'b': x[:, :, 1].ravel(), 'c': x[:, :, 2].ravel(),
            'label': numpy.repeat(y, steps)})
    frame.to_csv(path, index=False)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('out')
    p.add_argument('--n', type=int, default=5000, help='sequences (default 5000)')
    p.add_argument('--steps', type=int, default=20, help='steps per sequence (default 20)')
    p.add_argument('--layout', choices=('wide', 'long'), default='wide')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--test-out', help='also write an independent test file here')
    p.add_argument('--n-test', type=int, default=1000)
    args = p.parse_args(argv)
    x, y = make(args.n, args.steps, args.seed)
    write(args.out, x, y, args.layout)
    print('{}: {} sequences x {} steps x 3 features, {} layout, {:.1%} label 1'.format(
        args.out, args.n, args.steps, args.layout, y.mean()))
    if args.test_out:
        x, y = make(args.n_test, args.steps, args.seed + 1)
        write(args.test_out, x, y, args.layout, first_id=args.n)
        print('{}: {} test sequences'.format(args.test_out, args.n_test))


if __name__ == '__main__':
    main()
