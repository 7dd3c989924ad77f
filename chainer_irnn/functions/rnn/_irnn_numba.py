"""Compiled CPU loops of :mod:`chainer_irnn.functions.rnn.irnn_recurrence`.

Importing this module needs Numba (optional: ``pip install
chainer-irnn[fast]``).  The recurrence runs here only when asked for
(``kernel='numba'`` or ``CHAINER_IRNN_KERNEL=numba``): it is slower than the
BLAS-backed NumPy loop where measured (docs/performance.md).  The EmbedID
gradient (:func:`scatter_add_rows`) is faster here than in NumPy and is used
whenever Numba imports.  Functions compile on first use for each dtype
(float32, float64) and are cached on disk next to this file (or in Numba's
user cache directory when that is not writable).

Memory layout: every product is written as a row update ``out[:] += a *
M[j, :]`` over contiguous rows, which LLVM vectorises without reassociating
sums (so no ``fastmath``); rows whose coefficient ``a`` is exactly zero are
skipped, which saves work without changing any result because ReLU states
and ReLU step gradients are often exactly zero.
"""
import numba
import numpy

_JIT = dict(nogil=True, cache=True, boundscheck=False)

RELU, TANH = 0, 1


@numba.njit(**_JIT)
def _forward_loop(u, WT, b, h0, lengths, act, hs):
    T, B, H = u.shape
    for t in range(T):
        for n in range(B):
            prev = h0[n] if t == 0 else hs[t - 1, n]
            out = hs[t, n]
            if t >= lengths[n]:
                for i in range(H):
                    out[i] = prev[i]
                continue
            ut = u[t, n]
            for i in range(H):
                out[i] = ut[i] + b[i]
            for j in range(H):
                a = prev[j]
                if a != 0:
                    w = WT[j]
                    for i in range(H):
                        out[i] += a * w[i]
            if act == RELU:
                for i in range(H):
                    if out[i] < 0:
                        out[i] = 0
            else:
                for i in range(H):
                    out[i] = numpy.tanh(out[i])


@numba.njit(**_JIT)
def _backward_loop(hs, W, gy, lengths, act, dz, g):
    T, B, H = hs.shape
    for t in range(T - 1, -1, -1):
        for n in range(B):
            gn = g[n]
            gyt = gy[t, n]
            for i in range(H):
                gn[i] += gyt[i]
            d = dz[t, n]
            if t >= lengths[n]:
                # padding step: h_t = h_{t-1}, the gradient passes unchanged
                for i in range(H):
                    d[i] = 0
                continue
            h = hs[t, n]
            if act == RELU:
                for i in range(H):
                    d[i] = gn[i] if h[i] > 0 else 0
            else:
                for i in range(H):
                    d[i] = gn[i] * (1 - h[i] * h[i])
            for i in range(H):
                gn[i] = 0
            for i in range(H):
                a = d[i]
                if a != 0:
                    w = W[i]
                    for j in range(H):
                        gn[j] += a * w[j]


def forward(u, W, b, h0, lengths, activation):
    """``hs`` ``(T, B, H)``; ``lengths`` is int64 ``(B,)`` (T where unpadded)."""
    T, B, H = u.shape
    dtype = u.dtype
    u = numpy.ascontiguousarray(u)
    WT = numpy.ascontiguousarray(W.T)
    b = numpy.zeros(H, dtype) if b is None else numpy.ascontiguousarray(b)
    h0 = numpy.zeros((B, H), dtype) if h0 is None else numpy.ascontiguousarray(h0)
    hs = numpy.empty((T, B, H), dtype)
    _forward_loop(u, WT, b, h0, lengths, RELU if activation == 'relu' else TANH, hs)
    return hs


def backward(hs, W, gy, lengths, activation):
    """``(dz, gh0)``: ``dz`` ``(T, B, H)`` is the gradient of ``u``."""
    T, B, H = hs.shape
    dz = numpy.empty_like(hs)
    g = numpy.zeros((B, H), hs.dtype)
    _backward_loop(numpy.ascontiguousarray(hs), numpy.ascontiguousarray(W),
                   numpy.ascontiguousarray(gy, dtype=hs.dtype), lengths,
                   RELU if activation == 'relu' else TANH, dz, g)
    return dz, g


@numba.njit(**_JIT)
def _scatter_add_loop(ids, rows, out):
    N, D = rows.shape
    for k in range(N):
        o = out[ids[k]]
        r = rows[k]
        for i in range(D):
            o[i] += r[i]


def scatter_add_rows(n_rows, ids, rows):
    """``out[k] = sum of rows[i] where ids[i] == k`` (the EmbedID gradient)."""
    out = numpy.zeros((n_rows, rows.shape[1]), dtype=rows.dtype)
    if ids.size and (ids.min() < 0 or ids.max() >= n_rows):
        raise IndexError('ids must lie in [0, {})'.format(n_rows))
    _scatter_add_loop(numpy.ascontiguousarray(ids), numpy.ascontiguousarray(rows), out)
    return out
