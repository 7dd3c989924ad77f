"""CUDA kernels of :mod:`chainer_irnn.functions.rnn.irnn_recurrence` (numba.cuda).

Importing this module needs the ``numba-cuda`` package (``pip install
chainer-irnn[gpu]``), not a GPU: :func:`available` says whether kernels can
run here, which is true on a machine with a CUDA GPU and driver, and under
Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` set before ``numba.cuda``
is first imported), which runs the same kernels, shared memory and barriers
included, one Python thread per CUDA thread.  The tests use the simulator so
that the kernels' logic is checked on every CI run, on machines without a GPU.

Arrays are passed through ``__cuda_array_interface__``: CuPy arrays on a GPU
(launched on CuPy's current stream), NumPy arrays under the simulator (on a
real GPU Numba copies NumPy arguments to the device and back, which works but
is slow).

Layout.  Each block owns ``seqs`` whole sequences (``seqs`` per block, one by
default), so the recurrence needs no grid-wide synchronisation: one launch
runs all ``T`` steps.  The block's threads take the ``seqs * H`` state
elements ``(s, i)`` in a strided loop (any ``H``; thread ``k`` always owns the
same elements, so a thread's own state needs no barrier).  The recurrent
matrix lives in dynamic shared memory when it fits (48 KiB per block, the
limit without an opt-in: float32 up to ``H = 109`` with one sequence per
block), else it is read from global memory (cached).

Forward, per step ``t`` and element ``(n, i)``: ``z = u[t, n, i] + b[i] + sum_j
h[n, j] W[i, j]``, ``h'[n, i] = f(z)`` for ``t < lengths[n]``; later steps
hold the state (``h' = h``), exactly as the CPU node.  The states are double
buffered in shared memory: one barrier per step.  ``W`` is stored transposed
in shared memory so that the threads of a warp (consecutive ``i``) read
consecutive words.

Backward through time, per step from ``T - 1`` down: ``g += gy[t]`` (the
gradient of the state), ``dz[t] = g * f'(z_t)`` (zero on padding steps),
then ``g = dz[t] W`` on real steps while padding steps pass ``g`` through
unchanged.  ``dz`` (= ``gu``) is double buffered in shared memory: one
barrier per step.  What remains, ``gW = sum_t dz_t^T h_{t-1}`` as one GEMM
over all steps, ``gb = sum dz`` and the final ``g`` (= ``gh0``), is done by
the caller with array operations (CuPy on a GPU).

Each kernel is compiled per dtype (float32, float64), activation and
placement of ``W`` (shared or global) on first use.
"""
import math
import os

import numpy
from numba import cuda

RELU, TANH = 0, 1
SEQS_VAR, THREADS_VAR = 'CHAINER_IRNN_CUDA_SEQS', 'CHAINER_IRNN_CUDA_THREADS'
SHARED_BYTES = 48 * 1024   # dynamic shared memory a block gets without an opt-in
MAX_THREADS = 1024
WARP = 32

_cache = {}


def available():
    """True when kernels can run: a CUDA GPU and driver, or the simulator."""
    try:
        return bool(cuda.is_available())
    except Exception:   # a broken driver installation
        return False


def simulated():
    """True when ``numba.cuda`` is Numba's CPU simulator."""
    return getattr(cuda, 'simulator', None) is not None and \
        cuda.jit.__module__.startswith('numba.cuda.simulator')


def _kernels(dtype, act, w_shared):
    key = (numpy.dtype(dtype).str, act, w_shared)
    if key not in _cache:
        _cache[key] = _build(numpy.dtype(dtype).type, act, w_shared)
    return _cache[key]


