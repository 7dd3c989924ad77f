#!/usr/bin/env python
"""The batch and plateau comparison of docs/csv.md (*batch, plateaus,
criterion*): ``IRNNClassifier`` defaults with the batch rule and the update from which
plateaus count replaced, on archive sets (``DIR/NAME/NAME_TRAIN.ts`` and
``_TEST.ts``, e.g. the aeon wheel's ``aeon/datasets/data``) or on a
synthetic set (``synthetic``: 250 sequences of 40 steps, 3 sine frequencies
in noise; 1000 more for the test).  The model's own stratified 10%
validation split chooses; the test data are scored once.  One JSON line
per run.

    python benchmarks/defaults_issue23.py --data-dir DIR --sets UnitTest synthetic \\
        --batch-divisor 1 --plateau-fraction 1.0
"""
import argparse
import json
import os
import time

import numpy

import chainer_irnn.training.config as config_mod
import chainer_irnn.training.extensions as ext
from chainer_irnn import IRNNClassifier, read_ts


def synthetic(n, seed, T=40):
    rng = numpy.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    f = numpy.array([0.10, 0.14, 0.18])[y]
    x = numpy.sin(2 * numpy.pi * f[:, None] * numpy.arange(T) + rng.uniform(0, 6.3, (n, 1)))
    return (x + rng.normal(0, 1.0, (n, T)))[:, :, None], y


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-dir')
    p.add_argument('--sets', nargs='+', required=True)
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    p.add_argument('--batch-divisor', type=int, default=1,
                   help='batch = min(32, n_train // D) (the default: D = 1)')
    p.add_argument('--plateau-fraction', type=float, default=1.0,
                   help='plateaus count from this fraction of min_iteration (default 1)')
    args = p.parse_args(argv)
    real = ext.BestModel

    class Patched(real):
        def __init__(self, *a, warmup=0, **k):
            super().__init__(*a, warmup=int(warmup * args.plateau_fraction), **k)
    ext.BestModel = Patched

    def batch_for(self, n):
        return self.batchsize if not self.auto_batchsize else \
            max(1, min(self.batchsize, int(n) // args.batch_divisor))
    config_mod.RunConfig.batch_for = batch_for
    for name in args.sets:
        if name == 'synthetic':
            (Xtr, ytr), (Xte, yte) = synthetic(250, 1), synthetic(1000, 2)
        else:
            base = os.path.join(args.data_dir, name, name)
            (Xtr, ytr), (Xte, yte) = read_ts(base + '_TRAIN.ts'), read_ts(base + '_TEST.ts')
        for seed in args.seeds:
            start = time.time()
            clf = IRNNClassifier(seed=seed).fit(Xtr, ytr)
            print(json.dumps(dict(
                set=name, batch_divisor=args.batch_divisor,
                plateau_fraction=args.plateau_fraction, seed=seed,
                best_iter=clf.best_['iteration'], last_iter=clf.history_[-1]['iteration'],
                test_acc=round(float(clf.score(Xte, yte)), 4),
                seconds=round(time.time() - start, 1))), flush=True)


if __name__ == '__main__':
    main()
