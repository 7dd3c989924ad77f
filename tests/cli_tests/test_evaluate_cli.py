"""chainer-irnn evaluate --csv: accuracy, per-class precision/recall and a
confusion matrix of a CSV model on a labelled file, agreeing with predict."""
import json

import numpy
import pandas as pd
import pytest

from chainer_irnn import cli
from chainer_irnn.evaluation import classification_summary

FAST = ['--iteration', '6', '--no-progress', '--hidden', '6', '--batchsize', '8']


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert 'Traceback' not in err
    return rc, out, err


def wide_file(path, n=60, steps=5, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.normal(size=(n, steps))
    y = numpy.where(x.sum(axis=1) > 0.5, 'up', numpy.where(x.sum(axis=1) < -0.5, 'down', 'flat'))
    frame = pd.DataFrame(x.round(4), columns=['x%d' % i for i in range(steps)])
    frame.insert(0, 'label', y)
    frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture
def model(tmp_path, capsys):
    out = str(tmp_path / 'm')
    rc, _, err = run(capsys, 'train', '--csv', wide_file(tmp_path / 'train.csv'), '--out', out,
                     *FAST)
    assert rc == 0, err
    return out


def test_evaluate_a_csv_model_on_a_labelled_file(tmp_path, capsys, model):
    test = wide_file(tmp_path / 'test.csv', n=40, seed=1)
    rc, out, err = run(capsys, 'evaluate', '--model', model, '--csv', test,
                       '--json', tmp_path / 'e.json', '--confusion', tmp_path / 'c.png')
    assert rc == 0, err
    result = json.loads((tmp_path / 'e.json').read_text())
    rc, _, err = run(capsys, 'predict', '--model', model, '--csv', test,
                     '--out', tmp_path / 'p.csv')
    assert rc == 0, err
    pred = pd.read_csv(tmp_path / 'p.csv', dtype=str)
    correct = int((pred['predicted_label'] == pred['true_label']).sum())
    assert (result['n'], result['correct']) == (40, correct)
    assert 'accuracy {:.4f} ({}/40)'.format(correct / 40, correct) in out
    m = numpy.array(result['confusion'])
    assert m.sum() == 40 and numpy.trace(m) == correct
    for i, name in enumerate(result['classes']):     # rows true, columns predicted
        assert m[i].sum() == int((pred['true_label'] == name).sum())
        assert m[:, i].sum() == int((pred['predicted_label'] == name).sum())
    assert 'confusion matrix (rows: true class, columns: predicted class)' in out
    assert (tmp_path / 'c.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    p = -numpy.log([float(r['p_' + r['true_label']]) for _, r in pred.iterrows()]).mean()
    assert abs(result['loss'] - p) < 1e-4


def test_evaluate_needs_labels(tmp_path, capsys, model):
    frame = pd.read_csv(wide_file(tmp_path / 'x.csv', n=10)).drop(columns=['label'])
    frame.to_csv(tmp_path / 'nolabel.csv', index=False)
    rc, _, err = run(capsys, 'evaluate', '--model', model, '--csv', tmp_path / 'nolabel.csv')
    assert rc == 2 and 'nolabel.csv: the file has no label column' in err, err


def test_a_csv_model_without_csv_says_how(tmp_path, capsys, model):
    rc, _, err = run(capsys, 'evaluate', '--model', model)
    assert rc == 2 and '--csv FILE' in err and 'predict' not in err, err


def test_summary_counts_precision_and_recall():
    s = classification_summary(['a', 'a', 'b', 'b', 'c'], ['a', 'b', 'b', 'b', 'a'],
                               ['a', 'b', 'c'])
    assert s['confusion'] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    rows = {r['class']: r for r in s['per_class']}
    assert rows['a']['precision'] == 0.5 and rows['a']['recall'] == 0.5
    assert rows['b']['precision'] == 2 / 3 and rows['b']['recall'] == 1.0
    assert rows['c']['support'] == 1 and rows['c']['recall'] == 0.0
    assert (s['correct'], s['n']) == (3, 5)
