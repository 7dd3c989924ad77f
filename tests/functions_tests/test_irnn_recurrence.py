"""The fused IRNN recurrence: gradients, agreement with the naive graph, kernels."""
import numpy
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check
from chainer.utils import type_check

from chainer_irnn.functions import _numba
from chainer_irnn.functions.rnn import irnn_recurrence as mod
from chainer_irnn.functions.rnn.irnn_recurrence import irnn_recurrence
from chainer_irnn.functions.rnn.naive_recurrence import naive_recurrence

NUMBA = pytest.param('numba', marks=pytest.mark.skipif(
    not mod.numba_available(), reason='numba cannot be imported here'))
KERNELS = ['numpy', NUMBA]

# (T, B, H, lengths): T=1, B=1 and H=1 each appear; mixed lengths include 0 and T
CASES = [
    (1, 1, 1, None),
    (1, 3, 2, [1, 0, 1]),
    (4, 1, 3, None),
    (4, 1, 3, [0]),
    (3, 2, 1, [3, 1]),
    (5, 3, 4, None),
    (5, 4, 4, [5, 0, 2, 1]),
]


def reference(u, W, b, h0, lengths, activation):
    """A plain NumPy loop; also returns the pre-activations z."""
    T, B, H = u.shape
    act = (lambda z: numpy.maximum(z, 0)) if activation == 'relu' else numpy.tanh
    h = numpy.zeros((B, H), u.dtype) if h0 is None else h0
    lengths = numpy.full(B, T) if lengths is None else numpy.asarray(lengths)
    hs, zs = [], []
    for t in range(T):
        z = u[t] + h @ W.T + (0 if b is None else b)
        h = numpy.where((t < lengths)[:, None], act(z), h)
        hs.append(h)
        zs.append(numpy.where((t < lengths)[:, None], z, 1.0))
    return numpy.stack(hs), numpy.stack(zs)


def make_inputs(T, B, H, with_b, with_h0, activation, seed, dtype=numpy.float64):
    """Random inputs whose ReLU pre-activations stay 0.05 away from the kink.

    Numerical differentiation (eps 1e-4) across ``max(z, 0)``'s kink would
    disagree with any analytic gradient, so draws that come closer are
    rejected (a fixed sequence of seeds keeps the test deterministic).
    """
    for attempt in range(1000):
        rng = numpy.random.RandomState(seed * 1000 + attempt)
        u = rng.uniform(-1, 1, (T, B, H)).astype(dtype)
        W = (rng.uniform(-0.6, 0.6, (H, H)) + 0.5 * numpy.eye(H)).astype(dtype)
        b = rng.uniform(-0.3, 0.3, H).astype(dtype) if with_b else None
        h0 = rng.uniform(-1, 1, (B, H)).astype(dtype) if with_h0 else None
        _, zs = reference(u, W, b, h0, None, activation)
        if activation == 'tanh' or numpy.abs(zs).min() > 0.05:
            return u, W, b, h0
    raise AssertionError('no draw away from the ReLU kink')


