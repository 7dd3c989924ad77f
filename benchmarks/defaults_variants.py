#!/usr/bin/env python
"""The comparison behind the csv preset's regularisation default (docs/csv.md,
"How the defaults were chosen"): IRNNClassifier with the preset and one
change each, on UCR sets' published splits, one run each.

    OMP_NUM_THREADS=1 python benchmarks/defaults_variants.py \\
        B_patience_after_min,C_no_selection,D_B+dropout0.2,E_B+noise0.1 \\
        ItalyPowerDemand,UnitTest,ArrowHead,GunPoint > variants.jsonl

Variant B runs with input_noise=0 (the dict below says so); results of the
run quoted in the docs are in benchmarks/results/defaults_variants.jsonl.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

VARIANTS = {'B_patience_after_min': {'input_noise': 0.0},
            'C_no_selection': {'validation_fraction': 0, 'input_noise': 0.0},
            'D_B+dropout0.2': {'dropout': 0.2, 'input_noise': 0.0},
            'E_B+noise0.1': {'input_noise': 0.1}}


def main():
    from ucr_compare import load
    from chainer_irnn import IRNNClassifier
    for name in sys.argv[2].split(','):
        xtr, ytr, xte, yte = load(name)
        for v in sys.argv[1].split(','):
            t = time.time()
            clf = IRNNClassifier(**VARIANTS[v]).fit(xtr, ytr)
            print(json.dumps({'set': name, 'variant': v, 'acc': clf.score(xte, yte),
                              's': time.time() - t, 'best': clf.best_}), flush=True)


if __name__ == '__main__':
    main()
