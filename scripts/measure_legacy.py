#!/usr/bin/env python
"""Run the examples that shipped with Chainer 1.x under ``legacy run`` and after ``migrate``.

Usage::

    python scripts/measure_legacy.py CHAINER_GIT_DIR [--tags v1.0.0,...]
        [--examples mnist,ptb,...] [--work /tmp/measure_legacy] [--json out.json]

CHAINER_GIT_DIR is a (bare) git directory of Chainer's history.  For each tag
and example the example's folder is exported into the work folder (never
into this repository), tiny seeded stand-in data are written next to it
(``mnist.pkl``, ``ptb.*.txt``, ``trees/*.txt``, a stub ``sklearn`` for
``fetch_mldata``, and the npz/vocab caches of ``chainer.datasets`` under a
private ``CHAINER_DATASET_ROOT``), and the run is made small: the size
constants (``n_epoch``, ``n_units``, ``batchsize``, ``N = 60000``, ...) are
replaced by regular expressions in the exported copy and ``--epoch/--unit/
--batchsize`` are passed where the script has them.  Nothing else in the
script changes.  Then

* ``legacy``: ``python -m chainer_irnn legacy run train_X.py ARGS``;
* ``migrate``: every ``.py`` of the folder through ``python -m chainer_irnn
  migrate`` into ``migrated/``, run with ``CHAINER_IRNN_NO_AUTOLOAD=1`` and
  only the modern-stack shims applied (the 1.x shims are asserted absent).

Prints a Markdown table (status and, on failure, the last line of stderr)
and optionally writes the results as JSON.
"""
import argparse
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TAGS = ['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0', 'v1.4.0', 'v1.5.0', 'v1.6.0',
                'v1.8.0', 'v1.10.0', 'v1.13.0', 'v1.16.0', 'v1.20.0', 'v1.24.0']
EXAMPLES = {
    'mnist': 'train_mnist.py',
    'ptb': 'train_ptb.py',
    'sentiment': 'train_sentiment.py',
    'word2vec': 'train_word2vec.py',
}
# size constants of the scripts -> small values (regex on the exported copy)
SHRINK = [
    (r'^(\s*n_epoch\s*=\s*)\d+', r'\g<1>1'),
    (r'^(\s*n_units\s*=\s*)\d+', r'\g<1>10'),
    (r'^(\s*batchsize\s*=\s*)\d+', r'\g<1>10'),
    (r'^(\s*bprop_len\s*=\s*)\d+', r'\g<1>5'),
    (r'^(\s*epoch_per_eval\s*=\s*)\d+', r'\g<1>1'),
    (r'^(\s*N\s*=\s*)60000', r'\g<1>200'),
    (r'^(\s*next_count\s*=\s*)100000', r'\g<1>1000'),
]
FLAGS = [('--epoch', '1'), ('--unit', '10'), ('--batchsize', '10'),
         ('--bproplen', '5'), ('--epocheval', '1'), ('--window', '2')]
NO_SHIM_RUNNER = (
    'import runpy, sys; import chainer_irnn.compat as c; c.apply(); import chainer; '
    'assert not hasattr(chainer, "FunctionSet"); '
    'assert "chainer_irnn.compat.v1" not in sys.modules; '
    'sys.argv = sys.argv[1:]; sys.path.insert(0, "."); '
    'runpy.run_path(sys.argv[0], run_name="__main__")')

WORDS = ['the', 'a', 'cat', 'dog', 'runs', 'sat', 'on', 'mat', 'N', '<unk>',
         'big', 'small', 'red', 'blue', 'eats', 'sees', 'and', 'or', 'of', 'to']


def ptb_text(rng, n_lines):
    return ''.join(' ' + ' '.join(rng.choice(WORDS, rng.randint(3, 10))) + ' \n'
                   for _ in range(n_lines))


def sentiment_tree(rng, depth=0):
    if depth > 2 or rng.rand() < 0.3:
        return '({} {})'.format(rng.randint(5), rng.choice(WORDS))
    return '({} {} {})'.format(rng.randint(5), sentiment_tree(rng, depth + 1),
                               sentiment_tree(rng, depth + 1))