@pytest.mark.parametrize('kernel', KERNELS)
@pytest.mark.parametrize('activation', ['relu', 'tanh'])
@pytest.mark.parametrize('with_b', [True, False])
@pytest.mark.parametrize('with_h0', [True, False])
@pytest.mark.parametrize('case', CASES)
def test_check_backward(case, with_h0, with_b, activation, kernel):
    T, B, H, lengths = case
    u, W, b, h0 = make_inputs(T, B, H, with_b, with_h0, activation, seed=T * 100 + B * 10 + H)
    lens = None if lengths is None else numpy.array(lengths, dtype=numpy.int32)
    inputs = tuple(a for a in (u, W, b, h0) if a is not None)
    gy = numpy.random.RandomState(7).randn(T, B, H)

    def f(*args):
        args = list(args)
        u_, W_ = args.pop(0), args.pop(0)
        b_ = args.pop(0) if with_b else None
        h0_ = args.pop(0) if with_h0 else None
        return irnn_recurrence(u_, W_, b_, h0_, lens, activation, kernel=kernel)

    gradient_check.check_backward(f, inputs, gy, dtype=numpy.float64,
                                  eps=1e-4, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize('kernel', KERNELS)
@pytest.mark.parametrize('activation', ['relu', 'tanh'])
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
@pytest.mark.parametrize('case', CASES + [
    (12, 5, 7, [12, 0, 5, 11, 1]),
    (150, 4, 3, [150, 64, 65, 0]),   # across the backward loop's 64-step chunks
])
def test_forward_and_gradients_equal_naive(case, dtype, activation, kernel):
    T, B, H, lengths = case
    rng = numpy.random.RandomState(T + B + H)
    u = rng.randn(T, B, H).astype(dtype)
    W = (0.5 * rng.randn(H, H) + numpy.eye(H)).astype(dtype)
    b = rng.randn(H).astype(dtype)
    h0 = rng.randn(B, H).astype(dtype)
    gy = rng.randn(T, B, H).astype(dtype)
    lens = None if lengths is None else numpy.array(lengths)
    results = []
    for run in (naive_recurrence, lambda *a: irnn_recurrence(*a, kernel=kernel)):
        vs = [chainer.Variable(a.copy()) for a in (u, W, b, h0)]
        hs = run(*vs, lens, activation)
        hs.grad = gy
        hs.backward()
        results.append([hs.array] + [v.grad for v in vs])
    # The same sums in another order: float32 differs in the last bits only
    rtol, atol = (1e-5, 1e-5) if dtype == numpy.float32 else (1e-12, 1e-12)
    for name, naive, fused in zip(('hs', 'gu', 'gW', 'gb', 'gh0'), *results):
        assert fused.dtype == dtype, name
        numpy.testing.assert_allclose(fused, naive, rtol=rtol, atol=atol, err_msg=name)
    numpy.testing.assert_allclose(
        results[1][0], reference(u, W, b, h0, lens, activation)[0],
        rtol=rtol, atol=atol)


@pytest.mark.parametrize('kernel', KERNELS)
def test_padding_carries_the_last_state(kernel):
    rng = numpy.random.RandomState(0)
    u = rng.randn(6, 3, 4)
    W = numpy.eye(4) + 0.1 * rng.randn(4, 4)
    lens = numpy.array([6, 2, 0])
    hs = irnn_recurrence(u, W, lengths=lens, kernel=kernel).array
    numpy.testing.assert_array_equal(hs[2:, 1], numpy.broadcast_to(hs[1, 1], (4, 4)))
    numpy.testing.assert_array_equal(hs[:, 2], 0)  # zero length keeps h0 = 0
    alone = irnn_recurrence(u[:2, 1:2], W, kernel=kernel).array
    numpy.testing.assert_allclose(hs[-1, 1], alone[-1, 0], rtol=1e-12)


@pytest.mark.parametrize('kernel', KERNELS)
def test_gradient_of_last_state_only(kernel):
    """The classifier's use: only hs[-1] gets a gradient."""
    rng = numpy.random.RandomState(1)
    u, W = rng.randn(7, 2, 3), numpy.eye(3) + 0.2 * rng.randn(3, 3)
    grads = []
    for run in (naive_recurrence, lambda *a: irnn_recurrence(*a, kernel=kernel)):
        uv, Wv = chainer.Variable(u.copy()), chainer.Variable(W.copy())
        F.sum(run(uv, Wv, None, None, numpy.array([7, 4]))[-1] ** 2).backward()
        grads.append((uv.grad, Wv.grad))
    for a, b in zip(*grads):
        numpy.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_double_backward_raises():
    u = chainer.Variable(numpy.random.randn(3, 2, 2))
    W = chainer.Variable(numpy.eye(2))
    hs = irnn_recurrence(u, W, activation='tanh')
    gu, = chainer.grad([F.sum(hs)], [u], enable_double_backprop=True)
    with pytest.raises(NotImplementedError, match='first-order'):
        F.sum(gu).backward()


@pytest.mark.parametrize('bad', [
    dict(u=numpy.zeros((2, 1, 3), numpy.float16), W=numpy.eye(3, dtype=numpy.float16)),
    dict(u=numpy.zeros((2, 1, 3), numpy.int32), W=numpy.eye(3, dtype=numpy.int32)),
    dict(W=numpy.eye(3, dtype=numpy.float64)),                 # dtype mismatch
    dict(W=numpy.zeros((3, 2), numpy.float32)),                # not square
    dict(W=numpy.eye(4, dtype=numpy.float32)),                 # H mismatch
    dict(u=numpy.zeros((2, 3), numpy.float32)),                # not 3-D
    dict(b=numpy.zeros(4, numpy.float32)),
    dict(b=numpy.zeros(3, numpy.float64)),
    dict(h0=numpy.zeros((2, 3), numpy.float32)),               # batch mismatch
    dict(h0=numpy.zeros((1, 4), numpy.float32)),
])
def test_type_check(bad):
    args = dict(u=numpy.zeros((2, 1, 3), numpy.float32), W=numpy.eye(3, dtype=numpy.float32),
                b=None, h0=None)
    args.update(bad)
    with pytest.raises(type_check.InvalidType):
        irnn_recurrence(**args)


@pytest.mark.parametrize('lengths', [[3, 4], [-1, 0], [1], [[1, 1]], [1.0, 2.0]])
def test_bad_lengths(lengths):
    with pytest.raises(ValueError, match='lengths'):
        irnn_recurrence(numpy.zeros((3, 2, 2)), numpy.eye(2), lengths=numpy.array(lengths))


def test_bad_activation_and_kernel(monkeypatch):
    u, W = numpy.zeros((2, 1, 2)), numpy.eye(2)
    with pytest.raises(ValueError, match='activation'):
        irnn_recurrence(u, W, activation='sigmoid')
    with pytest.raises(ValueError, match='kernel'):
        irnn_recurrence(u, W, kernel='opencl')
    monkeypatch.setenv(mod.ENV_VAR, 'fortran')
    with pytest.raises(ValueError, match=mod.ENV_VAR):
        irnn_recurrence(u, W)


def test_kernel_selection(monkeypatch):
    monkeypatch.delenv(mod.ENV_VAR, raising=False)
    fastest = 'numba' if mod.numba_available() else 'numpy'
    assert mod.resolve_kernel() == fastest        # auto: the faster one measured
    assert mod.resolve_kernel('auto') == fastest
    assert mod.resolve_kernel('numpy') == 'numpy'
    if mod.numba_available():
        assert mod.resolve_kernel('numba') == 'numba'
        monkeypatch.setenv(mod.ENV_VAR, 'numpy')
        assert mod.resolve_kernel() == 'numpy'
        assert mod.resolve_kernel('auto') == 'numba'   # the argument wins
    monkeypatch.setenv(mod.ENV_VAR, ' NumPy ')
    assert mod.resolve_kernel() == 'numpy'
    assert mod.available_kernels()[-1] == 'numpy'


def test_cupy_arrays_take_the_xp_loop():
    class FakeXp:
        pass
    assert mod.resolve_kernel('numba', xp=FakeXp) == 'numpy'


def test_numpy_fallback_without_numba(monkeypatch):
    """Where numba cannot be imported, the NumPy loop runs and an explicit
    'numba' is a clear error."""
    monkeypatch.setattr(_numba, 'kernels', None)
    monkeypatch.setattr(_numba, 'error', ImportError('No module named numba'))
    monkeypatch.delenv(mod.ENV_VAR, raising=False)
    assert mod.available_kernels() == ('numpy',)
    assert mod.resolve_kernel() == 'numpy'
    with pytest.raises(RuntimeError, match='numba cannot be imported'):
        mod.resolve_kernel('numba')
    u = numpy.random.randn(3, 2, 2)
    hs = irnn_recurrence(u, numpy.eye(2))
    numpy.testing.assert_allclose(hs.array, naive_recurrence(u, numpy.eye(2)).array)


def test_forward_keeps_only_what_backward_needs():
    u = chainer.Variable(numpy.random.randn(4, 2, 3))
    W = chainer.Variable(numpy.eye(3))
    b = chainer.Variable(numpy.zeros(3))
    hs = irnn_recurrence(u, W, b)
    node = hs.creator_node
    assert node._input_indexes_to_retain == (1,)   # W only; not u, not b
    assert node._output_indexes_to_retain == (0,)  # hs


@pytest.mark.parametrize('kernel', [NUMBA, 'numpy'])
@pytest.mark.parametrize('T,B,H', [(0, 2, 3), (3, 0, 3), (3, 2, 0), (1, 2, 3)])
def test_empty_shapes(kernel, T, B, H):
    """Empty steps, batch or state: shapes kept, gradients zero, no BLAS error."""
    u = chainer.Variable(numpy.random.randn(T, B, H).astype(numpy.float32))
    W = chainer.Variable(numpy.eye(H, dtype=numpy.float32))
    b = chainer.Variable(numpy.ones(H, dtype=numpy.float32))
    h0 = chainer.Variable(numpy.ones((B, H), dtype=numpy.float32))
    hs = irnn_recurrence(u, W, b, h0, kernel=kernel)
    assert hs.shape == (T, B, H)
    if T:
        numpy.testing.assert_allclose(hs.array[0], numpy.maximum(u.array[0] + 1 + 1, 0),
                                      rtol=1e-6)
    hs.grad = numpy.ones_like(hs.array)
    hs.backward()
    assert u.grad.shape == u.shape and W.grad.shape == (H, H) and b.grad.shape == (H,)
    assert h0.grad.shape == (B, H)
    if T == 0:
        assert not h0.grad.any() and not W.grad.any() and not b.grad.any()


@pytest.mark.parametrize('kernel', KERNELS)
@pytest.mark.parametrize('activation', ['relu', 'tanh'])
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
@pytest.mark.parametrize('with_h0', [True, False])
def test_ids_equal_embed_id_then_recurrence(with_h0, dtype, activation, kernel):
    """``ids``: the table's rows looked up in the node equal embed_id first."""
    from chainer_irnn.functions import embed_id
    rng = numpy.random.RandomState(3)
    T, B, H, V = 9, 4, 5, 6
    E = rng.randn(V, H).astype(dtype)
    W = (0.4 * rng.randn(H, H) + numpy.eye(H)).astype(dtype)
    b = rng.randn(H).astype(dtype)
    h0 = rng.randn(B, H).astype(dtype) if with_h0 else None
    ids = rng.randint(0, V, (T, B)).astype(numpy.int32)
    lengths = numpy.array([9, 0, 4, 1])
    gy = rng.randn(T, B, H).astype(dtype)
    out = []
    for fused in (True, False):
        Ev, Wv, bv = (chainer.Variable(a.copy()) for a in (E, W, b))
        h0v = None if h0 is None else chainer.Variable(h0.copy())
        if fused:
            hs = irnn_recurrence(Ev, Wv, bv, h0v, lengths, activation, kernel=kernel, ids=ids)
        else:
            hs = irnn_recurrence(embed_id(ids, Ev), Wv, bv, h0v, lengths, activation,
                                 kernel=kernel)
        hs.grad = gy
        hs.backward()
        out.append([hs.array, Ev.grad, Wv.grad, bv.grad] + ([] if h0v is None else [h0v.grad]))
    tol = 1e-5 if dtype == numpy.float32 else 1e-12
    for a, r in zip(*out):
        numpy.testing.assert_allclose(a, r, rtol=tol, atol=tol)


@pytest.mark.parametrize('kernel', KERNELS)
@pytest.mark.parametrize('activation', ['relu', 'tanh'])
def test_ids_check_backward(activation, kernel):
    """gradient_check of the table, W, b and h0 through the ids lookup."""
    T, B, H, V = 5, 3, 4, 7
    for attempt in range(1000):   # away from ReLU's kink, as make_inputs
        rng = numpy.random.RandomState(500 + attempt)
        E = rng.uniform(-1, 1, (V, H))
        W = rng.uniform(-0.6, 0.6, (H, H)) + 0.5 * numpy.eye(H)
        b = rng.uniform(-0.3, 0.3, H)
        h0 = rng.uniform(-1, 1, (B, H))
        ids = rng.randint(0, V, (T, B))
        _, zs = reference(E[ids], W, b, h0, None, activation)
        if activation == 'tanh' or numpy.abs(zs).min() > 0.05:
            break
    lens = numpy.array([5, 2, 0])
    gy = numpy.random.RandomState(7).randn(T, B, H)

    def f(E_, W_, b_, h0_):
        return irnn_recurrence(E_, W_, b_, h0_, lens, activation, kernel=kernel, ids=ids)

    gradient_check.check_backward(f, (E, W, b, h0), gy, dtype=numpy.float64,
                                  eps=1e-4, atol=1e-7, rtol=1e-6)


def test_ids_are_checked():
    E, W = numpy.zeros((4, 2)), numpy.eye(2)
    with pytest.raises(ValueError, match=r'ids must lie in \[0, 4\)'):
        irnn_recurrence(E, W, ids=numpy.array([[0, 4]]))
    with pytest.raises(ValueError, match=r'ids must lie in \[0, 4\)'):
        irnn_recurrence(E, W, ids=numpy.array([[-1, 0]]))
    with pytest.raises(ValueError, match='integer array'):
        irnn_recurrence(E, W, ids=numpy.array([0.0, 1.0]))
    with pytest.raises(type_check.InvalidType):
        irnn_recurrence(numpy.zeros((4, 3)), W, ids=numpy.array([[0, 1]]))   # H differs
    # the node itself checks them too (the compiled loop reads without bounds checks)
    for kernel in mod.available_kernels():
        node = mod.IRNNRecurrence(has_b=False, kernel=kernel, ids=numpy.array([[5, 1000]]))
        with pytest.raises(ValueError, match=r'ids must lie in \[0, 4\)'):
            node.apply((E, W))


@pytest.mark.parametrize('kernel', KERNELS)
def test_any_memory_order(kernel):
    """Fortran-ordered and strided arrays give the same states and gradients."""
    rng = numpy.random.RandomState(5)
    u, W, b = rng.randn(6, 3, 4), numpy.eye(4) + 0.3 * rng.randn(4, 4), rng.randn(4)
    gy = rng.randn(6, 3, 4)
    out = []
    for order in ('C', 'F'):
        uv = chainer.Variable(numpy.asarray(u, order=order))
        Wv = chainer.Variable(numpy.asarray(W, order=order))
        bv = chainer.Variable(b.copy())
        hs = irnn_recurrence(uv, Wv, bv, kernel=kernel)
        hs.grad = numpy.asarray(gy, order=order)
        hs.backward()
        out.append((hs.array, uv.grad, Wv.grad, bv.grad))
    for a, r in zip(*out):
        numpy.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12)
    if kernel == 'numba':   # the kernel's own entry point with a Fortran-ordered hs
        from chainer_irnn.functions.rnn import _irnn_numba
        L = numpy.full(3, 6, numpy.int64)
        hs = _irnn_numba.forward(u, W, b, None, L, 'relu')
        ref = _irnn_numba.backward(hs, W, gy, L, 'relu')
        got = _irnn_numba.backward(numpy.asfortranarray(hs), W, gy, L, 'relu')
        for a, r in zip(got, ref):
            numpy.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('kernel', KERNELS)
