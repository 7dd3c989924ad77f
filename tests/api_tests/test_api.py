"""The library API as a user imports it: ``from chainer_irnn import ...``."""
import os
import pickle

import numpy
import pytest

from chainer_irnn import IRNNClassifier, TrainConfig, fit, load_model, read_csv, read_ts
from chainer_irnn.errors import DataError, ParameterError

RNG = numpy.random.RandomState(0)


def toy(n=48, T=6, F=2):
    X = RNG.normal(size=(n, T, F)).astype('float32')
    return X, numpy.where(X[:, :, 0].sum(1) > 0, 'up', 'down')


def small(**kw):
    return IRNNClassifier(**dict(dict(hidden=(8,), min_iteration=60, epoch=1), **kw))


@pytest.mark.slow
def test_estimator_on_arrays_lists_and_tokens():
    X, y = toy()
    clf = small().fit(X, y)
    assert list(clf.classes_) == ['down', 'up'] and clf.n_features_in_ == 2
    proba = clf.predict_proba(X[:5])
    assert proba.shape == (5, 2) and numpy.allclose(proba.sum(1), 1)
    assert set(clf.predict(X)) <= {'down', 'up'} and clf.history_
    # variable lengths, as a list
    seqs = [RNG.normal(size=(RNG.randint(2, 7), 2)) for _ in range(30)]
    labels = [int(s[:, 0].sum() > 0) for s in seqs]
    assert small().fit(seqs, labels).predict(seqs).shape == (30,)
    # integer tokens through EmbedID
    tokens = RNG.randint(0, 16, size=(30, 5))
    clf = small(input='embed', n_tokens=16).fit(tokens, tokens[:, 0] > 7)
    assert clf.predict(tokens).dtype == bool


def test_estimator_validates_its_input():
    X, y = toy()
    with pytest.raises(ValueError, match='one class'):
        small().fit(X, ['a'] * len(X))
    with pytest.raises(ValueError, match='float32'):
        small().fit(numpy.where(X > 2, 1e39, X.astype('float64')), y)
    clf = small().fit(X[:, :, 0], y)          # 2-D: fixed-length univariate series
    with pytest.raises(ValueError, match='features'):
        clf.predict(X[:, :4, 0])


def test_estimator_save_load_pickle_and_the_predictor_agree(tmp_path):
    X, y = toy()
    clf = small(pool='mean', bidirectional=True, ensemble=2).fit(X, y)
    clf.save(str(tmp_path / 'm'))
    again = IRNNClassifier.load(str(tmp_path / 'm'))
    numpy.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    shape = ('hidden', 'input', 'pool', 'bidirectional', 'ensemble')
    assert {k: again.get_params()[k] for k in shape} == {k: clf.get_params()[k] for k in shape}
    numpy.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict(X), clf.predict(X))
    p = load_model(str(tmp_path / 'm'))
    assert p.classes == ['down', 'up']
    numpy.testing.assert_allclose(p.predict_proba(X), clf.predict_proba(X))


@pytest.mark.slow
def test_sklearn_tools_take_the_estimator():
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import Pipeline
    X, y = toy()
    assert len(cross_val_score(small(), X, y, cv=2)) == 2
    grid = GridSearchCV(small(), {'hidden': [(4,), (8,)]}, cv=2).fit(X, y)
    assert grid.best_params_['hidden'] in ((4,), (8,))
    pipe = Pipeline([('irnn', small())]).fit(X, y)
    assert pipe.score(X, y) >= 0


def test_fit_with_typed_settings_on_arrays(tmp_path):
    X, y = toy()
    train = [(x, int(t == 'up')) for x, t in zip(X, y)]
    config = TrainConfig.from_preset('csv', hidden=(8,), iteration=20, progress=False,
                                     report=False, plots=False)
    result = fit(config, train[:40], train[40:], out=str(tmp_path / 'r'))
    assert result.description['in_size'] == 2 and result.description['n_class'] == 2
    assert result.last('validation/main/accuracy') is not None
    assert os.path.exists(str(tmp_path / 'r' / 'model.npz'))
    with pytest.raises(ParameterError, match='batchsize'):
        TrainConfig.from_preset('csv', batchsize=0)
    with pytest.raises(ParameterError, match="optimizer: must be one of"):
        config.replace(optimizer='adagrad')


