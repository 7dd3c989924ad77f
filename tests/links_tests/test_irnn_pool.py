"""IRNN(pool=...): the last state, or the mean or maximum over each sequence's
own steps, for both recurrences, with gradients checked numerically."""
import numpy
import pytest

from chainer import gradient_check

from chainer_irnn.errors import ParameterError
from chainer_irnn.links import IRNN, RecurrentClassifier
from chainer_irnn.training.config import TrainConfig

REDUCE = {'last': lambda hs: hs[-1], 'mean': lambda hs: hs.mean(0), 'max': lambda hs: hs.max(0)}


@pytest.mark.parametrize('impl', ['fused', 'naive'])
@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
@pytest.mark.parametrize('input', ['linear', 'embed'])
def test_pool_over_each_sequences_own_steps(pool, impl, input):
    numpy.random.seed(0)
    m = IRNN(3 if input == 'linear' else 9, (5, 4), input=input, impl=impl, pool=pool,
             identity_scale=0.9, input_std=0.5)
    x = numpy.random.randn(4, 6, 3).astype('f') if input == 'linear' else \
        numpy.random.randint(0, 9, (4, 6)).astype('i')
    lengths = numpy.array([6, 2, 4, 1], 'i')
    got = m(x, lengths).array
    for i, n in enumerate(lengths):
        hs = m(x[i:i + 1, :n], return_sequences=True).array[0]      # (n, H), no padding
        numpy.testing.assert_allclose(got[i], REDUCE[pool](hs), rtol=1e-5, atol=1e-6)
    # without lengths every step counts
    hs = m(x, return_sequences=True).array.transpose(1, 0, 2)
    numpy.testing.assert_allclose(m(x).array, REDUCE[pool](hs), rtol=1e-5, atol=1e-6)


def test_mean_differs_from_last():
    numpy.random.seed(1)
    x = numpy.random.randn(2, 5, 3).astype('f')
    a = IRNN(3, 4, input='linear', pool='last', input_std=0.5)
    b = IRNN(3, 4, input='linear', pool='mean', input_std=0.5)
    b.copyparams(a)
    assert not numpy.allclose(a(x).array, b(x).array)


@pytest.mark.parametrize('pool', ['mean', 'max'])
@pytest.mark.parametrize('lengths', [None, [4, 2, 1]])
def test_gradient_check_of_pooled_classifier(pool, lengths):
    numpy.random.seed(4)
    enc = IRNN(3, (4, 3), input='linear', input_std=0.5, identity_scale=0.8, impl='naive',
               pool=pool)
    model = RecurrentClassifier(enc, 2)
    for p in model.params():
        p.array = p.array.astype(numpy.float64)
        p.array += numpy.random.uniform(-0.05, 0.05, p.shape)
    x = numpy.random.randn(3, 4, 3)
    lens = None if lengths is None else numpy.array(lengths)
    gy = numpy.random.randn(3, 2)
    gradient_check.check_backward(lambda x: model(x, lens), x, gy, params=tuple(model.params()),
                                  dtype=numpy.float64, atol=1e-5, rtol=1e-4, eps=1e-4)


def test_bad_pool():
    with pytest.raises(ValueError, match='pool must be one of'):
        IRNN(3, 4, input='linear', pool='sum')
    with pytest.raises(ParameterError, match='pool'):
        TrainConfig.from_preset(None, pool='sum')
    with pytest.raises(ParameterError, match="irnn setting; model 'hrnn'"):
        TrainConfig.from_preset('hrnn').replace(pool='mean')


def test_pool_round_trips_through_model_files(tmp_path):
    from chainer_irnn import IRNNClassifier, load_model
    rng = numpy.random.RandomState(0)
    x = rng.randn(40, 6, 2)
    y = (x[:, :, 0].mean(1) > 0).astype(int)
    clf = IRNNClassifier(pool='max', epoch=2, min_iteration=0, ensemble=1,
                         out=str(tmp_path / 'm')).fit(x, y)
    loaded = load_model(str(tmp_path / 'm'))
    assert loaded.description['pool'] == 'max'
    assert loaded.model.predictor.encoder.pool == 'max'
    numpy.testing.assert_array_equal(numpy.asarray(loaded.predict(x)).astype(int),
                                     clf.predict(x))


@pytest.mark.parametrize('pool', ['mean', 'max'])
def test_pooling_an_empty_sequence_is_refused(pool):
    m = IRNN(3, 4, input='linear', pool=pool)
    with pytest.raises(ValueError, match='needs every sequence to have a step'):
        m(numpy.zeros((2, 3, 3), 'f'), numpy.array([3, 0], 'i'))


def test_a_pool_for_another_model_kind_is_refused_in_model_files():
    from chainer_irnn.errors import UserError
    from chainer_irnn.models import check_description
    description = {'model': 'rows-rnn', 'input': 'linear', 'hidden': [4], 'activation': 'tanh',
                   'identity_scale': 1.0, 'input_std': 0.001, 'in_size': 28, 'n_class': 10}
    check_description(description)
    with pytest.raises(UserError, match="pool .mean. is an irnn setting; model 'rows-rnn'"):
        check_description(dict(description, pool='mean'))
