#!/usr/bin/env python
"""Measure ``legacy run`` and ``migrate`` on old Chainer 1.x code.

Two sets of scripts:

* ``--corpus tests/legacy_corpus`` (the held-out set): Chainer 1.x scripts
  written by other people, copied byte for byte into the repository with
  their repository, path, commit and blob recorded in ``manifest.json``.
  Each is copied into the work folder, tiny seeded stand-in data are
  written next to it (the ``data`` entries of the manifest), loop counts
  that would run for hours are shrunk by the manifest's regular expressions
  (``shrink``; nothing else in the script changes) and it runs with the
  manifest's arguments.  Every failure is classified (``ours``, ``script``:
  the script's own, ``numpy2``, ``outside``: a dependency outside Chainer /
  NumPy / the standard library, or a GPU).

* ``CHAINER_GIT_DIR`` (Chainer's own examples): see below.

Usage::

    python benchmarks/measure_legacy.py --corpus tests/legacy_corpus [--only ID,...]
        [--work /tmp/measure_corpus] [--json out.json]
    python benchmarks/measure_legacy.py CHAINER_GIT_DIR [--tags v1.0.0,...]
        [--examples mnist,ptb,...] [--work /tmp/measure_legacy] [--json out.json]

For Chainer's examples, CHAINER_GIT_DIR is a (bare) git directory of
Chainer's history.  For each tag
and example the example's folder is exported into the work folder (never
into this repository), tiny seeded stand-in data are written next to it
(``mnist.pkl``, ``ptb.*.txt``, ``trees/*.txt``, a stub ``sklearn`` for
``fetch_mldata``, and the npz/vocab caches of ``chainer.datasets`` under a
private ``CHAINER_DATASET_ROOT``), and the run is made small: the size
constants (``n_epoch``, ``n_units``, ``batchsize``, ``N = 60000``, ...) are
replaced by regular expressions in the exported copy and ``--epoch/--unit/
--batchsize`` are passed where the script has them.  Nothing else in the
script changes.  Then, in both modes,

* ``legacy``: ``python -m chainer_irnn legacy run SCRIPT ARGS``;
* ``migrate``: every ``.py`` of the folder through ``python -m chainer_irnn
  migrate`` into ``migrated/``, run with ``CHAINER_IRNN_NO_AUTOLOAD=1`` and
  only the modern-stack shims applied (the 1.x shims are asserted absent).

Prints a Markdown table (status and, on failure, the last line of stderr)
and optionally writes the results as JSON.
"""
import argparse
import collections
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


# -- the held-out corpus (tests/legacy_corpus) ------------------------------
CORPUS_TEXT = ('First Citizen: Before we proceed any further, hear me speak. '
               'All: Speak, speak. First Citizen: You are all resolved rather '
               'to die than to famish? All: Resolved. resolved. ')


