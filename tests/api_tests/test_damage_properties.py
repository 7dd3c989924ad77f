"""Properties of loading and predicting (issue 17):

* a model file with any bytes damaged either loads the very same parameters
  or fails with a :class:`UserError` naming the file — never a traceback,
  never silently different weights (zip members carry CRC-32s);
* predictions of a CSV file do not depend on the order of its columns nor on
  extra columns.
"""
import os
import shutil
import tempfile

import numpy
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainer_irnn import IRNNClassifier, load_model, read_csv
from chainer_irnn.errors import UserError

pytestmark = pytest.mark.slow   # dozens of loads and predictions

RNG = numpy.random.RandomState(0)
X = RNG.normal(size=(30, 4, 3)).astype('float32')
Y = (X[:, :, 0].sum(1) > 0).astype(int)


@pytest.fixture(scope='module')
def saved():
    d = tempfile.mkdtemp()
    IRNNClassifier(hidden=(5,), min_iteration=20, epoch=1).fit(X, Y).save(d)
    yield d
    shutil.rmtree(d)


def params(predictor):
    return {k: v.array.copy() for k, v in predictor.model.namedparams()}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_model_loads_the_same_or_fails_clearly(saved, data):
    good = params(load_model(saved))
    raw = bytearray(open(os.path.join(saved, 'model.npz'), 'rb').read())
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255)),
                               min_size=1, max_size=4))
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(raw) - 1)))
    for i, x in flips:
        raw[i] ^= x
    if cut is not None:
        raw = raw[:cut]
    d = tempfile.mkdtemp()
    try:
        shutil.copy(os.path.join(saved, 'model.json'), d)
        with open(os.path.join(d, 'model.npz'), 'wb') as f:
            f.write(bytes(raw))
        try:
            loaded = params(load_model(d))
        except UserError as e:
            assert 'model.npz' in str(e) and '\n' not in str(e)
            return
        assert loaded.keys() == good.keys()
        for k in good:
            numpy.testing.assert_array_equal(loaded[k], good[k])
    finally:
        shutil.rmtree(d)


def _write(path, frame):
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope='module')
def csv_model():
    d = tempfile.mkdtemp()
    rows = [{'id': i, 't': t, 'a': X[i, t, 0], 'b': X[i, t, 1], 'c': X[i, t, 2], 'label': Y[i]}
            for i in range(len(X)) for t in range(4)]
    frame = pd.DataFrame(rows)
    data = read_csv(_write(os.path.join(d, 'train.csv'), frame), val_split=0)
    IRNNClassifier(hidden=(5,), min_iteration=20, epoch=1).fit(data.train).save(
        os.path.join(d, 'm'))
    yield d, frame
    shutil.rmtree(d)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(['id', 't', 'a', 'b', 'c', 'label']),
       extra=st.lists(st.sampled_from(['x', 'note', 'd', 'A']), unique=True, max_size=2))
def test_predictions_do_not_depend_on_column_order(csv_model, order, extra):
    d, frame = csv_model
    model = load_model(os.path.join(d, 'm'))
    reference = os.path.join(d, 'ref.csv')
    model.predict_file(_write(os.path.join(d, 'same.csv'), frame), reference)
    other = frame[list(order)].copy()
    for name in extra:
        other[name] = 1.5
    out = os.path.join(d, 'other.csv')
    model.predict_file(_write(os.path.join(d, 'shuffled.csv'), other), out)
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(reference))