def test_reused_backward_buffer(kernel):
    """The compiled backward pass reuses its dz buffer between calls with ids
    (dz is scratch there): repeated and interleaved calls, of the same and of
    other shapes, give the gradients of a first call, and no returned
    gradient is that buffer.  Without ids dz is the gradient of u and is
    never reused."""
    rng = numpy.random.RandomState(11)
    T, B, H, V = 6, 3, 4, 5
    E, W, b = rng.randn(V, H), numpy.eye(H) + 0.2 * rng.randn(H, H), rng.randn(H)
    ids = rng.randint(0, V, (T, B))
    u = rng.randn(T, B, H)

    def grads(T_, with_ids, seed):
        gy = numpy.random.RandomState(seed).randn(T_, B, H)
        x = chainer.Variable((E if with_ids else u[:T_]).copy())
        Wv, bv = chainer.Variable(W.copy()), chainer.Variable(b.copy())
        hs = irnn_recurrence(x, Wv, bv, kernel=kernel, ids=ids[:T_] if with_ids else None)
        hs.grad = gy
        hs.backward()
        return [x.grad, Wv.grad, bv.grad]

    first = {(T_, i): grads(T_, i, T_) for T_ in (6, 2) for i in (True, False)}
    kept = []
    for _ in range(2):
        for T_ in (6, 2):
            for with_ids in (True, False):
                got = grads(T_, with_ids, T_)
                kept.append(got)
                for a, r in zip(got, first[T_, with_ids]):
                    numpy.testing.assert_array_equal(a, r)
    # results of earlier calls are untouched by later ones
    for got, key in zip(kept, [(T_, i) for _ in range(2) for T_ in (6, 2) for i in (True, False)]):
        for a, r in zip(got, first[key]):
            numpy.testing.assert_array_equal(a, r)
    buffers = getattr(mod._scratch_buffers, 'arrays', {}).values()
    for got in kept:
        for g in got:
            assert not any(numpy.shares_memory(g, buf) for buf in buffers)
    if kernel == 'numba':
        assert any(buf.shape == (6, B, H) for buf in buffers)


def test_scratch_keeps_two_shapes():
    a = mod._scratch((2, 3), numpy.float32)
    assert mod._scratch((2, 3), numpy.float32) is a
    b = mod._scratch((2, 3), numpy.float64)
    c = mod._scratch((4,), numpy.float32)   # evicts (2, 3) float32, the least recent
    assert mod._scratch((2, 3), numpy.float64) is b
    assert mod._scratch((4,), numpy.float32) is c
    assert mod._scratch((2, 3), numpy.float32) is not a
