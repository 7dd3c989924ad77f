#!/usr/bin/env python
"""IRNNClassifier variants on the issue-23 corpus, several seeds each: the
measurement behind the csv preset's defaults (docs/csv.md, *Corpus*).

    OMP_NUM_THREADS=1 python scripts/corpus_variants.py --variants last mean max \\
        --seeds 0 1 2 --results corpus.jsonl
    python scripts/corpus_variants.py --results corpus.jsonl --table

Each variant is ``IRNNClassifier(seed=S, **VARIANTS[name])`` fitted on a
set's published training split (its own stratified 10% validation split
chooses the kept model) and scored once on the test split.  One JSON line
per (set, variant, seed), appended to ``--results``; lines already there are
skipped, so the script resumes.  The sets are ``ucr_compare.py``'s archive
sets from the aeon wheel (the ``baseline`` extra); 1-NN DTW and MiniRocket
beside them come from ``chainer-irnn baseline``'s functions on the same
splits (``--baselines``).
"""
import argparse
import json
import os
import sys
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

SETS = ['UnitTest', 'ItalyPowerDemand', 'GunPoint', 'ArrowHead', 'BasicMotions',
        'PickupGestureWiimoteZ', 'JapaneseVowels', 'Covid3Month_disc', 'OSULeaf', 'ACSF1']
VARIANTS = {
    'last': {'pool': 'last'},
    'mean': {'pool': 'mean'},
    'max': {'pool': 'max'},
}


def _read(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _append(path, record):
    print(json.dumps(record), flush=True)
    with open(path, 'a') as f:
        f.write(json.dumps(record) + '\n')


def run_baselines(xtr, ytr, xte, yte, seed=0):
    """1-NN DTW and MiniRocket (``chainer_irnn.baselines``) on the raw series."""
    from chainer_irnn.baselines import baselines
    classes = {c: i for i, c in enumerate(sorted(set(ytr.tolist())))}
    train = [(x, classes[y]) for x, y in zip(xtr, ytr.tolist())]
    test = [(x, classes[y]) for x, y in zip(xte, yte.tolist())]
    rows = baselines(train, test=test, methods=('1nn-dtw', 'minirocket'), seed=seed)
    return {key: {'accuracy': row.get('test'), 'seconds': row['seconds']}
            for key, row in zip(('dtw', 'minirocket'), rows)}


def table(results):
    from collections import defaultdict
    cells, base, info = defaultdict(list), {}, {}
    for r in results:
        if r.get('variant') == 'baselines':
            base[r['set']] = r
            continue
        cells[r['set'], r['variant']].append(r)
        info[r['set']] = r['info']
    variants = sorted({v for _, v in cells}, key=lambda v: list(VARIANTS).index(v)
                      if v in VARIANTS else 99)
    head = '| set | 1-NN DTW | MiniRocket | ' + ' | '.join(
        '{} (mean, min-max, s)'.format(v) for v in variants) + ' |'
    lines = [head, '|' + '---|' * (3 + len(variants))]
    for name in [s for s in SETS if s in info]:
        b = base.get(name, {})
        row = ['{} ({})'.format(name, info[name])]
        for m in ('dtw', 'minirocket'):
            row.append('{:.3f}'.format(b[m]['accuracy']) if m in b else '—')
        for v in variants:
            rs = cells.get((name, v), [])
            if not rs:
                row.append('—')
                continue
            acc = [r['accuracy'] for r in rs]
            row.append('{:.3f} ({:.3f}-{:.3f}, n={}, {:.0f} s)'.format(
                numpy.mean(acc), min(acc), max(acc), len(acc),
                numpy.mean([r['seconds'] for r in rs])))
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sets', nargs='+', default=SETS)
    p.add_argument('--variants', nargs='+', default=['last'], choices=sorted(VARIANTS))
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--baselines', action='store_true', help='also 1-NN DTW and MiniRocket')
    p.add_argument('--results', default='corpus.jsonl')
    p.add_argument('--table', action='store_true')
    args = p.parse_args(argv)
    results = _read(args.results)
    if args.table:
        print(table(results))
        return
    from ucr_compare import load
    from chainer_irnn import IRNNClassifier
    done = {(r['set'], r['variant'], r.get('seed')) for r in results}
    for name in args.sets:
        xtr, ytr, xte, yte = load(name)
        lengths = sorted({len(x) for x in xtr})
        info = '{} x {}{}'.format(len(xtr), lengths[0] if len(lengths) == 1 else
                                  '{}-{}'.format(lengths[0], lengths[-1]),
                                  '' if xtr[0].shape[1] == 1 else ' x {}'.format(xtr[0].shape[1]))
        if args.baselines and (name, 'baselines', None) not in done:
            _append(args.results, dict(set=name, variant='baselines', info=info,
                                       **run_baselines(xtr, ytr, xte, yte)))
        for variant in args.variants:
            for seed in args.seeds:
                if (name, variant, seed) in done:
                    continue
                start = time.time()
                clf = IRNNClassifier(seed=seed, **VARIANTS[variant]).fit(xtr, ytr)
                seconds = time.time() - start
                best, log = clf.best_ or {}, clf.history_ or []
                _append(args.results, {
                    'set': name, 'variant': variant, 'seed': seed, 'info': info,
                    'accuracy': float(clf.score(xte, yte)), 'seconds': seconds,
                    'best_iteration': best.get('iteration'),
                    'last_iteration': log[-1].get('iteration') if log else None,
                    'stopped': clf.stopped_})


if __name__ == '__main__':
    main()
