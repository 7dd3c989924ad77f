#!/usr/bin/env python
"""Runs the reliability audit's cases through the real command and
prints the table docs/reliability.md shows: each case, its exit status and the
first line of stderr.  A traceback anywhere is reported as such.

    python benchmarks/reliability_table.py [--keep DIR]

Every case runs ``python -m chainer_irnn`` in a fresh process on small files
made here (a 24-sequence long-layout CSV, a 4-iteration model).
"""
import argparse
import gzip
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy

FAST = ['--iteration', '4', '--no-progress', '--hidden', '6', '--batchsize', '8']


def long_csv(path, order=('a', 'b'), extra=False, labels=('0', '1'), cell=None):
    rng = numpy.random.RandomState(0)
    x = rng.normal(size=(24, 4, 2)).round(3)
    lines = [','.join(['id', 't'] + list(order) + (['extra'] if extra else []) + ['label'])]
    for i in range(24):
        y = labels[int(x[i, :, 0].sum() > x[i, :, 1].sum())]
        for t in range(4):
            vals = {'a': x[i, t, 0], 'b': x[i, t, 1]}
            lines.append(','.join(['s{}'.format(i), str(t)] +
                                  ['{:g}'.format(vals[c]) for c in order] +
                                  (['7'] if extra else []) + [y]))
    if cell is not None:                           # (line, column, text)
        line, column, text = cell
        cells = lines[line - 1].split(',')
        cells[column - 1] = text
        lines[line - 1] = ','.join(cells)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def cli(*args, cwd):
    r = subprocess.run([sys.executable, '-m', 'chainer_irnn'] + [str(a) for a in args],
                       cwd=cwd, capture_output=True, text=True)
    return r.returncode, r.stderr


