"""IRNN(bidirectional=True): a second stack reads each sequence from its own
last step to its first, padding untouched; both directions pooled and
concatenated; for both recurrences, both inputs, stacked layers, with
gradients checked numerically; the one-way IRNN unchanged."""
import chainer
import numpy
import pytest

from chainer import gradient_check

from chainer_irnn.errors import ParameterError
from chainer_irnn.links import IRNN, RecurrentClassifier
from chainer_irnn.links.irnn import reverse_within_lengths

REDUCE = {'last': lambda hs: hs[-1], 'mean': lambda hs: hs.mean(0), 'max': lambda hs: hs.max(0)}
LENGTHS = numpy.array([6, 2, 4, 1], 'i')


def make(input='linear', seed=0, **kw):
    numpy.random.seed(seed)
    kw.setdefault('identity_scale', 0.9)
    kw.setdefault('input_std', 0.5)
    return IRNN(3 if input == 'linear' else 9, kw.pop('hidden', (5, 4)), input=input, **kw)


def data(input, B=4, T=6, seed=1):
    rng = numpy.random.RandomState(seed)
    if input == 'linear':
        return rng.randn(B, T, 3).astype('f')
    return rng.randint(0, 9, (B, T)).astype('i')


def one_way(link, stack):
    """A one-way IRNN of ``link``'s sizes holding the parameters of
    ``stack`` (``link`` itself or ``link.reverse``)."""
    plain = IRNN(link.in_size, link.hidden, input=link.input, impl=link.impl,
                 activation=link.activation, pool=link.pool)
    for name, p in plain.namedparams():
        source = stack
        for part in name.strip('/').split('/'):
            source = getattr(source, part)
        p.array[...] = source.array
    return plain


def test_reverse_within_lengths_keeps_the_padding_and_is_its_own_inverse():
    x = numpy.arange(4 * 6).reshape(4, 6)
    got = reverse_within_lengths(x, LENGTHS)
    for i, n in enumerate(LENGTHS):
        numpy.testing.assert_array_equal(got[i, :n], x[i, :n][::-1])
        numpy.testing.assert_array_equal(got[i, n:], x[i, n:])
    numpy.testing.assert_array_equal(reverse_within_lengths(got, LENGTHS), x)
    numpy.testing.assert_array_equal(reverse_within_lengths(x), x[:, ::-1])
    # lengths past T read as T, a length 0 leaves the row alone
    numpy.testing.assert_array_equal(reverse_within_lengths(x, [9, 0, 6, 6]),
                                     numpy.stack([x[0, ::-1], x[1], x[2, ::-1], x[3, ::-1]]))
    # a float Variable stays in the graph (its gradient is the inverse reordering)
    v = chainer.Variable(numpy.random.RandomState(0).randn(4, 6, 2))
    r = reverse_within_lengths(v, LENGTHS)
    assert isinstance(r, chainer.Variable)
    numpy.testing.assert_array_equal(r.array, reverse_within_lengths(v.array, LENGTHS))
    gy = numpy.random.RandomState(1).randn(4, 6, 2)
    r.grad = gy
    r.backward()
    numpy.testing.assert_array_equal(v.grad, reverse_within_lengths(gy, LENGTHS))


def test_the_default_is_the_one_way_irnn_and_its_parameter_names():
    a, b = make(), make(bidirectional=False)
    names = sorted(n for n, _ in a.namedparams())
    assert names == sorted(n for n, _ in b.namedparams())
    assert not any('reverse' in n for n in names) and a.out_size == 4
    c = make(bidirectional=True)
    both = sorted(n for n, _ in c.namedparams())
    assert [n for n in both if not n.startswith('/reverse/')] == names
    assert [n for n in both if n.startswith('/reverse/')] == ['/reverse' + n for n in names]
    assert c.out_size == 8
    # the forward stack is drawn first: the same seed gives a one-way IRNN's weights
    params = dict(a.namedparams())
    for name, p in c.namedparams():
        if not name.startswith('/reverse/'):
            numpy.testing.assert_array_equal(p.array, params[name].array)
    # the reverse stack starts as the forward one does: identity, zero bias
    numpy.testing.assert_array_equal(c.reverse.rec0.W.array,
                                     numpy.float32(0.9) * numpy.eye(5, dtype='f'))
    assert not c.reverse.rec1.b.array.any()
    assert not numpy.array_equal(c.reverse.input_map.W.array, c.input_map.W.array)


