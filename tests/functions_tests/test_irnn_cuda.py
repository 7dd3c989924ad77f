"""The CUDA kernels of the fused recurrence, checked against the CPU node.

In CI these run under Numba's CUDA simulator (conftest.py sets
``NUMBA_ENABLE_CUDASIM=1`` before ``numba.cuda`` is imported): the kernels
run as written, one Python thread per CUDA thread, with shared memory and
barriers, on NumPy arrays.  Nothing here is skipped: a machine where the
simulator cannot run fails these tests.  With ``CHAINER_IRNN_TEST_CUDA=gpu``
(scripts/gpu_check.sh) the same tests run on a GPU with CuPy arrays.

The simulator is slow (a forward and backward pass at H = 33 takes about a
second), so shapes are small, chosen to cover what a GPU launch varies:
H = 33 (more than one warp, the last one partial), fewer threads than
units (a thread owns two elements), several sequences per block with a
partial last block, ``W`` in shared and in global memory, lengths 0, T and
between, an initial state, ReLU and tanh, float32 and float64.

What the simulator does not check: speed, races that only show with real
concurrency (its threads take turns), shared-memory limits and bank
conflicts of a real device.  scripts/gpu_check.sh runs these tests on a GPU
and under compute-sanitizer's racecheck.
"""
import os
import subprocess
import sys

import numpy
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check

from chainer_irnn.functions.rnn import irnn_recurrence as mod
from chainer_irnn.functions.rnn.irnn_recurrence import irnn_recurrence

pytestmark = pytest.mark.slow   # the CUDA simulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REAL_GPU = os.environ.get('CHAINER_IRNN_TEST_CUDA', '').strip().lower() == 'gpu'

if REAL_GPU:
    import cupy
    xp = cupy
    to_host = cupy.asnumpy
else:
    xp = numpy

    def to_host(a):
        return a


def test_kernels_run_where_expected():
    """Under the simulator in CI; on the GPU only when asked for."""
    kernels = mod._load_cuda()
    assert kernels is not None, 'numba-cuda cannot be imported: {!r}'.format(mod._cuda_error)
    assert kernels.simulated() is not REAL_GPU, (
        'numba.cuda was imported before conftest.py set NUMBA_ENABLE_CUDASIM'
        if not REAL_GPU else 'CHAINER_IRNN_TEST_CUDA=gpu but numba.cuda is the simulator')
    assert mod.cuda_available()
    assert mod.resolve_kernel('cuda') == 'cuda'


def node_results(kernel, u, W, b, h0, lengths, activation, gy):
    """``hs, gu, gW, gb, gh0`` of the node (host arrays)."""
    vs = [None if a is None else chainer.Variable(a.copy()) for a in (u, W, b, h0)]
    hs = irnn_recurrence(*vs, lengths=lengths, activation=activation, kernel=kernel)
    hs.grad = gy
    hs.backward()
    return [to_host(hs.array)] + [None if v is None else to_host(v.grad) for v in vs]


def random_problem(T, B, H, with_b, with_h0, dtype, seed):
    rng = numpy.random.RandomState(seed)
    u = rng.randn(T, B, H).astype(dtype)
    W = (0.3 * rng.randn(H, H) / numpy.sqrt(H) + numpy.eye(H)).astype(dtype)
    b = rng.randn(H).astype(dtype) if with_b else None
    h0 = rng.randn(B, H).astype(dtype) if with_h0 else None
    gy = rng.randn(T, B, H).astype(dtype)
    return u, W, b, h0, gy


# (T, B, H, lengths, with_b, with_h0)
NODE_CASES = [
    (5, 3, 8, [5, 0, 2], True, True),
    (5, 3, 33, None, True, False),
    (5, 3, 33, [3, 5, 1], False, True),
]


