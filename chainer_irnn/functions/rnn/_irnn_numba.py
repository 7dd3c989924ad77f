"""Compiled CPU loops of :mod:`chainer_irnn.functions.rnn.irnn_recurrence`.

Importing this module needs Numba (``pip install chainer-irnn[fast]``) and
SciPy (a dependency of scikit-learn, so always installed with the package).
Each loop runs all ``T`` steps in one compiled call: per step it calls BLAS
once for the ``(B, H) x (H, H)`` product (``sgemm``/``dgemm`` from
``scipy.linalg.cython_blas``, the OpenBLAS that SciPy ships) and does
everything else of the step -- input, bias, activation, padding mask, output
gradient, ``f'`` -- in ONE element-wise pass over the ``(B, H)`` block while
it is in cache.  The NumPy loop of the node needs three to five Python-level
calls per step for the same work, and a separate pass over all ``(T, B, H)``
for the bias and for ``f'``; here no call leaves compiled code but the BLAS
one, and no temporary larger than ``(B, H)`` is made.

The products are the same BLAS kernels in the same order as NumPy's (both
libraries are OpenBLAS builds), so the results are meant to match the NumPy
loop's; the tests compare them to a tolerance.

The BLAS routine is called through its address (an integer argument of the
compiled loops, cast to a function pointer by :func:`_call_blas`), so that
the compiled functions hold no ctypes objects and Numba can cache them on
disk (next to this file, or in Numba's user cache directory when that is not
writable): they compile on first use per dtype (float32, float64) and load
from the cache afterwards.
"""
import numba
import numpy
from llvmlite import ir
from numba import types
from numba.extending import get_cython_function_address, intrinsic

_JIT = dict(nogil=True, cache=True, boundscheck=False)

RELU, TANH = 0, 1

#: Fortran BLAS ``?gemm`` addresses by dtype (13 pointer arguments each).
_GEMM = {numpy.dtype(numpy.float32):
         get_cython_function_address('scipy.linalg.cython_blas', 'sgemm'),
         numpy.dtype(numpy.float64):
         get_cython_function_address('scipy.linalg.cython_blas', 'dgemm')}
_N = ord('N')


@intrinsic
def _call_blas(typingctx, address, args):
    """Calls the function at ``address`` with the 13 pointers in ``args``."""
    if not (isinstance(address, types.Integer) and isinstance(args, types.BaseTuple)
            and len(args) == 13 and all(isinstance(a, types.Integer) for a in args)):
        return None

    def codegen(context, builder, signature, llargs):
        ptr = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [ptr] * 13)
        fn = builder.inttoptr(llargs[0], fnty.as_pointer())
        builder.call(fn, [builder.inttoptr(builder.extract_value(llargs[1], i), ptr)
                          for i in range(13)])
        return context.get_dummy_value()

    return types.void(address, args), codegen


@numba.njit(**_JIT)
def _gemm(gemm, a, b, c, beta, ints, scalars):
    """``c = a @ b + beta * c`` for C-contiguous 2-d arrays (row-major;
    the callers pass only such arrays, which this does not check).

    Row-major ``c = a b`` is column-major ``c^T = b^T a^T``: BLAS is called
    with the operands swapped and no transposition.  ``ints`` (int32, 7) and
    ``scalars`` (2, of the arrays' dtype) are scratch for the arguments
    Fortran takes by reference.
    """
    M, K = a.shape
    N = b.shape[1]
    if M == 0 or N == 0 or K == 0:
        # BLAS rejects leading dimensions of 0; an empty sum is zero
        for i in range(M):
            for j in range(N):
                c[i, j] = beta * c[i, j] if beta != 0 else 0
        return
    ints[0] = N
    ints[1] = M
    ints[2] = K
    ints[3] = _N
    scalars[0] = 1
    scalars[1] = beta
    p = ints.ctypes.data
    s = scalars.ctypes.data
    size = ints.itemsize
    _call_blas(gemm, (p + 3 * size, p + 3 * size, p, p + size, p + 2 * size, s,
                      b.ctypes.data, p, a.ctypes.data, p + 2 * size,
                      s + scalars.itemsize, c.ctypes.data, p))