def _corpus_data(kind, folder):
    """Write the stand-in data ``kind`` ('name:relative/path') into ``folder``."""
    name, _, rel = kind.partition(':')
    target = os.path.join(folder, rel) if rel else folder
    rng = np.random.RandomState(0)
    if name == 'text':     # a char-level corpus (char-rnn)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'w') as f:
            f.write(CORPUS_TEXT * 2)
    elif name == 'segcorpus':   # space-separated words, one sentence a line
        os.makedirs(os.path.dirname(target), exist_ok=True)
        letters = list('abcdefghij')
        with open(target, 'w') as f:
            for _ in range(12):
                f.write(' '.join(''.join(rng.choice(letters, rng.randint(1, 4)))
                                 for _ in range(rng.randint(2, 5))) + '\n')
    elif name == 'sklearn-stub':   # fetch_mldata('MNIST original'): 70000 images, as the real one
        stub = os.path.join(folder, '_stubs', 'sklearn')
        os.makedirs(stub, exist_ok=True)
        open(os.path.join(stub, '__init__.py'), 'w').close()
        with open(os.path.join(stub, 'datasets.py'), 'w') as f:
            f.write('"""Stand-in for fetch_mldata (measure_legacy): 300 seeded images."""\n'
                    'import types\n'
                    'import numpy\n'
                    'def fetch_mldata(name, data_home=None):\n'
                    '    rng = numpy.random.RandomState(0)\n'
                    '    data = rng.randint(0, 256, (70000, 784), dtype=numpy.uint8)\n'
                    '    target = rng.randint(0, 10, 70000).astype(numpy.float64)\n'
                    '    return types.SimpleNamespace(data=data, target=target)\n')
    elif name == 'cv2-stub':    # OpenCV, used only to write images (imwrite)
        stub = os.path.join(folder, '_stubs')
        os.makedirs(stub, exist_ok=True)
        with open(os.path.join(stub, 'cv2.py'), 'w') as f:
            f.write('# Stand-in for OpenCV (measure_legacy): imwrite writes nothing.\n'
                    'def imwrite(filename, image, *args):\n'
                    '    return True\n')
    elif name == 'scipy-misc-stub':   # scipy.misc.imresize/imrotate (SciPy < 1.3)
        stub = os.path.join(folder, '_stubs', 'scipy')
        os.makedirs(stub, exist_ok=True)
        open(os.path.join(stub, '__init__.py'), 'w').close()
        with open(os.path.join(stub, 'misc.py'), 'w') as f:
            f.write('# Stand-in for scipy.misc of SciPy < 1.3 (measure_legacy), via PIL.\n'
                    'import numpy\n'
                    'from PIL import Image\n'
                    'def imresize(arr, size, interp="bilinear", mode=None):\n'
                    '    img = Image.fromarray(numpy.asarray(arr, dtype=numpy.uint8))\n'
                    '    if isinstance(size, float):\n'
                    '        size = (int(img.size[1] * size), int(img.size[0] * size))\n'
                    '    return numpy.asarray(img.resize((size[1], size[0]), Image.BILINEAR))\n'
                    'def imrotate(arr, angle, interp="bilinear"):\n'
                    '    img = Image.fromarray(numpy.asarray(arr, dtype=numpy.uint8))\n'
                    '    return numpy.asarray(img.rotate(angle, Image.BILINEAR))\n')
    elif name == 'cifar-pkl':   # dsanno/chainer-cifar: image.pkl / label.pkl
        n_train, n_test = 80, 20      # the (shrunk) script keeps the last 50 for validation
        # as its dataset.py writes them: float32 pixels minus their mean
        raw = rng.randint(0, 256, (n_train + n_test, 3072)).astype(np.float32)
        mean = raw.reshape((-1, 3, 32 * 32)).mean(axis=(0, 2))
        norm = (raw.reshape((-1, 3)) - mean).reshape(raw.shape)
        images = {'train': norm[:n_train], 'test': norm[n_train:]}
        labels = {'train': rng.randint(0, 10, n_train).astype(np.int32),
                  'test': rng.randint(0, 10, n_test).astype(np.int32)}
        with open(os.path.join(target, 'image.pkl'), 'wb') as f:
            pickle.dump(images, f, 2)
        with open(os.path.join(target, 'label.pkl'), 'wb') as f:
            pickle.dump(labels, f, 2)
    elif name == 'images':   # a folder of small PNG files (DCGAN)
        os.makedirs(target, exist_ok=True)
        from PIL import Image
        for i in range(4):
            Image.fromarray(rng.randint(0, 256, (96, 96, 3)).astype(np.uint8)).save(
                os.path.join(target, '{}.png'.format(i)))
    else:
        raise ValueError('unknown stand-in data ' + kind)


# Classification of a failure from its stderr: first match wins.
OUTSIDE_MODULES = ('cupy', 'gym', 'rlglue', 'h5py', 'scipy', 'cv2', 'sklearn',
                   'pylab', 'matplotlib')
CLASSIFY = [
    # NumPy 2 (and 1.24+: ragged sequences no longer make object arrays)
    ('numpy2', r'only 0-dimensional arrays can be converted|only length-1 arrays|'
               r'inhomogeneous shape after|'
               r'np\.float_|np\.int_|numpy\.float\b|has no attribute .(float|int|bool)\b'),
    # modules from outside, or a GPU (the CUDA set-up, cupy)
    ('outside', r"No module named '({})".format('|'.join(OUTSIDE_MODULES)) +
                r"|CUDA environment is not correctly set up|cupy|h5py is not installed"),
]