@pytest.mark.parametrize('activation', ['relu', 'tanh'])
@pytest.mark.parametrize('case', NODE_CASES)
def test_node_equals_cpu_node(case, activation):
    """States and every gradient (gu, gW, gb, gh0) against kernel='numpy'."""
    T, B, H, lengths, with_b, with_h0 = case
    dtype = numpy.float32
    u, W, b, h0, gy = random_problem(T, B, H, with_b, with_h0, dtype, seed=H + T)
    lens = None if lengths is None else numpy.array(lengths, numpy.int32)
    cpu = node_results('numpy', u, W, b, h0, lens, activation, gy)
    dev = [None if a is None else xp.asarray(a) for a in (u, W, b, h0, gy)]
    gpu = node_results('cuda', *dev[:4], None if lens is None else xp.asarray(lens),
                       activation, dev[4])
    for name, c, g in zip(('hs', 'gu', 'gW', 'gb', 'gh0'), cpu, gpu):
        if c is None:
            assert g is None, name
            continue
        assert g.dtype == dtype and g.shape == c.shape, name
        # float32 sums in another order: a few units in the last place
        numpy.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-5, err_msg=name)
    if lengths is not None:
        # a sequence's state after its length is held, exactly
        for n, length in enumerate(lengths):
            expect = gpu[0][length - 1, n] if length else (h0[n] if with_h0 else 0)
            numpy.testing.assert_array_equal(
                gpu[0][length:, n], numpy.broadcast_to(expect, (T - length, H)))


# launch parameters of _irnn_cuda.forward/backward: (threads, seqs, w_shared)
LAUNCHES = [
    dict(threads=32),               # fewer threads than units: two elements per thread
    dict(seqs=2, threads=96),       # two sequences per block, the last block half empty
    dict(w_shared=False),           # W read from global memory
]


@pytest.mark.parametrize('launch', LAUNCHES, ids=['threads32', 'seqs2', 'w-global'])
def test_launch_variants_equal_xp_loop(launch):
    T, B, H = 5, 3, 33
    kernels = mod._load_cuda()
    for activation, dtype in (('relu', numpy.float32), ('tanh', numpy.float64)):
        u, W, b, h0, gy = random_problem(T, B, H, True, True, dtype, seed=3)
        lens = numpy.array([4, 5, 0], numpy.int32)
        ref_hs = mod._forward_xp(numpy, u, W, b, h0, lens, activation)
        ref_dz, ref_gh0 = mod._backward_xp(numpy, ref_hs, W, gy, lens, activation)
        d = [xp.asarray(a) for a in (u, W, b, h0, gy, lens)]
        hs = kernels.forward(xp, d[0], d[1], d[2], d[3], d[5], activation, **launch)
        dz, gh0 = kernels.backward(xp, hs, d[1], d[4], d[5], activation, **launch)
        tol = dict(rtol=1e-5, atol=1e-5) if dtype == numpy.float32 else \
            dict(rtol=1e-12, atol=1e-12)
        for name, got, ref in (('hs', hs, ref_hs), ('dz', dz, ref_dz), ('gh0', gh0, ref_gh0)):
            numpy.testing.assert_allclose(to_host(got), ref, err_msg=name, **tol)


def test_launch_config(monkeypatch):
    kernels = mod._load_cuda()
    monkeypatch.setenv(kernels.SEQS_VAR, '4')
    monkeypatch.setenv(kernels.THREADS_VAR, '64')
    assert kernels.launch_config(9, 10, 4)[:3] == (3, 64, 4)
    assert kernels.launch_config(9, 10, 4, seqs=1, threads=32)[:3] == (9, 32, 1)
    monkeypatch.delenv(kernels.SEQS_VAR)
    monkeypatch.delenv(kernels.THREADS_VAR)
    blocks, threads, seqs, w_shared, shared = kernels.launch_config(16, 100, 4)
    assert (blocks, threads, seqs, w_shared) == (16, 128, 1, True)
    assert shared == (100 * 100 + 2 * 100) * 4
    # float32: W and the states fit in 48 KiB up to H = 109
    assert kernels.launch_config(1, 109, 4, backward=True)[3] is True
    assert kernels.launch_config(1, 110, 4)[3] is False
    # float64 at H = 100: W (80 KB) does not fit in 48 KiB, it stays global
    assert kernels.launch_config(16, 100, 8)[3] is False
    assert kernels.launch_config(16, 100, 8, backward=True)[4] == 3 * 100 * 8
    assert kernels.launch_config(5, 2000, 4)[1] == 1024       # threads capped, loops
    assert kernels.launch_config(5, 7, 4, seqs=2)[:3] == (3, 32, 2)
    with pytest.raises(ValueError, match='shared memory'):
        kernels.launch_config(4, 100, 8, w_shared=True)
    with pytest.raises(ValueError, match='threads'):
        kernels.launch_config(4, 10, 4, threads=2048)


