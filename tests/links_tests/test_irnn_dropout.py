"""Dropout and input noise of the IRNN link: training only, gradients right."""
import numpy
import pytest

import chainer
from chainer import gradient_check

from chainer_irnn.links import IRNN


def make(**kw):
    numpy.random.seed(0)
    m = IRNN(3, (5, 4), input='linear', input_std=0.5, impl='naive', **kw)
    return m


X = numpy.random.RandomState(1).randn(6, 7, 3).astype(numpy.float32)


@pytest.mark.parametrize('kw', [dict(dropout=0.5), dict(input_dropout=0.5),
                                dict(input_noise=0.3)])
def test_regularisation_acts_in_training_only(kw):
    plain, reg = make(), make(**kw)
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(reg(X).array, plain(X).array)
    a, b = reg(X).array, reg(X).array            # train mode: random each call
    assert not numpy.allclose(a, b)
    assert not numpy.allclose(a, plain(X).array)


def test_dropout_gradients_with_a_fixed_mask():
    m = make(dropout=0.3, input_dropout=0.2)

    def f(x):
        numpy.random.seed(5)        # the same masks at every evaluation
        return m(x)
    x = X[:2, :4].astype(numpy.float64)
    m.to_device('@numpy')
    for p in m.params():
        p.array = p.array.astype(numpy.float64)
    gy = numpy.random.RandomState(2).randn(2, 4)
    gradient_check.check_backward(f, x, gy, eps=1e-4, atol=1e-4, rtol=1e-3,
                                  params=tuple(m.params()), dtype=numpy.float64)


def test_config_rejects_bad_ratios():
    from chainer_irnn.errors import ParameterError
    from chainer_irnn.training.config import TrainConfig
    with pytest.raises(ParameterError, match='dropout'):
        TrainConfig().replace(dropout=1.0)
    with pytest.raises(ParameterError, match='input_noise'):
        TrainConfig().replace(input_noise=-0.1)
    assert TrainConfig().replace(input='linear', input_noise=0.1).model.input_noise == 0.1


def test_embed_input_ignores_input_noise_and_dropout():
    numpy.random.seed(0)
    plain = IRNN(10, 4, input='embed', impl='naive')
    numpy.random.seed(0)
    noisy = IRNN(10, 4, input='embed', impl='naive', input_noise=0.5, input_dropout=0.5)
    ids = numpy.random.RandomState(3).randint(0, 10, size=(3, 6)).astype(numpy.int32)
    numpy.testing.assert_array_equal(noisy(ids).array, plain(ids).array)