def _build(scalar, act, w_shared):
    """Compiles the forward and backward kernels for one configuration.

    ``act``, ``w_shared`` and the constants are frozen into the kernels (no
    branch on them at run time); ``ZERO`` and ``ONE`` are of the array dtype
    so that float32 arithmetic never widens to float64.
    """
    from numba import from_dtype
    nb_type = from_dtype(numpy.dtype(scalar))
    ZERO = scalar(0)
    ONE = scalar(1)
    USE_RELU = act == RELU
    W_SHARED = bool(w_shared)

    @cuda.jit
    def forward_kernel(u, WT, b, h0, lengths, hs, seqs):
        T, B, H = u.shape
        sh = cuda.shared.array(0, dtype=nb_type)
        tid = cuda.threadIdx.x
        nth = cuda.blockDim.x
        n0 = cuda.blockIdx.x * seqs
        SH = seqs * H
        woff = H * H if W_SHARED else 0
        if W_SHARED:
            for k in range(tid, H * H, nth):
                sh[k] = WT[k // H, k % H]
        for k in range(tid, SH, nth):
            s = k // H
            n = n0 + s
            sh[woff + k] = h0[n, k - s * H] if n < B else ZERO
        cuda.syncthreads()
        for t in range(T):
            cur = woff + (t % 2) * SH
            nxt = woff + ((t + 1) % 2) * SH
            for k in range(tid, SH, nth):
                s = k // H
                i = k - s * H
                n = n0 + s
                if n < B:
                    if t < lengths[n]:
                        z = u[t, n, i] + b[i]
                        base = cur + s * H
                        if W_SHARED:
                            for j in range(H):
                                z += sh[base + j] * sh[j * H + i]
                        else:
                            for j in range(H):
                                z += sh[base + j] * WT[j, i]
                        if USE_RELU:
                            if z < ZERO:   # NaN stays NaN, as on the CPU
                                z = ZERO
                        else:
                            z = math.tanh(z)
                    else:
                        z = sh[cur + k]   # padding: the state is held
                    sh[nxt + k] = z
                    hs[t, n, i] = z
            # one barrier: step t + 1 reads what step t wrote, and writes the
            # buffer step t read only after every thread has passed here
            cuda.syncthreads()

    @cuda.jit
    def backward_kernel(hs, W, gy, lengths, dz, gh0, seqs):
        T, B, H = hs.shape
        sh = cuda.shared.array(0, dtype=nb_type)
        tid = cuda.threadIdx.x
        nth = cuda.blockDim.x
        n0 = cuda.blockIdx.x * seqs
        SH = seqs * H
        goff = H * H if W_SHARED else 0   # g: the gradient of the state
        doff = goff + SH                  # dz: two buffers of SH
        if W_SHARED:
            for k in range(tid, H * H, nth):
                sh[k] = W[k // H, k % H]
        for k in range(tid, SH, nth):
            sh[goff + k] = ZERO
        cuda.syncthreads()
        for t in range(T - 1, -1, -1):
            dbuf = doff + (t % 2) * SH
            for k in range(tid, SH, nth):
                s = k // H
                i = k - s * H
                n = n0 + s
                if n < B:
                    g = sh[goff + k] + gy[t, n, i]
                    d = ZERO
                    if t < lengths[n]:
                        h = hs[t, n, i]
                        if USE_RELU:
                            if h > ZERO:
                                d = g
                        else:
                            d = g * (ONE - h * h)
                    sh[goff + k] = g   # kept: a padding step passes it on
                    sh[dbuf + k] = d
                    dz[t, n, i] = d
            # one barrier: the product below reads every thread's dz; the
            # other dz buffer is written next step only after the next barrier
            cuda.syncthreads()
            for k in range(tid, SH, nth):
                s = k // H
                j = k - s * H
                n = n0 + s
                if n < B and t < lengths[n]:
                    acc = ZERO
                    base = dbuf + s * H
                    if W_SHARED:
                        for i in range(H):
                            acc += sh[base + i] * sh[i * H + j]
                    else:
                        for i in range(H):
                            acc += sh[base + i] * W[i, j]
                    sh[goff + k] = acc
        for k in range(tid, SH, nth):
            s = k // H
            n = n0 + s
            if n < B:
                gh0[n, k - s * H] = sh[goff + k]

    return forward_kernel, backward_kernel


def launch_config(B, H, itemsize, seqs=None, threads=None, w_shared=None, backward=False):
    """``(blocks, threads, seqs, w_shared, shared_bytes)`` of one launch.

    Defaults: ``$CHAINER_IRNN_CUDA_SEQS`` sequences per block, else one (the
    most blocks: with small batches the GPU's SMs are the scarce resource);
    ``$CHAINER_IRNN_CUDA_THREADS`` threads, else ``seqs * H`` rounded up to
    whole warps (at most 1024; fewer threads loop); ``W`` in shared memory
    when it fits in 48 KiB together with the state buffers.  (The variables
    are for tuning on a GPU.)
    """
    if seqs is None:
        seqs = os.environ.get(SEQS_VAR, '').strip() or 1
    if threads is None:
        threads = os.environ.get(THREADS_VAR, '').strip() or None
    seqs = int(seqs)
    if seqs < 1:
        raise ValueError('seqs must be >= 1')
    if threads is None:
        threads = min(MAX_THREADS, -(-seqs * H // WARP) * WARP)
    threads = int(threads)
    if not 1 <= threads <= MAX_THREADS:
        raise ValueError('threads must lie in [1, {}]'.format(MAX_THREADS))
    state = (3 if backward else 2) * seqs * H * itemsize
    fits = H * H * itemsize + state <= SHARED_BYTES
    if w_shared is None:
        w_shared = fits
    elif w_shared and not fits:
        raise ValueError('W ({0}x{0}) does not fit in shared memory with {1} sequences per '
                         'block'.format(H, seqs))
    if state > SHARED_BYTES:
        raise ValueError('{} sequences of {} units do not fit in shared memory'.format(seqs, H))
    blocks = -(-B // seqs)
    shared = (H * H * itemsize if w_shared else 0) + state
    return blocks, threads, seqs, bool(w_shared), shared


def _stream(xp):
    """The stream to launch on: CuPy's current one for CuPy arrays."""
    if xp is numpy:
        return 0
    import cupy
    ptr = cupy.cuda.get_current_stream().ptr
    # 0 is CuPy's default (legacy null) stream, which numba's 0 means too
    return cuda.external_stream(ptr) if ptr else 0


def _lengths(xp, lengths, T, B):
    if lengths is None:
        return xp.full(B, T, dtype=numpy.int32)
    return xp.ascontiguousarray(xp.asarray(lengths), dtype=numpy.int32)


def forward(xp, u, W, b, h0, lengths, activation, seqs=None, threads=None, w_shared=None):
    """``hs`` ``(T, B, H)`` of the recurrence, one kernel launch.

    ``xp`` is the arrays' module (CuPy, or NumPy under the simulator);
    ``lengths`` ``None`` or ``(B,)`` integers; the launch parameters are
    those of :func:`launch_config`.
    """
    T, B, H = u.shape
    dtype = u.dtype
    hs = xp.empty((T, B, H), dtype=dtype)
    if T == 0 or B == 0 or H == 0:
        return hs
    blocks, threads, seqs, w_shared, shared = launch_config(
        B, H, dtype.itemsize, seqs, threads, w_shared)
    kernel = _kernels(dtype, RELU if activation == 'relu' else TANH, w_shared)[0]
    kernel[blocks, threads, _stream(xp), shared](
        xp.ascontiguousarray(u), xp.ascontiguousarray(W.T),
        xp.zeros(H, dtype) if b is None else xp.ascontiguousarray(b),
        xp.zeros((B, H), dtype) if h0 is None else xp.ascontiguousarray(h0),
        _lengths(xp, lengths, T, B), hs, seqs)
    return hs


def backward(xp, hs, W, gy, lengths, activation, seqs=None, threads=None, w_shared=None):
    """``(dz, gh0)``: ``dz`` ``(T, B, H)`` is ``gu``, ``gh0`` the gradient of h0."""
    T, B, H = hs.shape
    dtype = hs.dtype
    dz = xp.empty((T, B, H), dtype=dtype)
    gh0 = xp.zeros((B, H), dtype=dtype)
    if T == 0 or B == 0 or H == 0:
        return dz, gh0
    blocks, threads, seqs, w_shared, shared = launch_config(
        B, H, dtype.itemsize, seqs, threads, w_shared, backward=True)
    kernel = _kernels(dtype, RELU if activation == 'relu' else TANH, w_shared)[1]
    kernel[blocks, threads, _stream(xp), shared](
        xp.ascontiguousarray(hs), xp.ascontiguousarray(W),
        xp.ascontiguousarray(gy, dtype=dtype), _lengths(xp, lengths, T, B),
        dz, gh0, seqs)
    return dz, gh0
