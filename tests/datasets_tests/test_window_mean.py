"""``max_steps``: sequences averaged over windows of ``k = ceil(longest
training length / max_steps)`` steps (piecewise aggregate approximation),
``k`` fitted on the training sequences and kept in model.json
(``tabular.window_mean``), applied by predict, evaluate and the estimator."""
import io
import json
import logging
import os

import numpy
import pandas as pd
import pytest

from chainer_irnn import IRNNClassifier, cli, read_csv
from chainer_irnn.datasets.tabular import Preprocessor, preprocess
from chainer_irnn.datasets.tabular.preprocess import window_means, window_size
from chainer_irnn.errors import ParameterError, UserError

FAST = ['--iteration', '3', '--no-progress', '--hidden', '6', '--batchsize', '8']


# ---------------------------------------------------------------- the averaging

def test_window_means_exact_values():
    x = numpy.arange(14, dtype=numpy.float64).reshape(7, 2)   # steps (0,1), (2,3), ..
    numpy.testing.assert_array_equal(window_means(x, 3), [[2, 3], [8, 9], [12, 13]])
    numpy.testing.assert_array_equal(window_means(x, 2), [[1, 2], [5, 6], [9, 10], [12, 13]])
    numpy.testing.assert_array_equal(window_means(x, 7), [[6, 7]])
    numpy.testing.assert_array_equal(window_means(x, 10), [[6, 7]])   # one partial window
    numpy.testing.assert_array_equal(window_means(x, 1), x)
    numpy.testing.assert_array_equal(window_means([1.0, 2.0, 4.0, 8.0, 16.0], 2),
                                     [1.5, 6.0, 16.0])
    # each sequence alone: its own last (partial) window, whatever the others' lengths
    for T, expected in ((1, [0.0]), (3, [1.0]), (4, [1.0, 3.0]), (5, [1.0, 3.5]),
                        (7, [1.0, 4.0, 6.0])):
        numpy.testing.assert_array_equal(window_means(numpy.arange(T, dtype=float), 3),
                                         expected)


def test_window_size():
    assert window_size([1460], 200) == 8            # ACSF1: 1460 steps -> 183
    assert window_size([10, 3, 1460, 7], 200) == 8  # the longest decides
    assert window_size([200], 200) == 1 and window_size([201], 200) == 2
    assert window_size([1460], None) == 1


def test_transform_fills_standardises_then_averages():
    prep = Preprocessor(['a', 'b'], [1.0, 10.0], [2.0, 5.0], fill='mean', window_mean=2)
    x = numpy.array([[1.0, 10.0], [3.0, numpy.nan], [5.0, 20.0], [7.0, 30.0], [9.0, 0.0]])
    got = prep.transform(x)
    z = (numpy.array([[1, 10], [3, 10], [5, 20], [7, 30], [9, 0]]) - [1, 10]) / [2, 5]
    assert got.dtype == numpy.float32 and got.shape == (3, 2)
    numpy.testing.assert_allclose(got, [(z[0] + z[1]) / 2, (z[2] + z[3]) / 2, z[4]], rtol=1e-6)
    assert numpy.isfinite(got).all()


def test_window_mean_is_in_the_json_only_when_it_averages():
    plain = Preprocessor(['a', 'b'], [0.0], [1.0])
    assert 'window_mean' not in plain.to_json()
    assert Preprocessor.from_json(plain.to_json()).window_mean == 1
    k4 = Preprocessor(['a', 'b'], [0.0], [1.0], window_mean=4)
    assert k4.to_json()['window_mean'] == 4
    assert Preprocessor.from_json(json.loads(json.dumps(k4.to_json()))).window_mean == 4


# ---------------------------------------------------------------- read_csv

def long_csv(lengths, seed=0, labels=('u', 'v')):
    """Long layout, one feature: sequence i has lengths[i] steps."""
    rng = numpy.random.RandomState(seed)
    rows = ['id,x,label']
    for i, n in enumerate(lengths):
        for v in rng.normal(size=n).round(3):
            rows.append('s{},{:g},{}'.format(i, v, labels[i % len(labels)]))
    return '\n'.join(rows) + '\n'


