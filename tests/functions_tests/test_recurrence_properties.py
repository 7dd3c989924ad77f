"""Property-based checks of what goes into the recurrence: any shapes and
lengths give the naive graph's states and gradients, and bad lengths are
refused with a clear error (never a wrong answer)."""
import numpy
import pytest
from hypothesis import given, settings, strategies as st

import chainer

from chainer_irnn.functions.rnn import irnn_recurrence as fused_mod
from chainer_irnn.functions.rnn.naive_recurrence import naive_recurrence


@st.composite
def problems(draw):
    T = draw(st.integers(1, 7))
    B = draw(st.integers(1, 4))
    H = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2 ** 31 - 1))
    rng = numpy.random.RandomState(seed)
    lengths = (None if draw(st.booleans()) else
               numpy.array(draw(st.lists(st.integers(0, T), min_size=B, max_size=B)),
                           dtype=numpy.int32))
    return dict(
        u=rng.randn(T, B, H),
        W=rng.randn(H, H) * 0.5 + numpy.eye(H),
        b=rng.randn(H) if draw(st.booleans()) else None,
        h0=rng.randn(B, H) if draw(st.booleans()) else None,
        lengths=lengths,
        activation=draw(st.sampled_from(['relu', 'tanh'])),
        gy=rng.randn(T, B, H),
        kernel=draw(st.sampled_from(fused_mod.available_kernels())),
    )


def run(fn, p, **kw):
    u, W = chainer.Variable(p['u']), chainer.Variable(p['W'])
    b = None if p['b'] is None else chainer.Variable(p['b'])
    h0 = None if p['h0'] is None else chainer.Variable(p['h0'])
    hs = fn(u, W, b, h0, p['lengths'], p['activation'], **kw)
    hs.grad = p['gy']
    hs.backward()
    grads = [v.grad for v in (u, W, b, h0) if v is not None]
    return hs.array, grads


@settings(max_examples=60, deadline=None)
@given(problems())
def test_fused_equals_naive_for_any_shape_and_lengths(p):
    hs_f, g_f = run(fused_mod.irnn_recurrence, p, kernel=p['kernel'])
    hs_n, g_n = run(naive_recurrence, p)
    numpy.testing.assert_allclose(hs_f, hs_n, rtol=1e-10, atol=1e-10)
    for a, b in zip(g_f, g_n):
        numpy.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    if p['lengths'] is not None:   # past its end a sequence keeps its last state
        for i, n in enumerate(p['lengths']):
            last = hs_f[n - 1, i] if n > 0 else (p['h0'][i] if p['h0'] is not None else 0)
            numpy.testing.assert_array_equal(hs_f[n:, i], numpy.broadcast_to(
                last, hs_f[n:, i].shape))


@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 5), B=st.integers(1, 3),
       bad=st.sampled_from(['too_long', 'negative', 'wrong_count', 'float', '2d']))
def test_bad_lengths_are_refused(T, B, bad):
    u = numpy.zeros((T, B, 2), numpy.float32)
    W = numpy.eye(2, dtype=numpy.float32)
    lengths = {
        'too_long': numpy.full(B, T + 1),
        'negative': numpy.full(B, -1),
        'wrong_count': numpy.full(B + 1, T),
        'float': numpy.full(B, 0.5),
        '2d': numpy.full((B, 1), T),
    }[bad]
    with pytest.raises(ValueError, match='lengths'):
        fused_mod.irnn_recurrence(u, W, lengths=lengths)