def make_inputs(T, B, H, activation, seed):
    """float64 inputs whose ReLU pre-activations keep away from the kink
    (numerical differentiation across it would disagree with any analytic
    gradient)."""
    for attempt in range(1000):
        rng = numpy.random.RandomState(seed * 1000 + attempt)
        u = rng.uniform(-1, 1, (T, B, H))
        W = rng.uniform(-0.6, 0.6, (H, H)) + 0.5 * numpy.eye(H)
        b = rng.uniform(-0.3, 0.3, H)
        h0 = rng.uniform(-1, 1, (B, H))
        hs = mod._forward_xp(numpy, u, W, b, h0, None, activation)
        prev = numpy.concatenate([h0[None], hs[:-1]])
        z = u + prev @ W.T + b
        if activation == 'tanh' or numpy.abs(z).min() > 0.05:
            return u, W, b, h0
    raise AssertionError('no draw away from the ReLU kink')


@pytest.mark.parametrize('activation', ['relu', 'tanh'])
def test_check_backward(activation):
    """chainer.gradient_check on the cuda kernel (float64), lengths and h0."""
    T, B, H = 4, 2, 3
    u, W, b, h0 = make_inputs(T, B, H, activation, seed=11)
    lens = xp.asarray(numpy.array([4, 2], numpy.int32))
    gy = numpy.random.RandomState(7).randn(T, B, H)

    def f(u_, W_, b_, h0_):
        return irnn_recurrence(u_, W_, b_, h0_, lens, activation, kernel='cuda')

    gradient_check.check_backward(f, tuple(xp.asarray(a) for a in (u, W, b, h0)),
                                  xp.asarray(gy), dtype=numpy.float64,
                                  eps=1e-4, atol=1e-7, rtol=1e-6)


def test_gradient_of_last_state_only():
    """The classifier's use: only hs[-1] gets a gradient."""
    rng = numpy.random.RandomState(1)
    u, W = rng.randn(7, 2, 3), numpy.eye(3) + 0.2 * rng.randn(3, 3)
    grads = []
    for kernel, a in (('numpy', numpy), ('cuda', xp)):
        uv, Wv = chainer.Variable(a.asarray(u)), chainer.Variable(a.asarray(W))
        hs = irnn_recurrence(uv, Wv, None, None, a.asarray(numpy.array([7, 4])),
                             kernel=kernel)
        F.sum(hs[-1] ** 2).backward()
        grads.append((to_host(uv.grad), to_host(Wv.grad)))
    for c, g in zip(*grads):
        numpy.testing.assert_allclose(g, c, rtol=1e-12, atol=1e-12)


def test_irnn_link_trains_as_on_the_cpu(monkeypatch):
    """The IRNN link end to end (EmbedID input, lengths, two layers, SGD with
    clipping): kernel 'cuda' (CHAINER_IRNN_KERNEL, as a GPU run would be
    configured) gives the numpy kernel's losses and weights."""
    import chainer.links as L
    from chainer_irnn.links import IRNN, RecurrentClassifier
    B, T, V = 3, 6, 7
    rng = numpy.random.RandomState(5)
    xs = [rng.randint(0, V, (B, T)).astype(numpy.int32) for _ in range(3)]
    ts = [rng.randint(0, 3, B).astype(numpy.int32) for _ in range(3)]
    lens = numpy.array([6, 2, 4], numpy.int32)
    out = {}
    for kernel in ('numpy', 'cuda'):
        monkeypatch.setenv(mod.ENV_VAR, kernel)
        numpy.random.seed(0)
        model = L.Classifier(RecurrentClassifier(
            IRNN(V, (5, 4), input_std=0.5, identity_scale=0.9), 3))
        device = chainer.get_device('@cupy:0' if REAL_GPU else '@numpy')
        model.to_device(device)
        opt = chainer.optimizers.SGD(lr=0.1)
        opt.setup(model)
        opt.add_hook(chainer.optimizer_hooks.GradientClipping(0.5))
        losses = []
        for x, t in zip(xs, ts):
            model.cleargrads()
            loss = model(device.send(x), device.send(lens), device.send(t))
            loss.backward()
            opt.update()
            losses.append(float(loss.array))
        out[kernel] = losses, {n: to_host(p.array) for n, p in model.namedparams()}
    numpy.testing.assert_allclose(out['cuda'][0], out['numpy'][0], rtol=1e-5)
    for name, p in out['numpy'][1].items():
        numpy.testing.assert_allclose(out['cuda'][1][name], p, rtol=1e-4, atol=1e-6,
                                      err_msg=name)


class FakeCupy:
    """Stands for CuPy's module in kernel selection (no arrays needed)."""


