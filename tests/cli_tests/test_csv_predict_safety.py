"""``chainer-irnn predict`` and ``train --csv`` (issues 22.9, 22.16, 22.17, 23.7):
one temporary file per run, probabilities as one block, messages that name
only what the command has."""
import os
import warnings

import numpy
import pytest

from chainer_irnn import cli, load_model

FAST = ['--iteration', '3', '--no-progress', '--hidden', '4', '--batchsize', '8']


def table(n=40, classes=2, seed=0, head=True, sep=','):
    rng = numpy.random.RandomState(seed)
    lines = [sep.join(['label', 'a', 'b', 'c'])] if head else []
    for i in range(n):
        lines.append(sep.join(['c{}'.format(i % classes)] +
                              ['{:.3f}'.format(v) for v in rng.normal(size=3)]))
    return '\n'.join(lines) + '\n'


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def model(tmp_path, capsys):
    csv = tmp_path / 'train.csv'
    csv.write_text(table())
    out = tmp_path / 'model'
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', out, *FAST)
    assert rc == 0, err
    return str(out)


def test_two_predictions_to_one_file_do_not_share_a_temporary_file(tmp_path, model,
                                                                   monkeypatch):
    small, big = tmp_path / 'small.csv', tmp_path / 'big.csv'
    small.write_text(table(n=5, seed=1))
    big.write_text(table(n=30, seed=2))
    out = str(tmp_path / 'pred.csv')
    p = load_model(model)
    proba = type(p)._proba
    inner = {}

    def proba_with_a_second_run(self, xs, batchsize):   # the second run starts mid-way
        if not inner:
            inner['result'] = None
            inner['result'] = load_model(model).predict_file(str(big), out)
        return proba(self, xs, batchsize)

    monkeypatch.setattr(type(p), '_proba', proba_with_a_second_run)
    first = p.predict_file(str(small), out)
    assert inner['result']['n'] == 30 and first['n'] == 5
    assert len(open(out).read().splitlines()) == 1 + 5      # the run that finished last
    assert os.listdir(str(tmp_path)).count('pred.csv') == 1
    assert not [f for f in os.listdir(str(tmp_path)) if f.endswith('.tmp')]
    mode = os.stat(out).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_many_classes_are_written_as_one_block(tmp_path, capsys, monkeypatch):
    import pandas as pd
    csv = tmp_path / 'many.csv'
    csv.write_text(table(n=600, classes=300))
    out = tmp_path / 'model'
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', out, '--val-split', '0', *FAST)
    assert rc == 0, err
    pred = str(tmp_path / 'p.csv')
    inserts = []
    setitem, insert = pd.DataFrame.__setitem__, pd.DataFrame.insert
    monkeypatch.setattr(pd.DataFrame, '__setitem__',
                        lambda self, k, v: inserts.append(k) or setitem(self, k, v))
    monkeypatch.setattr(pd.DataFrame, 'insert', lambda self, i, k, v, **kw:
                        inserts.append(k) or insert(self, i, k, v, **kw))
    with warnings.catch_warnings():
        warnings.simplefilter('error', pd.errors.PerformanceWarning)   # a fragmented frame
        result = load_model(str(out)).predict_file(str(csv), pred, chunksize=250)
    monkeypatch.undo()
    assert len(inserts) < 10, len(inserts)          # not a column insert per class
    # probabilities in pieces of bounded size (rows x classes), the same file
    from chainer_irnn import predictor
    sizes = []
    proba = predictor.Predictor._proba
    monkeypatch.setattr(predictor, 'PROBA_CELLS', 300 * 40)
    monkeypatch.setattr(predictor.Predictor, '_proba',
                        lambda self, xs, b: sizes.append(len(xs)) or proba(self, xs, b))
    load_model(str(out)).predict_file(str(csv), str(tmp_path / 'q.csv'), chunksize=250,
                                      batchsize=16)
    assert sizes == [40] * 6 + [10] + [40] * 6 + [10] + [40] * 2 + [20], sizes
    assert open(str(tmp_path / 'q.csv')).read() == open(pred).read()
    assert result['n'] == 600 and result['labelled'] == 600
    frame = pd.read_csv(pred)
    assert list(frame.columns[:3]) == ['sequence_id', 'predicted_label', 'p_c0']
    assert frame.shape == (600, 2 + 300 + 1) and frame.columns[-1] == 'true_label'
    numpy.testing.assert_allclose(frame.iloc[:, 2:-1].sum(axis=1), 1, atol=1e-4)
    probs = frame.iloc[:, 2:-1].to_numpy()
    picked = [frame.at[i, 'p_' + c] for i, c in enumerate(frame['predicted_label'])]
    numpy.testing.assert_array_equal(picked, probs.max(axis=1))
    assert result['correct'] == int((frame['predicted_label'] == frame['true_label']).sum())


