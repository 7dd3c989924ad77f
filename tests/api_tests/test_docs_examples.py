"""The examples of docs/api.md run as written, as a user runs them: a fresh
Python process in an empty folder, the package as installed (or the source
checkout on ``PYTHONPATH``)."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, 'docs', 'api.md')

pytestmark = pytest.mark.slow   # real training runs


def example(name):
    text = open(DOC, encoding='utf-8').read()
    m = re.search(r'<!-- ci: {} -->\n```python\n(.*?)```'.format(re.escape(name)), text, re.S)
    assert m, 'docs/api.md has no example {!r}'.format(name)
    code = m.group(1)
    assert len(code.strip().splitlines()) <= 10, 'the examples are promised at 10 lines'
    return code


def run(code, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, '-c', code], cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=900)


def test_csv_example(tmp_path):
    subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'make_toy_csv.py'),
                    'toy.csv', '--n', '2000', '--test-out', 'toy_test.csv', '--n-test', '500'],
                   cwd=str(tmp_path), check=True, capture_output=True)
    r = run(example('csv-example'), tmp_path)
    assert r.returncode == 0, r.stderr
    acc = float(re.search(r'validation accuracy ([\d.]+)', r.stdout).group(1))
    assert acc > 0.8, r.stdout          # chance is 0.5 (docs/csv.md: 0.94 at 5000)
    assert (tmp_path / 'toy_model' / 'model.npz').exists()
    assert (tmp_path / 'toy_pred.csv').read_text().startswith('sequence_id,predicted_label,')
    # the saved model is the CLI's: predict reads it
    from chainer_irnn.cli import main
    assert main(['predict', '--model', str(tmp_path / 'toy_model'), '--csv',
                 str(tmp_path / 'toy_test.csv'), '--out', str(tmp_path / 'p2.csv')]) == 0
    assert (tmp_path / 'p2.csv').read_text() == (tmp_path / 'toy_pred.csv').read_text()


def test_ucr_example(tmp_path):
    r = run(example('ucr-example'), tmp_path)
    assert r.returncode == 0, r.stderr
    mean = float(re.search(r'accuracy ([\d.]+) \+-', r.stdout).group(1))
    assert mean > 0.6, r.stdout         # two balanced classes: chance is 0.5


def test_typed_settings_example(tmp_path):
    r = run(example('typed-settings'), tmp_path)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[-2].split()      # after the Trainer's log table
    assert 0.1 < float(first[0]) <= 1 and float(first[1]) > 0, r.stdout   # accuracy, seconds
    assert (tmp_path / 'result' / 'irnn' / 'model.npz').is_file()
    assert (tmp_path / 'result' / 'irnn' / 'settings.json').is_file()
