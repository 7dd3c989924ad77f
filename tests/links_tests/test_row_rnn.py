import json
import os

import numpy
import pytest

import chainer

from chainer_irnn import models
from chainer_irnn.errors import UserError
from chainer_irnn.links import IRNN, RowRNN


def check_backward(*args, **kw):
    """``chainer.gradient_check.check_backward``; skipped where it cannot import.

    ``chainer.gradient_check`` imports ``chainer.testing``, which imports
    ``pkg_resources`` (gone from recent setuptools).
    """
    try:
        from chainer import gradient_check
    except ImportError as e:
        pytest.skip('chainer.gradient_check does not import here: {}'.format(e))
    gradient_check.check_backward(*args, **kw)


def impls():
    found = ['naive']
    try:
        import chainer_irnn.functions.rnn.irnn_recurrence  # NOQA
        found.append('fused')
    except ImportError:
        pass
    return found


def test_is_a_one_layer_tanh_irnn_with_keras_initialisation():
    numpy.random.seed(0)
    m = RowRNN(28, 256, impl='naive')
    assert isinstance(m, IRNN)
    assert m.activation == 'tanh' and m.input == 'linear' and m.hidden == (256,)
    assert m.out_size == 256 and m.dropout == 0.2
    W, U, b = m.input_map.W.array, m.rec0.W.array, m.rec0.b.array
    assert W.shape == (256, 28) and m.input_map.b is None
    limit = numpy.sqrt(6.0 / (28 + 256))  # Glorot uniform
    assert numpy.abs(W).max() <= limit and numpy.abs(W).max() > 0.95 * limit
    assert abs(W.std() - limit / numpy.sqrt(3)) < 0.05 * limit
    numpy.testing.assert_allclose(U @ U.T, numpy.eye(256), atol=1e-5)  # orthogonal
    assert not (U == numpy.eye(256)).all()  # not IRNN's identity
    assert not b.any()


def test_rejects_more_than_one_layer_and_bad_dropout():
    with pytest.raises(ValueError, match='one layer'):
        RowRNN(28, (10, 10), impl='naive')
    with pytest.raises(ValueError, match='dropout'):
        RowRNN(28, 10, dropout=1.0, impl='naive')


@pytest.mark.parametrize('impl', impls())
def test_forward_matches_numpy_tanh_loop_in_evaluation(impl):
    numpy.random.seed(1)
    m = RowRNN(7, 5, impl=impl)
    m.rec0.b.array[:] = numpy.random.randn(5)
    x = numpy.random.rand(3, 4, 7).astype(numpy.float32)
    h = numpy.zeros((3, 5))
    for t in range(4):
        h = numpy.tanh(x[:, t] @ m.input_map.W.array.T + h @ m.rec0.W.array.T + m.rec0.b.array)
    with chainer.using_config('train', False):
        y = m(x)
    assert y.shape == (3, 5)
    numpy.testing.assert_allclose(y.array, h, rtol=1e-5, atol=1e-6)


def test_input_dropout_uses_one_mask_per_sequence_for_all_steps():
    m = RowRNN(6, 4, dropout=0.5, impl='naive')
    x = numpy.random.rand(8, 5, 6).astype(numpy.float32) + 0.5
    numpy.random.seed(2)
    y_train = m(x, return_sequences=True).array
    numpy.random.seed(2)
    keep = numpy.random.rand(8, 1, 6) >= 0.5
    assert 0 < keep.sum() < keep.size
    with chainer.using_config('train', False):
        y_masked = m(x * keep * 2.0, return_sequences=True).array
        y_eval = m(x, return_sequences=True).array
    numpy.testing.assert_allclose(y_train, y_masked, rtol=1e-5, atol=1e-6)
    assert not numpy.allclose(y_train, y_eval)
    # no dropout at all when asked for none
    m0 = RowRNN(6, 4, dropout=0.0, impl='naive')
    with chainer.using_config('train', False):
        ref = m0(x).array
    numpy.testing.assert_array_equal(m0(x).array, ref)


@pytest.mark.parametrize('impl', impls())
def test_check_backward_float64(impl):
    numpy.random.seed(3)
    with chainer.using_config('dtype', numpy.float64):
        m = RowRNN(3, 4, dropout=0.0, impl=impl)
    m.rec0.b.array[:] = numpy.random.uniform(-0.3, 0.3, 4)
    assert all(p.dtype == numpy.float64 for p in m.params())
    x = numpy.random.randn(2, 5, 3)
    gy = numpy.random.randn(2, 4)
    check_backward(lambda x: m(x), x, gy, params=tuple(m.params()),
                   dtype=numpy.float64, atol=1e-6, rtol=1e-5)


def test_build_model_rows_rnn():
    config = {'model': 'rows-rnn', 'hidden': [16], 'in_size': 28, 'n_class': 10,
              'input': 'linear', 'activation': 'tanh'}
    model = models.build_model(config, impl='naive')
    enc = model.predictor.encoder
    assert isinstance(enc, RowRNN) and enc.hidden == (16,) and enc.in_size == 28
    head = model.predictor.head.W.array
    assert numpy.abs(head).max() <= numpy.sqrt(6.0 / 26)  # Glorot uniform, as Keras' Dense
    with pytest.raises(UserError, match='takes 1 hidden size'):
        models.build_model(dict(config, hidden=[16, 8]), impl='naive')


def test_preset_is_data():
    from chainer_irnn.training import TrainConfig
    f = TrainConfig.from_preset('rows-rnn')
    assert (f.model.model, f.mnist.view, f.model.input, tuple(f.model.hidden),
            f.model.activation) == ('rows-rnn', 'rows', 'linear', (256,), 'tanh')
    assert (f.optimizer.name, f.optimizer.lr, f.run.batchsize, f.run.epoch, f.optimizer.clip) == (
        'sgd', 0.01, 128, 20, 0.0)


@pytest.mark.parametrize('impl', impls())
def test_cli_trains_the_preset(tmp_path, impl):
    pytest.importorskip('chainer_irnn.datasets.mnist')
    from chainer_irnn.cli import main
    out = str(tmp_path / 'rows')
    rc = main(['train', '--preset', 'rows-rnn', '--data', 'embedded', '--iteration', '3',
               '--n-train', '64', '--n-test', '32', '--batchsize', '16', '--out', out,
               '--no-progress', '--impl', impl])
    assert rc in (0, None)
    with open(os.path.join(out, 'model.json')) as f:
        config = json.load(f)
    assert config['model'] == 'rows-rnn' and config['in_size'] == 28
    assert config['view'] == 'rows' and config['hidden'] == [256]
    model, _ = models.load_model(out, impl=impl)
    assert isinstance(model.predictor.encoder, RowRNN)