def classify(result, local_modules=()):
    """'ours' / 'script' / 'numpy2' / 'outside' for a failed run's stderr."""
    text = result.get('stderr_tail', '') + '\n' + result.get('error', '')
    m = re.search(r"No module named '([\w.]+)'", text)
    if m:
        top = m.group(1).split('.')[0]
        if top in OUTSIDE_MODULES:
            return 'outside'
        if top not in local_modules and top not in PY2_MODULES:
            return 'script'     # a module the repository does not have (my_settings)
    for label, pattern in CLASSIFY:
        if re.search(pattern, text):
            return label
    if re.search(r"FileNotFoundError|No such file or directory", text):
        return 'script'
    return 'ours'


PY2_MODULES = ('cPickle', 'StringIO', 'cStringIO', 'Queue', 'urllib2', 'ConfigParser',
               '__builtin__', 'copy_reg', 'itertools', 'HTMLParser', 'commands')


def load_manifest(corpus):
    with open(os.path.join(corpus, 'manifest.json')) as f:
        return json.load(f)


def check_corpus(corpus, manifest):
    """Every file's git blob id as recorded (byte-for-byte copies)."""
    bad = []
    for repo in manifest['repositories']:
        for f in repo['files']:
            path = os.path.join(corpus, repo['folder'], f['path'])
            blob = subprocess.run(['git', 'hash-object', path], capture_output=True,
                                  text=True).stdout.strip()
            if blob != f['blob']:
                bad.append(path)
    return bad


def measure_corpus_one(corpus, entry, work, timeout, per_file=False):
    src = os.path.join(work, entry['id'] + '.src')     # the shrunk copy, no data
    for d in (src, os.path.join(work, entry['id']), os.path.join(work, entry['id'] + '.migrated')):
        shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(os.path.join(corpus, entry['folder']), src)
    script_path = os.path.join(src, entry['script'])
    if entry['shrink']:
        with open(script_path, encoding='utf-8') as f:
            source = f.read()
        for pattern, repl in entry['shrink']:
            source, n = re.subn(pattern, repl, source, flags=re.M)
            assert n, (entry['id'], pattern)
        with open(script_path, 'w', encoding='utf-8') as f:
            f.write(source)
    local_modules = set()
    for dirpath, dirnames, filenames in os.walk(src):
        local_modules.update(n[:-3] for n in filenames if n.endswith('.py'))
        local_modules.update(dirnames)
    script = os.path.relpath(script_path, os.path.join(src, entry['cwd']))
    result = {'id': entry['id'], 'repo': entry['repo'], 'script': entry['script']}

    def prepare(folder):
        for kind in entry['data']:
            _corpus_data(kind, folder)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [REPO, os.path.join(folder, '_stubs'), folder]), MPLBACKEND='Agg',
            OMP_NUM_THREADS='1')
        return os.path.join(folder, entry['cwd']), env

    def run_all(make_cmd, cwd, env):
        out = None
        for args in entry['runs']:
            out = run(make_cmd(args), cwd, env, timeout)
            if out['rc'] != 0:
                break
        if out['rc'] != 0:
            out['cause'] = classify(out, local_modules)
        return out

    # legacy run: the copy as it is
    folder = os.path.join(work, entry['id'])
    shutil.copytree(src, folder)
    cwd, env = prepare(folder)
    result['legacy'] = run_all(lambda a: [sys.executable, '-m', 'chainer_irnn', 'legacy',
                                          'run', script] + a, cwd, env)
    # migrate: the whole repository folder (migrate DIR -o NEW), then its data
    migrated = os.path.join(work, entry['id'] + '.migrated')
    if per_file:   # before 'migrate DIR' existed: each file on its own, in place
        shutil.copytree(src, migrated)
        errs = []
        for dirpath, _, filenames in os.walk(migrated):
            for name in sorted(filenames):
                if name.endswith('.py'):
                    q = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'migrate',
                                        '--in-place', os.path.join(dirpath, name)],
                                       env=env, capture_output=True, text=True)
                    errs.append(q)
        p = subprocess.CompletedProcess([], max([q.returncode for q in errs] or [0]), '',
                                        ''.join(q.stderr for q in errs))
    else:
        p = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'migrate', src, '-o',
                            migrated], env=env, capture_output=True, text=True)
    result['migrate_findings'] = p.stderr.count(': MIGRATE: ')
    result['migrate_notes'] = [ln for ln in p.stderr.splitlines() if ': MIGRATE: ' in ln]
    if p.returncode != 0:
        result['migrate'] = {'rc': 'migrate failed', 'seconds': 0, 'stdout_tail': '',
                             'error': (p.stderr.strip().splitlines() or ['?'])[-1],
                             'stderr_tail': p.stderr[-3000:]}
        result['migrate']['cause'] = classify(result['migrate'], local_modules)
    else:
        mcwd, env2 = prepare(migrated)
        env2['CHAINER_IRNN_NO_AUTOLOAD'] = '1'
        result['migrate'] = run_all(lambda a: [sys.executable, '-c', NO_SHIM_RUNNER, script] + a,
                                    mcwd, env2)
    return result


