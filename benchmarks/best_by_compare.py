#!/usr/bin/env python
"""Which validation criterion keeps the better model: ``best_by='loss'`` (the
default) or ``'accuracy'``.  ``IRNNClassifier`` defaults on each
set's training split (its own stratified 10% validation split chooses the
kept model); the archive's test split is scored once per run and chooses
nothing.  One JSON line per run.

    python benchmarks/best_by_compare.py --data-dir DIR --sets ItalyPowerDemand GunPoint

``DIR`` holds ``NAME/NAME_TRAIN.ts`` and ``NAME/NAME_TEST.ts`` (e.g. the
``aeon/datasets/data`` folder of the aeon wheel).
"""
import argparse
import json
import os
import time

from chainer_irnn import IRNNClassifier, read_ts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-dir', required=True)
    p.add_argument('--sets', nargs='+', required=True)
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    args = p.parse_args(argv)
    for name in args.sets:
        base = os.path.join(args.data_dir, name, name)
        Xtr, ytr = read_ts(base + '_TRAIN.ts')
        Xte, yte = read_ts(base + '_TEST.ts')
        for seed in args.seeds:
            for by in ('loss', 'accuracy'):
                start = time.time()
                clf = IRNNClassifier(best_by=by, seed=seed).fit(Xtr, ytr)
                print(json.dumps(dict(
                    set=name, n_train=len(ytr), seed=seed, best_by=by,
                    best_iter=clf.best_['iteration'],
                    val_acc=clf.best_.get('validation/main/accuracy'),
                    test_acc=round(float(clf.score(Xte, yte)), 4),
                    seconds=round(time.time() - start, 1))), flush=True)


if __name__ == '__main__':
    main()