def test_read_csv_fits_k_on_the_training_sequences_only(caplog):
    train = long_csv([6, 5, 4, 6, 3, 2])
    val = long_csv([12, 2], seed=1)
    test = long_csv([13, 1], seed=2)
    with caplog.at_level(logging.INFO, logger='chainer_irnn'):
        data = read_csv(io.StringIO(train), test=io.StringIO(test), val=io.StringIO(val),
                        max_steps=3)
    # the longest training sequence has 6 steps: k = 2, whatever val and test hold
    assert data.meta['tabular']['window_mean'] == 2
    assert [len(x) for x in data.train.X] == [3, 3, 2, 3, 2, 1]
    assert [len(x) for x in data.val.X] == [6, 1]
    assert [len(x) for x in data.test.X] == [7, 1]
    raw = read_csv(io.StringIO(train), test=io.StringIO(test), val=io.StringIO(val),
                   standardize=False)
    tab = data.meta['tabular']
    for a, b in zip(data.test.X + data.val.X + data.train.X,
                    raw.test.X + raw.val.X + raw.train.X):
        numpy.testing.assert_allclose(a, window_means((b - tab['mean']) / tab['std'], 2),
                                      rtol=0, atol=1e-6)
    # standardised with the statistics of the averaged training steps (the steps the
    # model reads), not of the raw ones: the training data the model reads are z-scores
    steps = numpy.concatenate(data.train.X)
    assert abs(steps.mean()) < 1e-6 and abs(steps.std() - 1) < 1e-6
    unaveraged = read_csv(io.StringIO(train), val=io.StringIO(val)).meta['tabular']
    assert tab['std'][0] < 0.9 * unaveraged['std'][0]      # noise averages out
    notes = [r.getMessage() for r in caplog.records if 'averaged' in r.getMessage()]
    assert notes == ['sequences averaged over windows of 2 steps (the longest training '
                     'sequence has 6 steps; max_steps=3)']


@pytest.mark.parametrize('fill', ['zero', 'ffill', 'mean'])
def test_missing_cells_are_filled_before_averaging(fill):
    text = long_csv([6, 5, 4, 6, 3, 2]).replace(',0.4,', ',,').replace(',-0.151,', ',nan,')
    assert text.count(',,') + text.count(',nan,') == 2
    data = read_csv(io.StringIO(text), val_split=0, fill=fill, max_steps=2)
    assert data.meta['tabular']['window_mean'] == 3
    steps = numpy.concatenate(data.train.X)
    assert numpy.isfinite(steps).all() and [len(x) for x in data.train.X] == [2, 2, 2, 2, 1, 1]
    # 'mean' fills with the stored mean, which the refit on averaged steps moves a little
    tol = 1e-2 if fill == 'mean' else 1e-6
    assert abs(steps.mean()) < tol and abs(steps.std() - 1) < tol