def test_selection(monkeypatch):
    monkeypatch.delenv(mod.ENV_VAR, raising=False)
    assert mod.resolve_kernel(xp=FakeCupy) == 'cuda'             # auto on CuPy arrays
    assert mod.resolve_kernel('numpy', xp=FakeCupy) == 'numpy'   # the xp loop, asked for
    cpu = 'numba' if mod.numba_available() else 'numpy'
    assert mod.resolve_kernel() == cpu                           # NumPy arrays: the CPU's
    assert mod.resolve_kernel('cuda') == 'cuda'
    monkeypatch.setenv(mod.ENV_VAR, 'CUDA')
    assert mod.resolve_kernel() == 'cuda'
    assert 'cuda' not in mod.available_kernels()                 # the CPU kernels only


def test_selection_without_numba_cuda(monkeypatch):
    monkeypatch.setattr(mod, '_cuda_kernels', None)
    monkeypatch.setattr(mod, '_cuda_error', ImportError("No module named 'numba.cuda'"))
    monkeypatch.delenv(mod.ENV_VAR, raising=False)
    assert not mod.cuda_available()
    assert mod.resolve_kernel(xp=FakeCupy) == 'numpy'     # CuPy falls back to the xp loop
    with pytest.raises(RuntimeError, match='numba-cuda'):
        mod.resolve_kernel('cuda')
    with pytest.raises(RuntimeError, match='numba-cuda'):
        irnn_recurrence(numpy.zeros((2, 1, 2)), numpy.eye(2), kernel='cuda')


def _run(code, **env):
    return subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=ROOT, **env))


def test_import_without_numba_cuda():
    """No numba.cuda at all: the package imports and runs on the CPU."""
    res = _run(
        'import sys; sys.modules["numba.cuda"] = None\n'
        'import numpy\n'
        'from chainer_irnn import compat; compat.apply()\n'
        'from chainer_irnn.functions import irnn_recurrence\n'
        'from chainer_irnn.functions.rnn import irnn_recurrence as m\n'
        'print(irnn_recurrence(numpy.ones((2, 1, 2)), numpy.eye(2)).array.sum())\n'
        'print(m.cuda_available())\n'
        'try:\n'
        '    m.resolve_kernel("cuda")\n'
        'except RuntimeError as e:\n'
        '    print("error:", e)\n')
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[:2] == ['6.0', 'False'] and 'numba-cuda' in lines[2]


@pytest.mark.skipif(REAL_GPU, reason='checks the message of a machine without a GPU')
def test_no_gpu_without_simulator():
    """numba-cuda installed, no GPU, no simulator: a clear error for 'cuda'."""
    res = _run(
        'import numpy\n'
        'from chainer_irnn import compat; compat.apply()\n'
        'from chainer_irnn.functions.rnn import irnn_recurrence as m\n'
        'print(m.resolve_kernel("auto"), m.cuda_available(), m.numba_available())\n'
        'm.resolve_kernel("cuda")\n', NUMBA_ENABLE_CUDASIM='0')
    auto, cuda, numba = res.stdout.split()
    # auto on NumPy arrays: the CPU kernel (compiled where Numba imports)
    assert (auto, cuda) == ('numba' if numba == 'True' else 'numpy', 'False')
    assert 'finds no CUDA GPU' in res.stderr


def test_ids_lookup_equals_cpu():
    """``ids`` (the embedding looked up in the node): the cuda path gathers
    the rows, runs its kernels, and scatters the table's gradient."""
    rng = numpy.random.RandomState(4)
    T, B, H, V = 6, 3, 4, 5
    E, W, b = rng.randn(V, H), numpy.eye(H) + 0.2 * rng.randn(H, H), rng.randn(H)
    ids = rng.randint(0, V, (T, B))
    lengths = numpy.array([6, 2, 0])
    out = []
    for kernel, a in (('numpy', numpy), ('cuda', xp)):
        Ev, Wv, bv = (chainer.Variable(a.asarray(v)) for v in (E, W, b))
        hs = irnn_recurrence(Ev, Wv, bv, None, a.asarray(lengths), kernel=kernel,
                             ids=a.asarray(ids))
        F.sum(hs[-1] ** 2).backward()
        out.append([to_host(v) for v in (hs.array, Ev.grad, Wv.grad, bv.grad)])
    for c, g in zip(*out):
        numpy.testing.assert_allclose(g, c, rtol=1e-12, atol=1e-12)