def corpus_main(args):
    manifest = load_manifest(args.corpus)
    repos = {r['folder']: r for r in manifest['repositories']}
    bad = check_corpus(args.corpus, manifest)
    if bad:
        print('not the recorded bytes: ' + ', '.join(bad), file=sys.stderr)
        return 1
    only = set(args.only.split(',')) if args.only else None
    results = []
    for entry in manifest['scripts']:
        if only and entry['id'] not in only:
            continue
        entry = dict(entry, repo=repos[entry['folder']]['repo'])
        r = measure_corpus_one(args.corpus, entry, args.work, args.timeout,
                               args.migrate_per_file)
        results.append(r)
        print('{}: legacy {} ({}s) | migrate {} ({}s, {} MIGRATE) {} {}'.format(
            r['id'], status(r['legacy']), r['legacy']['seconds'], status(r['migrate']),
            r['migrate']['seconds'], r['migrate_findings'], r['legacy']['error'][:150],
            r['migrate']['error'][:150]), file=sys.stderr, flush=True)

    def cell(x):
        if x['rc'] == 0:
            return 'ok'
        return 'fails ({}): `{}`'.format(x['cause'], x['error'][:110].replace('|', '/'))
    print('| script | repository | legacy run | after migrate (no shims) | MIGRATE items |')
    print('|---|---|---|---|---|')
    for r in results:
        print('| {} | {} | {} | {} | {} |'.format(r['id'], r['repo'], cell(r['legacy']),
                                                  cell(r['migrate']), r['migrate_findings']))
    n = len(results)
    for mode in ('legacy', 'migrate'):
        causes = collections.Counter(r[mode].get('cause') for r in results
                                     if r[mode]['rc'] != 0)
        ok = sum(r[mode]['rc'] == 0 for r in results)
        not_own = n - causes.get('script', 0)
        print('\n{}: {}/{} ok; failures: {}; ok among the {} whose failure is not the '
              "script's own: {}/{}".format(
                  'legacy run' if mode == 'legacy' else 'after migrate', ok, n,
                  ', '.join('{} {}'.format(v, k) for k, v in sorted(causes.items())) or 'none',
                  not_own, ok, not_own))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


def status(r):
    return 'ok' if r['rc'] == 0 else 'FAIL ({})'.format(r['rc'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('git_dir', nargs='?', help="Chainer's git directory (its examples)")
    parser.add_argument('--corpus', help='the held-out corpus folder (manifest.json)')
    parser.add_argument('--only', help='corpus: comma-separated script ids')
    parser.add_argument('--migrate-per-file', action='store_true',
                        help="corpus: migrate each .py on its own (for versions without "
                             "'migrate DIR')")
    parser.add_argument('--tags', default=','.join(DEFAULT_TAGS))
    parser.add_argument('--examples', default=','.join(EXAMPLES))
    parser.add_argument('--work', default=None)
    parser.add_argument('--timeout', type=int, default=240)
    parser.add_argument('--json')
    args = parser.parse_args()
    if args.corpus:
        args.work = args.work or '/tmp/measure_corpus'
        return corpus_main(args)
    if not args.git_dir:
        parser.error('give CHAINER_GIT_DIR or --corpus')
    args.work = args.work or '/tmp/measure_legacy'
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