def test_predict_names_no_flag_it_lacks(tmp_path, capsys, model):
    bad = tmp_path / 'gap.csv'
    bad.write_text(table(n=4).replace('\nc1,', '\nc1,,', 1).replace(',,', ',', 0))
    text = table(n=4).splitlines()
    text[2] = 'c1,,0.5,0.5'
    bad.write_text('\n'.join(text) + '\n')
    rc, _, err = run(capsys, 'predict', '--model', model, '--csv', bad, '--out',
                     tmp_path / 'p.csv')
    assert rc == 2 and 'gap.csv, line 3, column 2: missing value' in err
    assert '--fill' not in err and 'fill the file' in err and 'Traceback' not in err
    # a damaged description: its settings are not flags of predict
    from chainer_irnn import errors
    from chainer_irnn.cli import common
    good = tmp_path / 'good.csv'
    good.write_text(table(n=4))
    p = load_model(model)
    p.description = dict(p.description, tabular=dict(p.description['tabular'], sep=';;'))
    with errors.naming(common.FLAGS), pytest.raises(errors.UserError) as info:
        p.predict_file(str(good), str(tmp_path / 'p.csv'))
    err = str(info.value)
    assert '--sep' not in err and 'model.json' in err and "sep=';;'" in err, err
    p.description = {k: v for k, v in p.description.items() if k != 'tabular'}
    with errors.naming(common.FLAGS), pytest.raises(errors.UserError) as info:
        p.predict_file(str(good), str(tmp_path / 'p.csv'))
    err = str(info.value)
    assert 'not CSV' not in err and 'no "tabular" entry' in err, err


def test_separator_hints_show_no_literal_tab(tmp_path, capsys):
    tsv = tmp_path / 'x.tsv'
    for head, flags in ((True, []), (False, ['--no-header'])):
        tsv.write_text(table(head=head, sep='\t'))
        rc, _, err = run(capsys, 'train', '--csv', tsv, '--out', tmp_path / 'o', *flags, *FAST)
        assert rc == 2 and 'tab-separated: set --sep $\'\\t\'' in err, err
        assert '\t' not in err


def test_a_headerless_file_read_with_a_header_is_announced(tmp_path, capsys):
    csv = tmp_path / 'noheader.csv'
    csv.write_text(table(head=False).replace('c0,', '0,').replace('c1,', '1,'))
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', tmp_path / 'o', *FAST)
    assert rc == 0 and 'the header line holds only numbers' in err
    assert 'set --no-header' in err and '39 data rows read' in err
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', tmp_path / 'o2', '--no-header',
                     *FAST)
    assert rc == 0 and 'header line' not in err and '40 data rows read' in err, err


def test_prediction_rows_are_written_as_pandas_writes_them():
    import io
    import pandas as pd
    from chainer_irnn.predictor import _write_rows
    p = numpy.random.RandomState(0).dirichlet(numpy.ones(5), size=7)
    p[0, 0], p[1, 1] = 1e-12, 0.5
    ids = [2, 'a,b', 'q"x', 5, 6, 7, 8]
    pred = numpy.array(['x', 'y', 'x', 'y,z', 'x', 'x', 'x'], dtype=object)
    cols = ['p_{}'.format(i) for i in range(5)]
    frame = pd.concat([pd.DataFrame({'sequence_id': ids, 'predicted_label': pred}),
                       pd.DataFrame(p, columns=cols), pd.DataFrame({'true_label': ['x'] * 7})],
                      axis=1)
    want = io.StringIO()
    frame.to_csv(want, index=False, float_format='%.6g')
    got = io.StringIO()
    got.write(','.join(['sequence_id', 'predicted_label'] + cols + ['true_label']) + '\n')
    _write_rows(got, ids, pred, p, ['x'] * 7, rows=3)
    assert got.getvalue() == want.getvalue()


def test_predict_logs_no_flag_that_was_not_given(tmp_path, capsys, model):
    new = tmp_path / 'new.csv'
    new.write_text(table(n=6, seed=3))
    rc, _, err = run(capsys, 'predict', '--model', model, '--csv', new, '--out',
                     tmp_path / 'p.csv')
    assert rc == 0 and 'given' not in err and '--features-per-step' not in err, err
    assert 'sequences of 3 steps x 1 feature (as the model reads them)' in err, err