def write_stand_in_data(folder, dataset_root):
    """Tiny seeded data in the places each version's example reads."""
    rng = np.random.RandomState(0)
    x = rng.randint(0, 256, (300, 784)).astype(np.uint8)
    y = rng.randint(0, 10, 300).astype(np.uint8)
    with open(os.path.join(folder, 'mnist.pkl'), 'wb') as f:
        pickle.dump({'data': x, 'target': y}, f, 2)
    stub = os.path.join(folder, '_stubs', 'sklearn')
    os.makedirs(stub, exist_ok=True)
    open(os.path.join(stub, '__init__.py'), 'w').close()
    with open(os.path.join(stub, 'datasets.py'), 'w') as f:
        f.write('"""Stand-in for fetch_mldata (measure_legacy)."""\n'
                'import pickle, types\n'
                'def fetch_mldata(name):\n'
                '    with open("mnist.pkl", "rb") as f:\n'
                '        d = pickle.load(f)\n'
                '    return types.SimpleNamespace(data=d["data"], target=d["target"])\n')
    texts = {}
    for split, n in (('train', 60), ('valid', 10), ('test', 10)):
        texts[split] = ptb_text(rng, n)
        with open(os.path.join(folder, 'ptb.{}.txt'.format(split)), 'w') as f:
            f.write(texts[split])
    os.makedirs(os.path.join(folder, 'trees'), exist_ok=True)
    for split, n in (('train', 20), ('dev', 5), ('test', 5)):
        with open(os.path.join(folder, 'trees', split + '.txt'), 'w') as f:
            f.write(''.join(sentiment_tree(rng) + '\n' for _ in range(n)))
    # chainer.datasets caches (get_mnist, get_ptb_words)
    mnist_root = os.path.join(dataset_root, 'pfnet', 'chainer', 'mnist')
    ptb_root = os.path.join(dataset_root, 'pfnet', 'chainer', 'ptb')
    os.makedirs(mnist_root, exist_ok=True)
    os.makedirs(ptb_root, exist_ok=True)
    np.savez_compressed(os.path.join(mnist_root, 'train.npz'), x=x[:200], y=y[:200])
    np.savez_compressed(os.path.join(mnist_root, 'test.npz'), x=x[200:], y=y[200:])
    vocab = {}
    for word in texts['train'].replace('\n', '<eos>').split():
        vocab.setdefault(word, len(vocab))
    for split in ('valid', 'test'):
        for word in texts[split].replace('\n', '<eos>').split():
            vocab.setdefault(word, len(vocab))
    with open(os.path.join(ptb_root, 'vocab.txt'), 'w') as f:
        f.write(''.join(w + '\n' for w in vocab))
    for split in ('train', 'valid', 'test'):
        ids = np.array([vocab[w] for w in texts[split].replace('\n', '<eos>').split()],
                       dtype=np.int32)
        np.savez_compressed(os.path.join(ptb_root, split + '.npz'), x=ids)


def export(git_dir, tag, example, folder):
    os.makedirs(folder, exist_ok=True)
    archive = subprocess.run(['git', '--git-dir', git_dir, 'archive', tag,
                              'examples/' + example], capture_output=True, check=True)
    subprocess.run(['tar', '-x', '--strip-components=2', '-C', folder],
                   input=archive.stdout, check=True)


def shrink(path):
    with open(path) as f:
        source = f.read()
    for pattern, repl in SHRINK:
        source = re.sub(pattern, repl, source, flags=re.M)
    with open(path, 'w') as f:
        f.write(source)
    return source


def script_args(source):
    args = ['--gpu', '-1'] if "'--gpu'" in source else []
    for flag, value in FLAGS:
        if "'{}'".format(flag) in source:
            args += [flag, value]
    if "'--test'" in source and 'get_ptb_words' in source:
        args.append('--test')
    return args