def test_read_csv_a_long_validation_split_does_not_set_k():
    # a validation split, not a file: only the training part's lengths count
    text = long_csv([4] * 19 + [40])
    data = read_csv(io.StringIO(text), val_split=0.1, seed=0, max_steps=2)
    longest = max(len(x) for x in read_csv(io.StringIO(text), val_split=0.1, seed=0).train.X)
    assert data.meta['tabular']['window_mean'] == -(-longest // 2)


def test_max_steps_that_fits_or_unset_changes_nothing(caplog):
    text = long_csv([6, 5, 4, 6, 3, 2])
    plain = read_csv(io.StringIO(text), val_split=0, max_steps=None)
    with caplog.at_level(logging.INFO, logger='chainer_irnn'):
        assert read_csv(io.StringIO(text), val_split=0).meta == plain.meta   # 6 <= 256
    assert not any('averaged' in r.getMessage() for r in caplog.records)   # the default: silent
    with caplog.at_level(logging.INFO, logger='chainer_irnn'):
        fits = read_csv(io.StringIO(text), val_split=0, max_steps=6)
    assert 'window_mean' not in plain.meta['tabular'] and plain.meta == fits.meta
    for a, b in zip(plain.train.X, fits.train.X):
        numpy.testing.assert_array_equal(a, b)
    assert [len(x) for x in plain.train.X] == [6, 5, 4, 6, 3, 2]
    assert any('sequences not averaged (the longest training sequence has 6 steps; '
               'max_steps=6)' in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize('value', [0, -1, 'x', 2.5, True])
def test_bad_max_steps_is_one_line_naming_the_parameter(value):
    with pytest.raises(ParameterError) as e:
        read_csv(io.StringIO(long_csv([3, 3])), max_steps=value)
    assert str(e.value).startswith('max_steps: must be a positive integer')
    assert '\n' not in str(e.value)


# ---------------------------------------------------------------- command line

def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert 'Traceback' not in err
    return rc, out, err


@pytest.mark.parametrize('command', ['train', 'tune', 'baseline'])
@pytest.mark.parametrize('value', ['-1', 'x', '2.5'])
def test_bad_flag_is_one_line_naming_it(tmp_path, capsys, command, value):
    path = tmp_path / 'a.csv'
    path.write_text(long_csv([3, 3]))
    out = [] if command == 'baseline' else ['--out', str(tmp_path / 'o')]
    with pytest.raises(SystemExit) as e:          # argparse's own exit
        cli.main([command, '--csv', str(path)] + out + ['--max-steps', value])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    last = err.strip()
    assert last.startswith('chainer-irnn {}: error: argument --max-steps: '.format(command))
    assert 'expected an integer >= 0' in last


def test_cli_round_trip_predict_evaluate_and_the_estimator(tmp_path, capsys, caplog):
    lengths = [10, 7, 9, 4, 10, 8, 6, 10, 5, 9] * 3
    train = tmp_path / 'train.csv'
    train.write_text(long_csv(lengths))
    out = tmp_path / 'm'
    with caplog.at_level(logging.INFO, logger='chainer_irnn'):
        rc, _, err = run(capsys, 'train', '--csv', train, '--out', out, '--max-steps', '3',
                         *FAST)
    assert rc == 0, err
    log = err + '\n'.join(r.getMessage() for r in caplog.records)
    assert log.count('sequences averaged over windows of 4 steps (the longest training '
                     'sequence has 10 steps; --max-steps 3)') == 1
    config = json.loads((out / 'model.json').read_text())
    assert config['tabular']['window_mean'] == 4
    test = tmp_path / 'test.csv'
    test.write_text(long_csv([11, 1, 4, 5, 8, 12, 3], seed=3))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger='chainer_irnn'):
        rc, _, err = run(capsys, 'predict', '--model', out, '--csv', test, '--out',
                         tmp_path / 'p.csv', '--chunksize', '5')
    assert rc == 0, err
    # the log's steps are the file's; a line says what the model read
    log = err + '\n'.join(r.getMessage() for r in caplog.records)
    assert log.count('each sequence averaged over windows of 4 steps before the model read '
                     'it') == 1, log
    pred = pd.read_csv(tmp_path / 'p.csv', dtype=str)
    rc, text, err = run(capsys, 'evaluate', '--model', out, '--csv', test, '--json',
                        tmp_path / 'e.json')
    assert rc == 0, err
    result = json.loads((tmp_path / 'e.json').read_text())
    correct = int((pred['predicted_label'] == pred['true_label']).sum())
    assert (result['n'], result['correct']) == (7, correct)
    # the same classes from Python: the raw sequences go through the stored k
    frame = pd.read_csv(test)
    raw = [g['x'].to_numpy()[:, None] for _, g in frame.groupby('id', sort=False)]
    from chainer_irnn.predictor import load_model
    model = load_model(str(out))
    assert model._prep.window_mean == 4
    proba = model.predict_proba(raw)
    numpy.testing.assert_allclose(pred[['p_u', 'p_v']].astype(float), proba, atol=1e-5)
    assert list(model.predict(raw)) == list(pred['predicted_label'])
    clf = IRNNClassifier.load(str(out))
    assert [str(c) for c in clf.predict(raw)] == list(pred['predicted_label'])
    # and the model reads k-averaged sequences: the raw ones, standardised, give others
    tab = config['tabular']
    z = [((x - tab['mean']) / tab['std']).astype(numpy.float32) for x in raw]
    numpy.testing.assert_allclose(model._proba([window_means(x, 4).astype(numpy.float32)
                                                for x in z], 256), proba, atol=1e-6)
    assert numpy.abs(model._proba(z, 256) - proba).max() > 1e-4


# ---------------------------------------------------------------- the estimator

def series(n=24, T=12, seed=0):
    rng = numpy.random.RandomState(seed)
    X = rng.normal(size=(n, T, 2))
    y = numpy.where(X[:, :, 0].mean(1) > 0, 'up', 'down')
    return X, y


def test_estimator_parameter(tmp_path, caplog):
    X, y = series()
    small = dict(hidden=(4,), epoch=1, min_iteration=4, batchsize=8)
    assert IRNNClassifier().get_params()['max_steps'] == 256
    with caplog.at_level(logging.INFO, logger='chainer_irnn'):
        clf = IRNNClassifier(max_steps=5, **small).fit(X, y)
    assert any('sequences averaged over windows of 3 steps (the longest training sequence '
               'has 12 steps; max_steps=5)' in r.getMessage() for r in caplog.records)
    tab = clf.predictor_.description['tabular']
    assert tab['window_mean'] == 3
    z = [((x - tab['mean']) / tab['std']) for x in X[:5]]
    expected = clf.predictor_._proba([window_means(x, 3).astype(numpy.float32) for x in z],
                                     256)
    numpy.testing.assert_allclose(clf.predict_proba(X[:5]), expected, atol=1e-6)
    clf.save(str(tmp_path / 'c'))
    again = IRNNClassifier.load(str(tmp_path / 'c'))
    numpy.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    # a list of variable lengths: k from the longest, each averaged alone
    lists = [x[:n] for x, n in zip(X, [12, 3, 7, 1] * 6)]
    assert IRNNClassifier(max_steps=4, **small).fit(lists, y).predictor_.description[
        'tabular']['window_mean'] == 3
    # unset, or fitting: no key, as before
    for params in ({}, {'max_steps': 12}):
        assert 'window_mean' not in IRNNClassifier(**dict(small, **params)).fit(
            X, y).predictor_.description['tabular']
    # integer tokens are never averaged
    tokens = numpy.random.RandomState(1).randint(0, 5, size=(24, 12))
    emb = IRNNClassifier(input='embed', n_tokens=5, max_steps=3, **small).fit(tokens, y)
    assert 'tabular' not in emb.predictor_.description
    assert emb.predict(tokens).shape == (24,)


def test_estimator_is_the_measured_paa():
    """IRNNClassifier(max_steps=N) on raw series trains the model that the
    measurements trained (benchmarks/corpus_variants.py: the estimator fitted
    on series averaged beforehand, k = ceil(longest / N))."""
    def paa(xs, k):             # the measurements' averaging, as written there
        out = []
        for x in xs:
            n = -(-len(x) // k)
            idx = numpy.arange(len(x)) // k
            total = numpy.zeros((n, x.shape[1]))
            numpy.add.at(total, idx, x)
            out.append(total / numpy.bincount(idx)[:, None])
        return out

    rng = numpy.random.RandomState(4)
    X = [rng.normal(size=(n, 2)) * [1, 5] + [0, 3] for n in [30, 17, 29, 8] * 6]
    y = numpy.array(['a', 'b', 'b', 'a', 'c', 'a'] * 4)
    small = dict(hidden=(6,), epoch=2, min_iteration=10, batchsize=8, seed=3)
    mine = IRNNClassifier(max_steps=7, **small).fit(X, y)
    theirs = IRNNClassifier(**small).fit(paa(X, 5), y)
    assert mine.predictor_.description['tabular']['window_mean'] == 5
    numpy.testing.assert_allclose(mine.predictor_.description['tabular']['std'],
                                  theirs.predictor_.description['tabular']['std'], rtol=1e-12)
    numpy.testing.assert_allclose(mine.predict_proba(X), theirs.predict_proba(paa(X, 5)),
                                  rtol=0, atol=1e-5)


@pytest.mark.parametrize('value', [0, -1, 'x'])
def test_estimator_bad_max_steps(value):
    X, y = series(n=8)
    with pytest.raises(ParameterError) as e:
        IRNNClassifier(max_steps=value, hidden=(4,), epoch=1, min_iteration=1).fit(X, y)
    assert str(e.value).startswith('max_steps: must be a positive integer')
    assert '\n' not in str(e.value)


def test_estimator_on_read_csv_data_keeps_read_csvs_k():
    data = read_csv(io.StringIO(long_csv([6, 5, 4, 6, 3, 2] * 3)), val_split=0, max_steps=2)
    clf = IRNNClassifier(hidden=(4,), epoch=1, min_iteration=4, batchsize=8).fit(data.train)
    assert clf.predictor_.description['tabular']['window_mean'] == 3
    assert clf.predict(data.train).shape == (18,)


# ---------------------------------------------------------------- model.json

def described(tmp_path, tabular):
    from chainer_irnn import models
    config = {'model': 'irnn', 'in_size': 1, 'hidden': [3], 'input': 'linear',
              'activation': 'relu', 'identity_scale': 1.0, 'input_std': 0.5, 'n_class': 2,
              'tabular': dict({'classes': ['u', 'v'], 'mean': [0.5], 'std': [2.0],
                               'fill': None, 'standardize': True}, **tabular)}
    models.save_model(models.build_model(config), config, str(tmp_path))
    return str(tmp_path)


def test_a_description_without_the_key_predicts_as_before(tmp_path):
    from chainer_irnn.predictor import load_model
    model = load_model(described(tmp_path, {}))
    raw = [numpy.arange(n, dtype=float)[:, None] for n in (9, 2, 5)]
    assert model._prep.window_mean == 1
    assert [len(x) for x in model.prepare(raw)] == [9, 2, 5]
    z = [((x - 0.5) / 2.0).astype(numpy.float32) for x in raw]
    numpy.testing.assert_array_equal(model.predict_proba(raw), model._proba(z, 256))


@pytest.mark.parametrize('value', [0, -1, 'x', 2.5, True, None])
def test_check_description_refuses_a_bad_window_mean(tmp_path, value):
    from chainer_irnn import models
    from chainer_irnn.predictor import load_model
    folder = described(tmp_path, {'window_mean': 2})
    assert load_model(folder).prepare([numpy.ones((5, 1))])[0].shape == (3, 1)
    path = os.path.join(folder, 'model.json')
    config = json.load(open(path))
    config['tabular']['window_mean'] = value
    with pytest.raises(UserError) as e:
        models.check_description(config, path)
    assert str(e.value).startswith('{}: tabular.window_mean {} must be a positive '
                                   'integer'.format(path, json.dumps(value)))
    assert '\n' not in str(e.value)


def test_long_sequences_without_max_steps_get_a_hint(caplog):
    """Over 1000 steps and no max_steps: one log line suggests it; none below."""
    import logging

    from chainer_irnn import IRNNClassifier
    from chainer_irnn.datasets.tabular.preprocess import window_note
    assert window_note(1, 1000, None) is None
    assert 'max_steps, e.g. 200' in window_note(1, 1001, None)
    rng = numpy.random.RandomState(0)
    x = rng.randn(8, 1001, 1)
    with caplog.at_level(logging.INFO, logger='chainer_irnn'):
        IRNNClassifier(epoch=1, min_iteration=0, hidden=4, ensemble=1,
                       max_steps=None).fit(x, [0, 1] * 4)
    assert caplog.text.count('has 1001 steps: long for a recurrent net') == 1


def test_a_huge_window_in_a_model_file_is_refused():
    from chainer_irnn.models import check_description
    description = {'model': 'irnn', 'input': 'linear', 'hidden': [4], 'activation': 'relu',
                   'identity_scale': 1.0, 'input_std': 0.001, 'in_size': 1, 'n_class': 2,
                   'tabular': {'classes': ['a', 'b'], 'mean': [0.0], 'std': [1.0]}}
    description['tabular']['window_mean'] = 10 ** 6
    check_description(description)
    description['tabular']['window_mean'] = 10 ** 12
    with pytest.raises(UserError, match='window_mean .* up to 1000000'):
        check_description(description)


def test_window_means_need_no_padding():
    x = numpy.arange(5.0)[:, None]
    numpy.testing.assert_array_equal(window_means(x, 10 ** 9), [[2.0]])
    numpy.testing.assert_array_equal(window_means(x, 2), [[0.5], [2.5], [4.0]])


def test_the_default_averages_long_series_to_256_steps_and_0_turns_it_off(tmp_path, capsys):
    """read_csv, the estimator and ``--max-steps`` share one default (256);
    ``--max-steps 0`` (None in Python) never averages."""
    from chainer_irnn.estimator import IRNNClassifier as Estimator
    assert preprocess.DEFAULT_MAX_STEPS == 256
    text = long_csv([600, 300, 257, 600] * 3)
    data = read_csv(io.StringIO(text), val_split=0)
    assert data.meta['tabular']['window_mean'] == 3 and max(len(x) for x in data.train.X) == 200
    assert 'window_mean' not in read_csv(io.StringIO(text), val_split=0,
                                         max_steps=None).meta['tabular']
    rng = numpy.random.RandomState(0)
    X = rng.randn(8, 300, 1)
    clf = Estimator(epoch=1, min_iteration=0, hidden=(4,), ensemble=1).fit(X, [0, 1] * 4)
    assert clf.predictor_.description['tabular']['window_mean'] == 2
    path = tmp_path / 'long.csv'
    path.write_text(text)
    for i, (flags, k) in enumerate((([], 3), (['--max-steps', '0'], None),
                                    (['--max-steps', '100'], 6))):
        out = tmp_path / 'o{}'.format(i)
        rc, _, err = run(capsys, 'train', '--csv', path, '--out', out, '--ensemble', '1',
                         '--epoch', '1', '--min-iteration', '0', '--no-progress', '--hidden',
                         '6', '--batchsize', '8', *flags)
        assert rc == 0, err
        config = json.loads((out / 'model.json').read_text())
        assert config['tabular'].get('window_mean') == k
        recorded = json.loads((out / 'settings.json').read_text())['data_args']['max_steps']
        assert recorded == (int(flags[1]) or None if flags else 256)     # 0: never (null)
        # the estimator and train --config repeat it
        again = Estimator.from_settings(str(out))
        assert again.max_steps == (int(flags[1]) or None if flags else 256)
        rc, _, err = run(capsys, 'train', '--config', out, '--out', tmp_path / 'r{}'.format(i))
        assert rc == 0, err
        config = json.loads((tmp_path / 'r{}'.format(i) / 'model.json').read_text())
        assert config['tabular'].get('window_mean') == k
    # settings written before max_steps existed (no key) replay without averaging
    settings = json.loads((tmp_path / 'o0' / 'settings.json').read_text())
    del settings['data_args']['max_steps']
    (tmp_path / 'old').mkdir()
    (tmp_path / 'old' / 'settings.json').write_text(json.dumps(settings))
    assert Estimator.from_settings(str(tmp_path / 'old')).max_steps is None
    rc, _, err = run(capsys, 'train', '--config', tmp_path / 'old', '--out', tmp_path / 'o9')
    assert rc == 0, err
    assert 'window_mean' not in json.loads((tmp_path / 'o9' / 'model.json').read_text())[
        'tabular']