def test_read_csv_and_read_ts(tmp_path):
    (tmp_path / 'a.csv').write_text('label,x1,x2,x3\n' + '\n'.join(
        '{},{},{},{}'.format(i % 2, i, -i, i * 0.5) for i in range(20)) + '\n')
    data = read_csv(str(tmp_path / 'a.csv'), val_split=0.2)
    assert len(data.train) == 16 and len(data.val) == 4 and data.classes == [0, 1]
    x, c = data.train[0]
    assert x.shape == (3, 1) and x.dtype == numpy.float32 and c in (0, 1)
    (tmp_path / 'u.ts').write_text('@problemName u\n@data\n1,2,3:a\n4,?,6:b\n')
    X, y = read_ts(str(tmp_path / 'u.ts'))
    assert [x.shape for x in X] == [(3, 1), (3, 1)] and list(y) == ['a', 'b']
    assert numpy.isnan(X[1][1, 0])
    (tmp_path / 'bad.ts').write_text('@data\n1,x:a\n')
    with pytest.raises(DataError, match='bad.ts, line 2'):
        read_ts(str(tmp_path / 'bad.ts'))


# ---------------------------------------------------------------- issue 22, 24

def tiny(**kw):
    return IRNNClassifier(**dict(dict(hidden=(4,), min_iteration=4, epoch=1, batchsize=8,
                                      validation_fraction=0), **kw))


@pytest.mark.parametrize('labels', [[1.0, 2.0], [True, False], [3, 7],
                                    [numpy.float32(1.0), numpy.float32(2.0)],
                                    ['1.0', '2'], [90071992547409921, 90071992547409923]])
def test_saved_classes_keep_their_type(tmp_path, labels):
    X, _ = toy(n=16, T=3)
    y = numpy.array([labels[i % 2] for i in range(16)],
                    dtype=object if isinstance(labels[0], str) else None)
    clf = tiny().fit(X, y)
    assert len(clf.classes_) == 2            # two classes, even 2**56 + 1 and + 3
    back = IRNNClassifier.load(clf.save(str(tmp_path / 'm')))
    assert back.classes_.dtype == clf.classes_.dtype
    assert [type(c) for c in back.classes_] == [type(c) for c in clf.classes_]
    assert list(back.classes_) == list(clf.classes_)
    assert (back.predict(X) == clf.predict(X)).all()
    assert back.score(X, y) == clf.score(X, y)


def test_bad_sequences_and_labels_are_named():
    seqs = [numpy.ones((3, 2)), numpy.ones((0, 2)), numpy.ones((4, 2))]
    with pytest.raises(ParameterError, match=r'X\[1\] is an empty sequence'):
        tiny().fit(seqs, [0, 1, 0])
    X, _ = toy(n=6, T=3)
    with pytest.raises(ParameterError, match=r'y\[2\] is None; every sequence needs a label'):
        tiny().fit(X, numpy.array(['a', 'b', None, 'a', 'b', 'a'], dtype=object))


def test_aeon_layout_by_axis_order():
    X, y = toy(n=16, T=7, F=2)
    nct = X.transpose(0, 2, 1)                       # aeon/sktime: (n, channels, T)
    clf = tiny(axis_order='nct').fit(nct, y)
    assert clf.n_features_in_ == 2
    ref = tiny(axis_order='ntf').fit(X, y)
    numpy.testing.assert_allclose(clf.predict_proba(nct), ref.predict_proba(X), rtol=1e-5)
    # a list of (channels, T_i) arrays, as aeon's unequal-length collections
    assert tiny(axis_order='nct').fit([x.T[:, :5 + i % 3] for i, x in enumerate(X)],
                                      y).n_features_in_ == 2
    with pytest.warns(UserWarning, match="axis_order='nct'"):
        tiny().fit(nct, y)                             # (16, 2, 7): 2 steps of 7 features?
    with pytest.raises(ParameterError, match='axis_order'):
        tiny(axis_order='tnf').fit(X, y)


def test_dataframes_nested_or_long():
    import pandas as pd
    X, y = toy(n=12, T=5, F=2)
    nested = pd.DataFrame({'dim_0': [pd.Series(x[:, 0]) for x in X],
                           'dim_1': [pd.Series(x[:, 1]) for x in X]})
    clf = tiny().fit(nested, y)
    assert clf.n_features_in_ == 2
    numpy.testing.assert_allclose(clf.predict_proba(nested), clf.predict_proba(X), rtol=1e-5)
    long = pd.DataFrame({'id': numpy.repeat(numpy.arange(12), 5), 'time': numpy.tile(
        numpy.arange(5), 12), 'a': X[:, :, 0].ravel(), 'b': X[:, :, 1].ravel()})
    with pytest.raises(ParameterError, match="long-format table.*column 'id'"):
        tiny().fit(long, numpy.repeat(y, 5))
    with pytest.raises(ParameterError, match='long-format'):
        tiny().fit(long.set_index(['id', 'time']), numpy.repeat(y, 5))