def cases(d):
    """(case, command arguments or a callable returning (status, stderr))."""
    p = lambda *n: os.path.join(d, *n)  # NOQA: E731
    train = long_csv(p('train.csv'))
    model = p('model')
    cli('train', '--csv', train, '--out', model, *FAST, cwd=d)
    shutil.copytree(model, p('model22'))           # a pristine copy for the model-file rows
    predict = lambda csv, out=None: ('predict', '--model', model, '--csv', csv,  # NOQA: E731
                                     '--out', out or p('pred.csv'))
    yield 'predict: feature columns reordered (b, a)', predict(long_csv(p('ba.csv'), ('b', 'a')))
    yield 'predict: an extra column', predict(long_csv(p('extra.csv'), extra=True))
    renamed = p('renamed.csv')
    with open(renamed, 'w') as f:
        f.write(open(train).read().replace(',b,', ',B,', 1))
    yield 'predict: feature b renamed B', predict(renamed)
    yield 'predict: a cell 1e308', predict(long_csv(p('big.csv'), cell=(4, 4, '1e308')))
    yield 'train: a cell 1e39', ('train', '--csv', long_csv(p('big39.csv'), cell=(4, 4, '1e39')),
                                 '--out', p('t39'), *FAST)

    def two_runs():
        out = p('shared')
        args = [sys.executable, '-m', 'chainer_irnn', 'train', '--csv', train, '--out', out,
                '--no-progress', '--hidden', '6', '--batchsize', '8', '--iteration', '300']
        first = subprocess.Popen(args, cwd=d, stderr=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL)
        while not os.path.exists(os.path.join(out, '.lock.pid')) and first.poll() is None:
            pass
        status, err = cli(*args[3:], '--seed', '1', cwd=d)
        first.wait()
        return status, err
    yield 'train: a second run into the same --out while one runs', two_runs
    shutil.copytree(model, p('hello'))
    with open(p('hello', 'model.npz'), 'w') as f:
        f.write('hello\n')
    yield 'predict: model.npz replaced by text', ('predict', '--model', p('hello'), '--csv', train,
                                                  '--out', p('pred.csv'))
    shutil.copytree(model, p('flipped'))
    raw = bytearray(open(p('flipped', 'model.npz'), 'rb').read())
    raw[len(raw) // 2] ^= 0xFF
    open(p('flipped', 'model.npz'), 'wb').write(bytes(raw))
    yield 'predict: one byte of model.npz flipped', ('predict', '--model', p('flipped'), '--csv',
                                                     train, '--out', p('pred.csv'))
    resumed = p('resume')
    cli('train', '--csv', train, '--out', resumed, '--no-progress', '--hidden', '6',
        '--batchsize', '8', '--snapshot-interval', '2', '--iteration', '4', cwd=d)
    with open(os.path.join(resumed, 'snapshot_iter_4'), 'w') as f:
        f.write('hello\n')
    yield 'train: resume with the newest snapshot damaged', (
        'train', '--csv', train, '--out', resumed, '--no-progress', '--hidden', '6',
        '--batchsize', '8', '--snapshot-interval', '2', '--iteration', '6')
    text = 'label,a,b,c\n0,1,2,3\n1,4,5,6\n0,7,8,\n1,1,2,3\n0,3,2,1\n1,6,5,4\n0,1,1,\n1,2,2,2\n'
    with open(p('g.csv.gz'), 'wb') as f:
        f.write(gzip.compress(text.encode()))
    yield 'train: .csv.gz whose rows end in an empty cell, --fill zero', (
        'train', '--csv', p('g.csv.gz'), '--out', p('gz'), '--fill', 'zero', *FAST)
    yield 'predict: labels 0.0/1.0 for a model trained on 0/1', predict(
        long_csv(p('floats.csv'), labels=('0.0', '1.0')))
    yield 'train: a label NA', ('train', '--csv', long_csv(p('na.csv'), cell=(6, 5, 'NA')),
                                '--out', p('na'), *FAST)
    yield 'predict: --out in a missing folder', predict(train, p('no', 'pred.csv'))
    yield 'predict: --out is a folder', predict(train, d)
    yield 'predict: --out is the input file', predict(train, train)
    os.makedirs(p('rb'))
    with open(p('rb', 'rollbacks.json'), 'w') as f:
        f.write('[{')
    yield 'train: truncated rollbacks.json', ('train', '--csv', train, '--out', p('rb'), *FAST)
    with open(p('semi.csv'), 'w') as f:
        f.write('label;a;b\n0;1;2\n1;3;4\n')
    yield 'train: a semicolon-separated file without --sep', (
        'train', '--csv', p('semi.csv'), '--out', p('semi'), *FAST)
    # one run per folder, and folders that cannot take a run
    swapped = p('swapped.csv')
    with open(swapped, 'w') as f:
        f.write(open(train).read().replace(',0\n', ',X\n').replace(',1\n', ',0\n')
                .replace(',X\n', ',1\n'))
    yield 'train: the labels-swapped file into the --out of a finished run', (
        'train', '--csv', swapped, '--out', model, *FAST)
    yield 'train: another --lr into the --out of a finished run', (
        'train', '--csv', train, '--out', model, *FAST, '--lr', '0.01')
    with open(p('afile'), 'w') as f:
        f.write('x\n')
    yield 'train: --out is an existing file', ('train', '--csv', train, '--out', p('afile'), *FAST)
    os.symlink(p('loop2'), p('loop1'))
    os.symlink(p('loop1'), p('loop2'))
    yield 'train: --out is a symbolic link loop', ('train', '--csv', train, '--out', p('loop1'),
                                                   *FAST)

    def size_limit():
        r = subprocess.run(['bash', '-c', 'ulimit -f 8; exec "$@"', 'sh', sys.executable, '-m',
                            'chainer_irnn', 'train', '--csv', train, '--out', p('ulimit'),
                            '--snapshot-interval', '1', '--hidden', '64', '--iteration', '4',
                            '--no-progress', '--batchsize', '8'], cwd=d, capture_output=True,
                           text=True)
        return r.returncode, r.stderr
    yield 'train: a file size limit (ulimit -f 8) while writing snapshots', size_limit
    os.makedirs(p('baddb'))
    with open(p('baddb', 'study.db'), 'w') as f:
        f.write('not a database\n' * 100)
    yield 'tune: a study.db that is not SQLite', ('tune', '--csv', train, '--out', p('baddb'),
                                                  '--trials', '1', *FAST)
    cli('tune', '--csv', train, '--out', p('study'), '--trials', '1', *FAST, cwd=d)
    yield 'tune: --best-by accuracy into a loss study', (
        'tune', '--csv', train, '--out', p('study'), '--trials', '2', '--best-by', 'accuracy',
        *FAST)

    # files from others (a pickle never runs; model.json must describe model.npz)
    yield from model_file_cases(p, p('model22'), train)
    yield from later_cases(p, train)


class Payload(object):
    """Unpickles as ``os.system('touch MARKER')``: a real pickle payload."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, ('touch ' + shlex.quote(self.marker),)


def poisoned(path, key, marker):
    """Rewrites the .npz at ``path`` with ``key`` an object array of payloads."""
    with numpy.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    payload = numpy.empty(arrays[key].shape, dtype=object)
    for i in numpy.ndindex(*payload.shape):
        payload[i] = Payload(marker)
    arrays[key] = payload
    with open(path, 'wb') as f:        # (a path not ending in .npz would gain one)
        numpy.savez(f, **arrays)


def model_file_cases(p, pristine, train):
    def copy(name, strip=False, change=None):
        out = p(name)
        shutil.copytree(pristine, out)
        if strip:       # as saved before model.npz held its model.json
            path = os.path.join(out, 'model.npz')
            with numpy.load(path) as f:
                arrays = {k: f[k] for k in f.files if k != 'chainer_irnn.model.json'}
            numpy.savez(path, **arrays)
        if change is not None:
            path = os.path.join(out, 'model.json')
            with open(path) as f:
                description = json.load(f)
            change(description)
            with open(path, 'w') as f:
                json.dump(description, f)
        return out

    def with_payload(name, target, key, argv):
        def run():
            marker = p(name + '.MARKER')
            poisoned(os.path.join(target, key[0]), key[1], marker)
            status, err = cli(*argv, cwd=p())
            return status, ('PAYLOAD RAN: ' if os.path.exists(marker) else '') + err
        return run

    m = copy('pickled')
    yield 'predict: model.npz holding a pickled os.system (object array)', with_payload(
        'pickled', m, ('model.npz', 'head/b'),
        ('predict', '--model', m, '--csv', train, '--out', p('pickled.csv')))
    run = copy('planted')
    snaps = sorted(n for n in os.listdir(run) if n.startswith('snapshot_iter_'))
    for name in snaps[:-1]:
        os.remove(os.path.join(run, name))
    yield 'train: resume from a planted snapshot_iter_* holding a pickle', with_payload(
        'planted', run, (snaps[-1], 'updater/iteration'),
        ('train', '--csv', train, '--out', run, *FAST))
    predict = lambda m: ('predict', '--model', m, '--csv', train,  # NOQA: E731
                         '--out', p('json.csv'))
    for i, (label, change) in enumerate((
            ('3 classes for n_class 2', lambda d: d['tabular'].update(classes=['0', '1', '2'])),
            ('hidden [-8]', lambda d: d.update(hidden=[-8])),
            ('no tabular.mean', lambda d: d['tabular'].pop('mean')),
            ('hidden [2000000]', lambda d: d.update(hidden=[2000000])),
            ('hidden [8] over a 6-unit model.npz', lambda d: d.update(hidden=[8])))):
        name = 'json{}'.format(i + 1)
        yield 'predict: model.json with {} (a model saved before issue 22)'.format(label), \
            predict(copy(name, strip=True, change=change))
    yield 'predict: model.json of another save beside model.npz (classes swapped, as a save ' \
        'killed between its two renames leaves)', predict(copy('swapped_json', change=lambda d: (
            d['tabular'].update(classes=d['tabular']['classes'][::-1]))))


def later_cases(p, train):
    """The data, label and folder cases."""
    big = p('bigint.csv')
    with open(train) as f:
        text = f.read().replace(',0\n', ',90071992547409921\n').replace(
            ',1\n', ',90071992547409923\n')
    with open(big, 'w') as f:
        f.write(text)
    yield 'train: labels 90071992547409921 and 90071992547409923 (equal as floats)', (
        'train', '--csv', big, '--out', p('bigint'), *FAST)
    tsv = p('train.tsv')
    with open(train) as f, open(tsv, 'w') as g:
        g.write(f.read().replace(',', '\t'))
    yield 'train: a TSV file without --sep, with --no-header', (
        'train', '--csv', tsv, '--no-header', '--out', p('tsv'), *FAST)
    mine = p('mine')
    os.makedirs(os.path.join(mine, 'log', 'keep'))
    with open(os.path.join(mine, 'log', 'keep', 'notes.txt'), 'w') as f:
        f.write('the user\'s own notes\n')
    with open(os.path.join(mine, 'test.json'), 'w') as f:
        f.write('{}\n')
    yield "train --resume none into a folder holding the user's log/ and test.json", (
        'train', '--csv', train, '--out', mine, '--resume', 'none', *FAST)
    folder = p('oldcode')
    os.makedirs(folder)
    with open(os.path.join(folder, 'a.py'), 'w') as f:
        f.write('import chainer\nv = chainer.Variable(x, volatile=True)\n')
    with open(os.path.join(folder, 'z.py'), 'w') as f:
        f.write('def broken(:\n')
    yield 'migrate DIR --in-place with one file that does not parse (a.py is valid)', (
        'migrate', folder, '--in-place')
    hostile = p('hostile')
    os.makedirs(hostile)
    for name in ('chainer', 'numpy', 'argparse'):
        with open(os.path.join(hostile, name + '.py'), 'w') as f:
            f.write('open({!r}, "w").close()\n'.format(os.path.join(hostile, name + '.RAN')))
    with open(os.path.join(hostile, 'old.py'), 'w') as f:
        f.write('x = 1\n')

    def migrate_among_hostile_modules():
        status, err = cli('migrate', 'old.py', cwd=hostile)
        ran = sorted(n for n in os.listdir(hostile) if n.endswith('.RAN'))
        return status, ('RAN: {} '.format(', '.join(ran)) if ran else '') + err
    yield 'python -m chainer_irnn migrate in a folder with chainer.py, numpy.py, argparse.py', \
        migrate_among_hostile_modules


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--keep', metavar='DIR', help='work in DIR and keep it')
    args = ap.parse_args(argv)
    d = args.keep or tempfile.mkdtemp(prefix='reliability-')
    os.makedirs(d, exist_ok=True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # (no empty entry: an empty PYTHONPATH component is the current folder)
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [root] + [e for e in os.environ.get('PYTHONPATH', '').split(os.pathsep) if e])
    print('| case | exit | stderr (last line; paths shortened) |')
    print('|---|---:|---|')
    try:
        for name, what in cases(d):
            status, err = what() if callable(what) else cli(*what, cwd=d)
            lines = [x for x in err.strip().splitlines() if x.strip()]
            shown = ('TRACEBACK: ' + lines[-1] if 'Traceback' in err
                     else (lines[-1] if lines else ''))
            shown = shown.replace(d + os.sep, '').replace(d, 'DIR').replace('|', '\\|')
            print('| {} | {} | {} |'.format(name, status, shown))
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    main()