def run(cmd, cwd, env, timeout):
    start = time.time()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=timeout)
        rc, err, out = p.returncode, p.stderr, p.stdout
    except subprocess.TimeoutExpired as e:
        rc, err = 'timeout', (e.stderr or b'').decode('utf-8', 'replace') \
            if isinstance(e.stderr, bytes) else (e.stderr or '')
        out = ''
    lines = [ln for ln in err.splitlines() if ln.strip()
             and 'Warning' not in ln and not ln.startswith('  ')]
    return {'rc': rc, 'seconds': round(time.time() - start, 1),
            'error': (lines[-1] if lines else '') if rc != 0 else '',
            'stderr_tail': err[-3000:] if rc != 0 else '',
            'stdout_tail': (out or '')[-500:]}


def measure_one(git_dir, tag, example, work, timeout):
    folder = os.path.join(work, tag, example)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        export(git_dir, tag, example, folder)
    except subprocess.CalledProcessError:
        return None
    script = EXAMPLES[example]
    if not os.path.exists(os.path.join(folder, script)):
        return None
    for name in os.listdir(folder):
        if name.endswith('.py'):
            shrink(os.path.join(folder, name))
    dataset_root = os.path.join(folder, '_datasets')
    write_stand_in_data(folder, dataset_root)
    with open(os.path.join(folder, script)) as f:
        args = script_args(f.read())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.path.join(folder, '_stubs')]),
               CHAINER_DATASET_ROOT=dataset_root, MPLBACKEND='Agg')
    result = {'tag': tag, 'example': example, 'args': args}
    result['legacy'] = run([sys.executable, '-m', 'chainer_irnn', 'legacy', 'run',
                            script] + args, folder, env, timeout)
    migrated = os.path.join(folder, 'migrated')
    shutil.copytree(folder, migrated, ignore=shutil.ignore_patterns('migrated', '*.py'))
    findings, migrate_errors = 0, []
    for name in sorted(os.listdir(folder)):
        if name.endswith('.py'):
            p = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'migrate', name,
                                '-o', os.path.join(migrated, name)],
                               cwd=folder, env=env, capture_output=True, text=True)
            findings += p.stderr.count(': MIGRATE: ')
            if p.returncode != 0:
                migrate_errors.append(p.stderr.strip().splitlines()[-1])
    result['migrate_findings'] = findings
    if migrate_errors:
        result['migrate'] = {'rc': 'migrate failed', 'error': migrate_errors[0],
                             'seconds': 0}
    else:
        env2 = dict(env, CHAINER_IRNN_NO_AUTOLOAD='1')
        result['migrate'] = run([sys.executable, '-c', NO_SHIM_RUNNER, script] + args,
                                migrated, env2, timeout)
    return result


def status(r):
    return 'ok' if r['rc'] == 0 else 'FAIL ({})'.format(r['rc'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('git_dir')
    parser.add_argument('--tags', default=','.join(DEFAULT_TAGS))
    parser.add_argument('--examples', default=','.join(EXAMPLES))
    parser.add_argument('--work', default='/tmp/measure_legacy')
    parser.add_argument('--timeout', type=int, default=240)
    parser.add_argument('--json')
    args = parser.parse_args()
    results = []
    for tag in args.tags.split(','):
        for example in args.examples.split(','):
            r = measure_one(args.git_dir, tag, example, args.work, args.timeout)
            if r is None:
                continue
            results.append(r)
            print('{} {}: legacy {} ({}s) | migrate {} ({}s, {} MIGRATE) {} {}'.format(
                tag, example, status(r['legacy']), r['legacy']['seconds'],
                status(r['migrate']), r['migrate']['seconds'], r['migrate_findings'],
                r['legacy']['error'][:150], r['migrate']['error'][:150]),
                file=sys.stderr, flush=True)
    print('| tag | example | legacy run | after migrate (no shims) | MIGRATE items |')
    print('|---|---|---|---|---|')
    for r in results:
        def cell(x):
            return 'ok' if x['rc'] == 0 else 'fails: `{}`'.format(x['error'][:120])
        print('| {} | {} | {} | {} | {} |'.format(r['tag'], r['example'], cell(r['legacy']),
                                               cell(r['migrate']), r['migrate_findings']))
    n = len(results)
    print('\nlegacy run: {}/{} ok; after migrate: {}/{} ok'.format(
        sum(r['legacy']['rc'] == 0 for r in results), n,
        sum(r['migrate']['rc'] == 0 for r in results), n))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