@pytest.mark.parametrize('impl', ['fused', 'naive'])
@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
@pytest.mark.parametrize('input', ['linear', 'embed'])
def test_a_padded_batch_reads_each_sequence_both_ways(pool, impl, input):
    """The forward half is a one-way IRNN with the forward weights; the
    backward half is a one-way IRNN with the reverse weights run on each
    sequence alone, reversed; the padding (anything) is never read."""
    m = make(input, impl=impl, pool=pool, bidirectional=True)
    x = data(input)
    x_padded = x.copy()
    for i, n in enumerate(LENGTHS):
        x_padded[i, n:] = 1e3 if input == 'linear' else 8
    got = m(x_padded, LENGTHS).array
    assert got.shape == (4, 8)
    forward, backward = one_way(m, m), one_way(m, m.reverse)
    for i, n in enumerate(LENGTHS):
        alone = x[i:i + 1, :n]
        numpy.testing.assert_allclose(got[i, :4], forward(alone).array[0], rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(got[i, 4:], backward(alone[:, ::-1].copy()).array[0],
                                      rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(got[i], m(alone).array[0], rtol=1e-5, atol=1e-6)
        hs = backward(alone[:, ::-1].copy(), return_sequences=True).array[0]
        numpy.testing.assert_allclose(got[i, 4:], REDUCE[pool](hs), rtol=1e-5, atol=1e-6)
    # without lengths the whole rows are read, backwards from step T-1
    numpy.testing.assert_allclose(m(x).array[:, 4:], backward(x[:, ::-1].copy()).array,
                                  rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('impl', ['fused', 'naive'])
def test_return_sequences_aligns_the_backward_states_with_the_steps(impl):
    m = make(impl=impl, bidirectional=True)
    x = data('linear')
    hs = m(x, LENGTHS, return_sequences=True).array
    assert hs.shape == (4, 6, 8)
    backward = one_way(m, m.reverse)
    for i, n in enumerate(LENGTHS):
        alone = x[i:i + 1, :n]
        numpy.testing.assert_allclose(hs[i, :n], m(alone, return_sequences=True).array[0],
                                      rtol=1e-5, atol=1e-6)
        # at step t: the state after reading steps n-1 down to t
        states = backward(alone[:, ::-1].copy(), return_sequences=True).array[0][::-1]
        numpy.testing.assert_allclose(hs[i, :n, 4:], states, rtol=1e-5, atol=1e-6)
        # past its length each half holds its final state
        numpy.testing.assert_array_equal(hs[i, n:], numpy.broadcast_to(
            numpy.concatenate([hs[i, n - 1, :4], hs[i, 0, 4:]]), hs[i, n:].shape))


@pytest.mark.parametrize('impl', ['fused', 'naive'])
@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
def test_gradient_check_of_the_bidirectional_classifier(impl, pool):
    numpy.random.seed(4)
    enc = IRNN(3, (4, 3), input='linear', input_std=0.5, identity_scale=0.8, impl=impl,
               pool=pool, bidirectional=True)
    model = RecurrentClassifier(enc, 2)
    assert model.head.W.shape == (2, 6)
    for p in model.params():
        p.array = p.array.astype(numpy.float64)
        p.array += numpy.random.uniform(-0.05, 0.05, p.shape)
    x = numpy.random.randn(3, 4, 3)
    lens = numpy.array([4, 2, 1])
    gy = numpy.random.randn(3, 2)
    gradient_check.check_backward(lambda x: model(x, lens), x, gy, params=tuple(model.params()),
                                  dtype=numpy.float64, atol=1e-5, rtol=1e-4, eps=1e-4)


def scaled(f):
    """``s -> s f()``: integer ids take no gradient, so a scale of the
    output is the input that ``check_backward`` differentiates (besides
    every parameter)."""
    import chainer.functions as F

    def g(s):
        y = f()
        return F.broadcast_to(F.reshape(s, (1,) * y.ndim), y.shape) * y
    return g


@pytest.mark.parametrize('impl', ['fused', 'naive'])
@pytest.mark.parametrize('sequences', [False, True])
def test_gradient_check_of_embed_input(impl, sequences):
    numpy.random.seed(5)
    enc = IRNN(6, (3, 2), input='embed', input_std=0.5, identity_scale=0.8, impl=impl,
               pool='mean', bidirectional=True)
    for p in enc.params():
        p.array = p.array.astype(numpy.float64)
        p.array += numpy.random.uniform(-0.05, 0.05, p.shape)
    ids = numpy.random.randint(0, 6, (3, 5)).astype('i')
    lens = numpy.array([5, 3, 1])
    gy = numpy.random.randn(*((3, 5, 4) if sequences else (3, 4)))
    gradient_check.check_backward(
        scaled(lambda: enc(ids, lens, return_sequences=sequences)), numpy.ones(1), gy,
        params=tuple(enc.params()), dtype=numpy.float64, atol=1e-5, rtol=1e-4, eps=1e-4)


def test_both_directions_read_one_draw_of_the_training_perturbations():
    """Augmentation, noise and input dropout are drawn once per batch: the
    reverse input map sees the forward one's input, each row reversed within
    its length."""
    m = make(bidirectional=True, impl='naive', augment_scale=0.3, augment_slice=0.3,
             input_noise=0.2, input_dropout=0.3, dropout=0.2)
    x = data('linear')
    seen = {}
    for name, link in (('forward', m.input_map), ('backward', m.reverse.input_map)):
        def spy(v, name=name, forward=link.forward):
            seen[name] = numpy.array(v.array if isinstance(v, chainer.Variable) else v)
            return forward(v)
        link.forward = spy
    numpy.random.seed(2)
    with chainer.using_config('train', True):
        a = m(x, LENGTHS).array
    B, T, D = x.shape
    fwd = seen['forward'].reshape(T, B, D).transpose(1, 0, 2)
    bwd = seen['backward'].reshape(T, B, D).transpose(1, 0, 2)
    assert not numpy.allclose(fwd, x)                      # perturbed
    numpy.testing.assert_array_equal(bwd, reverse_within_lengths(fwd, LENGTHS))
    with chainer.using_config('train', True):
        assert not numpy.allclose(m(x, LENGTHS).array, a)     # a new draw each call
    with chainer.using_config('train', False):
        plain = make(bidirectional=True, impl='naive')
        numpy.testing.assert_array_equal(m(x, LENGTHS).array, plain(x, LENGTHS).array)


def test_a_bidirectional_link_is_one_that_says_so():
    with pytest.raises(ParameterError, match="bidirectional: expected True or False, not 'yes'"):
        make(bidirectional='yes')
    m = make(bidirectional=True)
    with pytest.raises(ValueError, match='h0 starts the forward direction only'):
        m(data('linear'), h0=[numpy.zeros((4, 5), 'f'), numpy.zeros((4, 4), 'f')])
    with pytest.raises(ValueError, match='needs every sequence to have a step'):
        make(bidirectional=True, pool='mean')(data('linear'), numpy.array([6, 0, 1, 1]))
