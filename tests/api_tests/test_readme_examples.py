"""README's examples run as written (issue 24, item 10): the Python example
and the three user journeys (MNIST, your own CSV files, old Chainer code).

Each block marked ``<!-- ci: NAME -->`` runs line by line in an empty
folder, as a user runs it from a clone: ``scripts/`` and ``legacy/`` are
linked in, ``chainer-irnn`` is ``python -m chainer_irnn`` of this checkout
and ``python`` this interpreter.  They train for real, on data small enough
for seconds.
"""
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, 'README.md')

pytestmark = pytest.mark.slow   # real training runs


def block(name):
    """The code of the README block marked ``<!-- ci: name -->``."""
    text = open(README, encoding='utf-8').read()
    m = re.search(r'<!-- ci: {} -->\n```(\w+)\n(.*?)```'.format(re.escape(name)), text, re.S)
    assert m, 'README.md has no block {!r}'.format(name)
    return m.group(1), m.group(2)


def env():
    return dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')


def clone_like(folder):
    for name in ('scripts', 'legacy'):
        os.symlink(os.path.join(ROOT, name), str(folder / name))


def run_sh(name, folder):
    """Runs each command of a ``sh`` block; returns their (stdout, stderr)."""
    kind, code = block(name)
    assert kind == 'sh'
    results = []
    for line in code.splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        program = {'chainer-irnn': [sys.executable, '-m', 'chainer_irnn'],
                   'python': [sys.executable]}.get(argv[0])
        assert program, 'README block {!r} runs {!r}, which this test cannot'.format(name, argv[0])
        r = subprocess.run(program + argv[1:], cwd=str(folder), env=env(),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, '{}\n{}'.format(line, r.stderr[-3000:])
        results.append((r.stdout, r.stderr))
    return results


def test_python_example(tmp_path):
    clone_like(tmp_path)
    run_sh('readme-toy-data', tmp_path)
    kind, code = block('readme-python')
    assert kind == 'python'
    r = subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path), env=env(),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    val = float(re.search(r'validation accuracy ([\d.]+)', r.stdout).group(1))
    test = float(re.search(r'test accuracy ([\d.]+)', r.stdout).group(1))
    assert val > 0.8 and test > 0.8, r.stdout          # chance is 0.5
    assert (tmp_path / 'toy_model' / 'model.npz').is_file()
    assert (tmp_path / 'toy_pred.csv').read_text().startswith('sequence_id,predicted_label,')


def test_mnist_journey(tmp_path):
    results = run_sh('readme-mnist', tmp_path)
    blog = json.loads((tmp_path / 'result' / 'blog' / 'log').read_text())
    assert blog[-1]['validation/main/accuracy'] < 0.15           # as published: chance
    out = results[-1][0]
    acc = float(re.search(r'accuracy ([\d.]+) \((\d+)/1000', out).group(1))
    claimed = re.search(r'# ([\d.]+)% \((\d+)/1000\) after this one epoch',
                        block('readme-mnist')[1])
    assert claimed and abs(acc - float(claimed.group(1)) / 100) < 0.03, (out, claimed)
    assert acc > 0.15                                             # learning, unlike blog


def test_csv_journey(tmp_path):
    clone_like(tmp_path)
    results = run_sh('readme-csv', tmp_path)
    assert (tmp_path / 'mymodel' / 'model.npz').is_file()
    assert (tmp_path / 'predictions.csv').read_text().startswith('sequence_id,predicted_label,')
    report = results[-1][0]
    acc = float(re.search(r'accuracy ([\d.]+)', report).group(1))
    assert acc > 0.8, report                                      # chance is 0.5
    assert 'confusion matrix' in report and 'precision' in report


def test_old_code_journey(tmp_path):
    clone_like(tmp_path)
    (legacy_out, _), (_, migrated_err), (modern_out, _) = run_sh('readme-legacy', tmp_path)
    assert 'rewritten' in migrated_err
    assert 'FunctionSet(' not in (tmp_path / 'irnn_mnist_v7.py').read_text()  # a Chain now
    assert legacy_out.strip().endswith(modern_out.strip().splitlines()[-1])
    assert legacy_out == modern_out                               # "the same output"


def test_model_example(tmp_path):
    kind, code = block('readme-model')
    assert kind == 'python'
    r = subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path), env=env(),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert abs(float(r.stdout.split()[-1]) - 2.3026) < 0.05, r.stdout   # ln 10
