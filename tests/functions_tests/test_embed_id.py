"""embed_id with a vectorised CPU gradient equals Chainer's embed_id."""
import numpy
import pytest

import chainer
import chainer.functions as F

from chainer_irnn.functions import _numba
from chainer_irnn.functions.connection import embed_id as mod
from chainer_irnn.functions.rnn import irnn_recurrence as rec_mod


@pytest.fixture(params=['numba', 'numpy'])
def scatter_path(request, monkeypatch):
    if request.param == 'numba':
        if not rec_mod.numba_available():
            pytest.skip('numba cannot be imported here')
    else:
        monkeypatch.setattr(_numba, 'kernels', None)
        monkeypatch.setattr(_numba, 'error', ImportError('hidden by the test'))
    return request.param


@pytest.mark.parametrize('shape', [(1,), (7,), (5, 3)])
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_forward_and_gradient_equal_chainer(shape, dtype, scatter_path):
    rng = numpy.random.RandomState(0)
    x = rng.randint(0, 6, shape).astype(numpy.int32)
    W = rng.randn(6, 4).astype(dtype)
    gy = rng.randn(*(shape + (4,))).astype(dtype)
    out = []
    for f in (F.embed_id, mod.embed_id):
        Wv = chainer.Variable(W.copy())
        y = f(x, Wv)
        y.grad = gy
        y.backward()
        out.append((y.array, Wv.grad))
    numpy.testing.assert_array_equal(out[1][0], out[0][0])
    numpy.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6, atol=1e-6)
    assert out[1][1].dtype == dtype


def test_empty_batch(scatter_path):
    """(Chainer's own CPU gradient fails to reshape an empty batch.)"""
    W = chainer.Variable(numpy.ones((3, 2), numpy.float32))
    y = mod.embed_id(numpy.zeros((0, 4), numpy.int32), W)
    assert y.shape == (0, 4, 2)
    y.grad = numpy.zeros(y.shape, numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(W.grad, 0)


def test_double_backward_is_chainers():
    x = numpy.array([[0, 2], [2, 1]], numpy.int32)
    W = chainer.Variable(numpy.random.randn(3, 2))
    y = mod.embed_id(x, W)
    gW, = chainer.grad([F.sum(y ** 2)], [W], enable_double_backprop=True)
    F.sum(gW).backward()   # d/dW sum_k 2 * count_k * W_k = 2 * count_k
    counts = numpy.bincount(x.ravel(), minlength=3)[:, None]
    numpy.testing.assert_allclose(W.grad, 2 * numpy.broadcast_to(counts, (3, 2)))


def test_scatter_add_rows(scatter_path):
    ids = numpy.array([3, 0, 3, 3, 1])
    rows = numpy.arange(10, dtype=numpy.float64).reshape(5, 2)
    numpy.testing.assert_array_equal(
        mod.scatter_add_rows(5, ids, rows),
        [[2, 3], [8, 9], [0, 0], [0 + 4 + 6, 1 + 5 + 7], [0, 0]])


@pytest.mark.parametrize('shape', [(0,), (1,), (7,), (5, 3)])
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_scatter_add_rows_xp(shape, dtype):
    """The GPU path's one scatter-add, run here with NumPy's add.at: the same
    sums as the CPU path, for ids of any shape."""
    rng = numpy.random.RandomState(3)
    ids = rng.randint(0, 4, shape).astype(numpy.int32)
    rows = rng.randn(*(shape + (3,))).astype(dtype)
    out = mod.scatter_add_rows_xp(numpy, 5, ids, rows)
    assert out.dtype == dtype and out.shape == (5, 3)
    numpy.testing.assert_allclose(out, mod.scatter_add_rows(5, ids, rows), rtol=1e-6)


def test_scatter_add_without_add_at_uses_cupyx(monkeypatch):
    """A CuPy without ``add.at`` (before 13) gets cupyx.scatter_add."""
    import types
    calls = []
    fake_cupyx = types.SimpleNamespace(scatter_add=lambda *a: calls.append(a))
    monkeypatch.setitem(__import__('sys').modules, 'cupyx', fake_cupyx)
    old_cupy = types.SimpleNamespace(add=object(), zeros=numpy.zeros)
    assert mod._scatter_add(old_cupy) is fake_cupyx.scatter_add
    assert mod._scatter_add(numpy) == numpy.add.at
    mod.scatter_add_rows_xp(old_cupy, 3, numpy.array([[0, 2]]), numpy.ones((1, 2, 4)))
    (out, ids, rows), = calls
    assert out.shape == (3, 4) and ids.tolist() == [0, 2] and rows.shape == (2, 4)
