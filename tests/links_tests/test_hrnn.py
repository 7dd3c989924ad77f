import json
import os

import numpy
import pytest

import chainer

from chainer_irnn import models
from chainer_irnn.errors import UserError
from chainer_irnn.links import HierarchicalRNN


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


def sigmoid(z):
    return 1 / (1 + numpy.exp(-z))


def numpy_lstm(lstm, steps):
    """Chainer's LSTM in plain NumPy: gates interleaved as (a, i, f, o)."""
    Wu, bu, Wl = lstm.upward.W.array, lstm.upward.b.array, lstm.lateral.W.array
    h = numpy.zeros((steps[0].shape[0], Wl.shape[1]))
    c = numpy.zeros_like(h)
    for x in steps:
        z = x @ Wu.T + bu + h @ Wl.T
        a, i, f, o = (z[:, k::4] for k in range(4))
        c = numpy.tanh(a) * sigmoid(i) + sigmoid(f) * c
        h = sigmoid(o) * numpy.tanh(c)
    return h


def test_keras_lstm_initialisation():
    numpy.random.seed(0)
    m = HierarchicalRNN(128, 64)
    assert m.out_size == 64
    for lstm, n_in, n in ((m.row, 1, 128), (m.col, 128, 64)):
        W, U, b = lstm.upward.W.array, lstm.lateral.W.array, lstm.upward.b.array
        assert W.shape == (4 * n, n_in) and U.shape == (4 * n, n)
        assert lstm.lateral.b is None
        # Glorot uniform over (fan_in, fan_out) = (n_in, 4n)
        limit = numpy.sqrt(6.0 / (n_in + 4 * n))
        assert numpy.abs(W).max() <= limit and numpy.abs(W).max() > 0.9 * limit
        assert abs(W.std() - limit / numpy.sqrt(3)) < 0.1 * limit
        # orthogonal: the (4n, n) recurrent matrix has orthonormal columns
        numpy.testing.assert_allclose(U.T @ U, numpy.eye(n), atol=1e-5)
        # zero biases, forget gate (third of each interleaved group) at 1
        numpy.testing.assert_array_equal(b[2::4], 1)
        for k in (0, 1, 3):
            numpy.testing.assert_array_equal(b[k::4], 0)


def test_forward_shape_and_matches_numpy_row_then_column_loops():
    numpy.random.seed(1)
    m = HierarchicalRNN(5, 4)
    B, R, C = 3, 6, 7
    x = numpy.random.rand(B, R, C).astype(numpy.float32)
    y = m(x)
    assert y.shape == (B, 4) and y.dtype == numpy.float32
    m64 = m.copy('copy')
    for p in m64.params():
        p.array = p.array.astype(numpy.float64)
    rows = x.reshape(B * R, C).astype(numpy.float64)
    enc = numpy_lstm(m64.row, [rows[:, t:t + 1] for t in range(C)])  # (B*R, 5)
    enc = enc.reshape(B, R, 5)
    expected = numpy_lstm(m64.col, [enc[:, r] for r in range(R)])
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-6)


def test_rows_are_encoded_independently_of_each_other():
    # the row encoder is shared: permuting images in the batch permutes outputs
    numpy.random.seed(2)
    m = HierarchicalRNN(4, 3)
    x = numpy.random.rand(4, 5, 6).astype(numpy.float32)
    y = m(x).array
    numpy.testing.assert_allclose(m(x[::-1]).array, y[::-1], rtol=1e-6, atol=1e-7)
    numpy.testing.assert_allclose(m(x[2:3]).array, y[2:3], rtol=1e-5, atol=1e-7)


def test_lengths_and_bad_shapes_are_rejected():
    m = HierarchicalRNN(3, 2)
    x = numpy.zeros((2, 4, 4), numpy.float32)
    with pytest.raises(ValueError, match='lengths must be None'):
        m(x, numpy.array([4, 2], numpy.int32))
    with pytest.raises(ValueError, match=r'\(B, rows, columns\)'):
        m(numpy.zeros((2, 16), numpy.float32))
    assert m(x, None).shape == (2, 2)


def test_check_backward_float64():
    numpy.random.seed(3)
    with chainer.using_config('dtype', numpy.float64):
        m = HierarchicalRNN(3, 2)
    for p in m.params():
        assert p.dtype == numpy.float64
        # move the biases off their structured start so every path is exercised
        p.array[...] += numpy.random.uniform(-0.3, 0.3, p.shape)
    x = numpy.random.rand(2, 3, 4)
    gy = numpy.random.randn(2, 2)
    check_backward(lambda x: m(x), x, gy, params=tuple(m.params()),
                   dtype=numpy.float64, atol=1e-6, rtol=1e-5)


def test_build_model_hrnn_and_hidden_validation():
    config = {'model': 'hrnn', 'hidden': [6, 5], 'in_size': 28, 'n_class': 10,
              'input': 'linear', 'activation': 'tanh'}
    model = models.build_model(config)
    assert isinstance(model.predictor.encoder, HierarchicalRNN)
    assert model.predictor.head.W.shape == (10, 5)
    with pytest.raises(UserError, match='row, column'):
        models.build_model(dict(config, hidden=[6]))


def test_preset_is_data():
    from chainer_irnn.training import TrainConfig
    f = TrainConfig.from_preset('hrnn')
    assert (f.model.model, f.mnist.view, f.model.input, tuple(f.model.hidden)) == (
        'hrnn', 'rows', 'linear', (128, 128))
    assert (f.optimizer.name, f.optimizer.lr, f.run.batchsize, f.run.epoch, f.optimizer.clip) == (
        'rmsprop', 1e-3, 32, 5, 0.0)


@pytest.mark.slow
def test_cli_trains_the_preset(tmp_path):
    pytest.importorskip('chainer_irnn.datasets.mnist')
    from chainer_irnn.cli import main
    out = str(tmp_path / 'hrnn')
    rc = main(['train', '--preset', 'hrnn', '--data', 'embedded', '--iteration', '3',
               '--n-train', '64', '--n-test', '32', '--out', out, '--no-progress'])
    assert rc in (0, None)
    with open(os.path.join(out, 'model.json')) as f:
        config = json.load(f)
    assert config['model'] == 'hrnn' and config['in_size'] == 28
    assert config['view'] == 'rows' and config['hidden'] == [128, 128]
    model, _ = models.load_model(out)
    assert isinstance(model.predictor.encoder, HierarchicalRNN)
