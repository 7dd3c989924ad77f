import numpy
import pytest

from chainer import gradient_check

from chainer_irnn.links import IRNN, RecurrentClassifier


def make(impl='naive', **kw):
    numpy.random.seed(0)
    return IRNN(**dict(dict(in_size=7, hidden=(5, 4), input='embed', impl=impl), **kw))


def test_identity_and_gaussian_init():
    numpy.random.seed(1)
    m = IRNN(256, (100, 50), input_std=0.001, identity_scale=0.5, impl='naive')
    numpy.testing.assert_array_equal(m.rec0.W.array, 0.5 * numpy.eye(100))
    numpy.testing.assert_array_equal(m.rec1.W.array, 0.5 * numpy.eye(50))
    assert not m.rec0.b.array.any() and not m.rec1.b.array.any()
    assert m.input_map.W.shape == (256, 100)
    assert m.proj1.W.shape == (50, 100) and m.proj1.b is None
    # N(0, 0.001^2): 25600 samples, so the std estimate is within ~1%
    w = m.input_map.W.array
    assert abs(w.std() - 0.001) < 5e-5 and abs(w.mean()) < 2e-5
    assert abs(m.proj1.W.array.std() - 0.001) < 1e-4


def test_linear_input_has_no_bias():
    m = IRNN(3, (100, 50), input='linear', impl='naive')
    assert m.input_map.b is None and m.input_map.W.shape == (100, 3)


IMPLS = ['naive', 'fused']


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('input', ['embed', 'linear'])
@pytest.mark.parametrize('activation', ['relu', 'tanh'])
def test_forward_matches_plain_numpy_loop(input, activation, impl):
    numpy.random.seed(2)
    m = IRNN(6, (5, 3), input=input, activation=activation, input_std=0.5,
             identity_scale=0.9, impl=impl)
    B, T = 3, 4
    if input == 'embed':
        x = numpy.random.randint(0, 6, (B, T)).astype(numpy.int32)
        u0 = m.input_map.W.array[x]
    else:
        x = numpy.random.randn(B, T, 6).astype(numpy.float32)
        u0 = x @ m.input_map.W.array.T
    act = (lambda z: numpy.maximum(z, 0)) if activation == 'relu' else numpy.tanh
    for rec in (m.rec0, m.rec1):
        rec.b.array[:] = numpy.random.randn(*rec.b.shape)
    h0, h1 = numpy.zeros((B, 5)), numpy.zeros((B, 3))
    for t in range(T):
        h0 = act(u0[:, t] + h0 @ m.rec0.W.array.T + m.rec0.b.array)
        h1 = act(h0 @ m.proj1.W.array.T + h1 @ m.rec1.W.array.T + m.rec1.b.array)
    numpy.testing.assert_allclose(m(x).array, h1, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('impl', IMPLS)
def test_variable_lengths_equal_running_each_sequence_alone(impl):
    numpy.random.seed(3)
    m = IRNN(10, (6, 4), input_std=0.3, impl=impl)
    lengths = numpy.array([5, 1, 3, 5], dtype=numpy.int32)
    x = numpy.random.randint(0, 10, (4, 5)).astype(numpy.int32)
    batched = m(x, lengths=lengths).array
    for i, n in enumerate(lengths):
        alone = m(x[i:i + 1, :n]).array
        numpy.testing.assert_allclose(batched[i], alone[0], rtol=1e-6, atol=1e-7)
    # padding content never leaks
    x2 = x.copy()
    x2[1, 1:] = 9
    numpy.testing.assert_array_equal(m(x2, lengths=lengths).array, batched)


def test_return_sequences_shape_and_last_state():
    m = make()
    x = numpy.random.randint(0, 7, (2, 6)).astype(numpy.int32)
    hs = m(x, return_sequences=True)
    assert hs.shape == (2, 6, 4)
    numpy.testing.assert_array_equal(hs.array[:, -1], m(x).array)


def test_initial_state_is_used():
    m = make()
    x = numpy.random.randint(0, 7, (2, 3)).astype(numpy.int32)
    h0 = [numpy.full((2, 5), 2.0, numpy.float32), numpy.full((2, 4), 3.0, numpy.float32)]
    assert not numpy.allclose(m(x, h0=h0).array, m(x).array)


@pytest.mark.parametrize('bad', [dict(hidden=()), dict(input='conv'),
                                 dict(activation='sigmoid'), dict(impl='fast')])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        make(**bad)


@pytest.mark.parametrize('lengths', [None, [4, 2, 1]])
def test_gradient_check_of_link(lengths):
    """Numerical gradients of the classifier's loss w.r.t. every parameter."""
    numpy.random.seed(4)
    enc = IRNN(3, (4, 3), input='linear', input_std=0.5, identity_scale=0.8, impl='naive')
    model = RecurrentClassifier(enc, 2)
    model.to_device('@numpy')
    for p in model.params():
        p.array = p.array.astype(numpy.float64)
        p.array += numpy.random.uniform(-0.05, 0.05, p.shape)  # away from ReLU kinks at 0
    x = numpy.random.randn(3, 4, 3)
    lens = None if lengths is None else numpy.array(lengths)
    gy = numpy.random.randn(3, 2)
    params = tuple(model.params())

    def f(x):
        return model(x, lens)
    gradient_check.check_backward(f, x, gy, params=params, dtype=numpy.float64,
                                  atol=1e-5, rtol=1e-4, eps=1e-4)