@numba.njit(**_JIT)
def _forward_loop(gemm, src, ids, embed, WT, b, h0, has_h0, lengths, act, hs):
    """Step ``t`` of sequence ``n`` takes the input row ``src[ids[t, n]]``
    when ``embed`` (``src`` is an embedding table), else ``src[t * B + n]``
    (``src`` is ``u`` reshaped to ``(T * B, H)``)."""
    T, B, H = hs.shape
    z = numpy.zeros((B, H), hs.dtype)
    ints = numpy.empty(7, numpy.int32)
    scalars = numpy.empty(2, hs.dtype)
    for t in range(T):
        prev = h0 if t == 0 else hs[t - 1]
        if t > 0 or has_h0:
            _gemm(gemm, prev, WT, z, 0.0, ints, scalars)
        out = hs[t]
        for n in range(B):
            if t >= lengths[n]:
                # padding: the state is carried unchanged
                for i in range(H):
                    out[n, i] = prev[n, i]
                continue
            row = src[ids[t, n]] if embed else src[t * B + n]
            if act == RELU:
                for i in range(H):
                    v = row[i] + b[i] + z[n, i]
                    out[n, i] = v if v > 0 else 0
            else:
                for i in range(H):
                    out[n, i] = numpy.tanh(row[i] + b[i] + z[n, i])


@numba.njit(**_JIT)
def _backward_loop(gemm, hs, W, gy, lengths, act, dz, g, gb):
    """Fills ``dz``, ``g`` (in: zeros; out: the gradient of ``h0``) and
    ``gb`` (in: zeros; out: the sum of ``dz`` over steps and batch)."""
    T, B, H = hs.shape
    g_next = numpy.empty((B, H), hs.dtype)
    ints = numpy.empty(7, numpy.int32)
    scalars = numpy.empty(2, hs.dtype)
    for t in range(T - 1, -1, -1):
        d = dz[t]
        h = hs[t]
        gyt = gy[t]
        padded = False
        for n in range(B):
            if t >= lengths[n]:
                padded = True
                for i in range(H):
                    g[n, i] += gyt[n, i]
                    d[n, i] = 0
            elif act == RELU:
                for i in range(H):
                    d[n, i] = g[n, i] + gyt[n, i] if h[n, i] > 0 else 0
            else:
                for i in range(H):
                    d[n, i] = (g[n, i] + gyt[n, i]) * (1 - h[n, i] * h[n, i])
            for i in range(H):
                gb[i] += d[n, i]
        _gemm(gemm, d, W, g_next, 0.0, ints, scalars)
        if padded:
            # padding: h_t = h_{t-1}, the gradient passes through unchanged
            for n in range(B):
                if t >= lengths[n]:
                    for i in range(H):
                        g_next[n, i] += g[n, i]
        g[:, :] = g_next


def forward(u, W, b, h0, lengths, activation, ids=None):
    """``hs`` ``(T, B, H)``; ``lengths`` is int64 ``(B,)`` (T where unpadded).

    With ``ids`` (integers ``(T, B)`` in ``[0, V)``), ``u`` is a table ``(V,
    H)`` and step ``t`` of sequence ``n`` takes ``u[ids[t, n]]`` as input.
    """
    H = W.shape[0]
    dtype = u.dtype
    if ids is None:
        T, B = u.shape[:2]
        src = numpy.ascontiguousarray(u).reshape(T * B, H)
        ids = numpy.zeros((0, 0), numpy.intp)
    else:
        T, B = ids.shape
        src = numpy.ascontiguousarray(u)
        ids = numpy.ascontiguousarray(ids, dtype=numpy.intp)
    WT = numpy.ascontiguousarray(W.T)
    b = numpy.zeros(H, dtype) if b is None else numpy.ascontiguousarray(b)
    has_h0 = h0 is not None
    h0 = numpy.ascontiguousarray(h0) if has_h0 else numpy.zeros((B, H), dtype)
    hs = numpy.empty((T, B, H), dtype)
    _forward_loop(_GEMM[dtype], src, ids, ids.size > 0, WT, b, h0, has_h0, lengths,
                  RELU if activation == 'relu' else TANH, hs)
    return hs


def backward(hs, W, gy, lengths, activation, dz=None):
    """``(dz, gh0, gb)``: ``dz`` ``(T, B, H)`` is the gradient of ``u``,
    ``gb`` its sum over steps and batch (the gradient of the bias).

    ``dz``: None (a new array), or a C-contiguous array of ``hs``'s shape and
    dtype to write into (every element is written; the caller owns it).
    """
    T, B, H = hs.shape
    hs = numpy.ascontiguousarray(hs)
    if dz is None:
        dz = numpy.empty(hs.shape, hs.dtype)   # C order: BLAS reads dz[t] as rows
    elif dz.shape != hs.shape or dz.dtype != hs.dtype or not dz.flags.c_contiguous:
        raise ValueError('dz must be a C-contiguous {} array of shape {}'.format(
            hs.dtype, hs.shape))
    g = numpy.zeros((B, H), hs.dtype)
    gb = numpy.zeros(H, hs.dtype)
    _backward_loop(_GEMM[hs.dtype], hs, numpy.ascontiguousarray(W),
                   numpy.ascontiguousarray(gy, dtype=hs.dtype), lengths,
                   RELU if activation == 'relu' else TANH, dz, g, gb)
    return dz, g, gb


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
