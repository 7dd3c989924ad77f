"""The IRNN recurrence as one graph node (fused), with selectable CPU loops.

:func:`irnn_recurrence` computes exactly what
:func:`~chainer_irnn.functions.rnn.naive_recurrence.naive_recurrence` computes,
but as a single :class:`chainer.FunctionNode`: the forward pass runs all ``T``
steps in one loop and keeps only the states ``hs`` (its output), ``W`` and
``h0``; the backward pass is back-propagation through time in one reverse loop
that yields ``gu`` (the ``dz_t``), after which ``gW`` is ONE matrix product
over all steps, :math:`\\sum_t dz_t^\\top h_{t-1}`, and ``gb`` one sum.

Kernels (the per-step loops; the node and its gradients are the same):

``numba`` (what ``auto`` runs on NumPy arrays when Numba imports)
    The loops compiled with Numba
    (:mod:`~chainer_irnn.functions.rnn._irnn_numba`): per step one BLAS
    call for the ``(B, H) x (H, H)`` product and one fused element-wise pass
    for the rest of the step (input, bias, activation, padding mask; in the
    backward pass the output gradient, ``f'`` and the bias gradient), with
    no Python call inside the loop (docs/performance.md compares the
    kernels).
``numpy``
    The loop written with array operations of ``xp`` (NumPy or CuPy via
    :func:`chainer.backend.get_array_module`): per step one ``(B, H) x (H,
    H)`` BLAS product and two element-wise calls forward, one product and
    one or two element-wise calls backward; everything else (bias, ``f'``,
    the padding mask, ``gW``, ``gb``) is done once for all steps.  It runs
    where Numba is not installed, and on CuPy arrays (a loop of CuPy calls,
    one per operation and step) when the ``cuda`` kernel cannot be used.
``cuda``
    CUDA kernels written with ``numba.cuda``
    (:mod:`~chainer_irnn.functions.rnn._irnn_cuda`, needs the ``numba-cuda``
    package): the forward pass over all steps in one launch, back-propagation
    through time in another; ``gW`` stays one matrix product over all steps
    and ``gb`` one sum, done by CuPy.  It is what ``auto`` runs on CuPy
    arrays when ``numba-cuda`` imports (else the ``xp`` loop runs there).
    Asked for explicitly it also runs on NumPy arrays: under Numba's CUDA
    simulator (``NUMBA_ENABLE_CUDASIM=1``, how the tests check the kernels
    on machines without a GPU), or on a GPU with copies to and from it.

The kernel is chosen by the ``kernel`` argument, else by the environment
variable ``CHAINER_IRNN_KERNEL`` (``auto``, ``numba``, ``numpy`` or
``cuda``), else ``auto``: on NumPy arrays ``numba`` when Numba imports, else
``numpy``; on CuPy arrays ``cuda`` when ``numba-cuda`` imports and finds the
GPU, else the ``xp`` loop.
Asking for ``numba`` when it cannot be imported is an error, and so is
``cuda`` when ``numba-cuda`` cannot be imported or finds neither a GPU nor
the simulator; on CuPy arrays ``numba`` and ``numpy`` run the ``xp`` loop.
"""
import os
import threading

import numpy

import chainer
from chainer import backend
from chainer.utils import type_check

from chainer_irnn.functions import _numba
from chainer_irnn.functions.connection.embed_id import scatter_add_rows, scatter_add_rows_xp

KERNELS = ('auto', 'numba', 'numpy', 'cuda')
ACTIVATIONS = ('relu', 'tanh')
ENV_VAR = 'CHAINER_IRNN_KERNEL'

_cuda_kernels = None
_cuda_error = None


def _load_cuda():
    """Returns the module of CUDA kernels, or None (reason kept).

    It imports ``numba.cuda`` (the ``numba-cuda`` package), which works
    without a GPU; whether kernels can run is :func:`cuda_available`.
    """
    global _cuda_kernels, _cuda_error
    if _cuda_kernels is None and _cuda_error is None:
        try:
            from chainer_irnn.functions.rnn import _irnn_cuda
        except Exception as e:  # ImportError, or numba-cuda failing on this stack
            _cuda_error = e
        else:
            _cuda_kernels = _irnn_cuda
    return _cuda_kernels


def cuda_available():
    """True when the CUDA kernels can run: a GPU, or Numba's CUDA simulator."""
    kernels = _load_cuda()
    return kernels is not None and kernels.available()


def numba_available():
    """True when the compiled kernel can be used."""
    return _numba.load() is not None


def available_kernels():
    """CPU kernels usable here, e.g. ``('numba', 'numpy')``.

    (``'cuda'`` is not listed: see :func:`cuda_available`; this function
    does not import ``numba.cuda``.)
    """
    return ('numba', 'numpy') if numba_available() else ('numpy',)


def resolve_kernel(kernel=None, xp=numpy):
    """The kernel that runs for ``kernel`` (None: ``$CHAINER_IRNN_KERNEL``).

    Returns ``'cuda'``, ``'numba'`` or ``'numpy'`` (the ``xp`` loop).
    ``'auto'`` is ``'numba'`` on NumPy arrays when Numba imports, else
    ``'numpy'``; on other arrays (CuPy's)
    ``'cuda'`` when the CUDA kernels can run, else ``'numpy'``.  Raises
    :class:`ValueError` for an unknown name and :class:`RuntimeError` when
    ``numba`` or ``cuda`` is asked for but cannot run.
    """
    if kernel is None:
        kernel = os.environ.get(ENV_VAR, '').strip().lower() or 'auto'
        source = '${}'.format(ENV_VAR)
    else:
        source = 'kernel'
    if kernel not in KERNELS:
        raise ValueError('{} must be one of {}, not {!r}'.format(source, KERNELS, kernel))
    if kernel == 'cuda':
        if not cuda_available():
            reason = repr(_cuda_error) if _load_cuda() is None else \
                'numba.cuda finds no CUDA GPU (and NUMBA_ENABLE_CUDASIM is not set)'
            raise RuntimeError(
                'the cuda kernel of irnn_recurrence was asked for ({}) but cannot '
                'run: {}. Install numba-cuda (pip install chainer-irnn[gpu]) on a '
                "machine with a GPU, or use kernel 'numpy'.".format(source, reason))
        return 'cuda'
    if xp is not numpy:
        # CuPy arrays: the CUDA kernels when they can run, else the xp loop
        return 'cuda' if kernel == 'auto' and cuda_available() else 'numpy'
    if kernel == 'numpy':
        return 'numpy'
    if kernel == 'auto':
        return 'numba' if numba_available() else 'numpy'
    if not numba_available():
        raise RuntimeError(
            'the numba kernel of irnn_recurrence was asked for ({}) but numba '
            'cannot be imported: {!r}. Install numba or use kernel '
            "'numpy'.".format(source, _numba.error))
    return 'numba'


def _mask(xp, lengths, T):
    """``(T, B)`` bool, True where step ``t`` is inside the sequence."""
    if lengths is None:
        return None
    return xp.arange(T)[:, None] < lengths[None, :]


# -- the xp loops (NumPy or CuPy) ---------------------------------------------

def _forward_xp(xp, u, W, b, h0, lengths, activation):
    T, B, H = u.shape
    # hs starts as u + b (one pass, no temporary); each step then costs
    # three calls: a (B, H) x (H, H) product, an addition, the activation.
    # At H = 100 each call's overhead is comparable to its arithmetic, so
    # nothing else happens inside the loop.
    hs = xp.add(u, b, dtype=u.dtype) if b is not None else u.copy()
    mask = _mask(xp, lengths, T)
    if mask is not None:
        padding = ~mask[:, :, None]
    WT = xp.ascontiguousarray(W.T)
    z = xp.empty((B, H), dtype=u.dtype)
    zeros = xp.zeros((B, H), dtype=u.dtype)   # max(x, array) is 3x cheaper than max(x, 0)
    h = zeros if h0 is None else h0
    for t in range(T):
        h_t = hs[t]
        xp.dot(h, WT, out=z)
        h_t += z
        if activation == 'relu':
            xp.maximum(h_t, zeros, out=h_t)
        else:
            xp.tanh(h_t, out=h_t)
        if mask is not None:
            xp.copyto(h_t, h, where=padding[t])
        h = h_t
    return hs


_CHUNK = 64   # steps whose f'(z) is computed at once in the backward loop


def _backward_xp(xp, hs, W, gy, lengths, activation):
    """Returns ``(dz, gh0)``: ``dz`` is ``gu``; ``gh0`` the gradient of h0."""
    T, B, H = hs.shape
    mask = _mask(xp, lengths, T)
    if mask is not None:
        padding = ~mask[:, :, None]
    # steps whose output gradient is zero (all but the last one when only
    # hs[-1] is used) skip the addition; one pass over gy finds them
    gy_steps = backend.CpuDevice().send(gy.reshape(T, B * H).any(axis=1)).tolist()
    W = xp.ascontiguousarray(W)
    dz = xp.empty_like(hs)
    g = xp.zeros((B, H), dtype=hs.dtype)   # dL/dh_t through later steps
    g_next = xp.empty_like(g)
    start = T
    for t in range(T - 1, -1, -1):
        if t < start:
            # f'(z) from the outputs, as floats (a float product is cheaper
            # than a float-by-bool one) for _CHUNK steps at once; zero on
            # padding steps
            start = max(0, t + 1 - _CHUNK)
            h = hs[start:t + 1]
            deriv = (h > 0).astype(hs.dtype) if activation == 'relu' else 1 - h * h
            if mask is not None:
                deriv *= mask[start:t + 1, :, None]
        if gy_steps[t]:
            g += gy[t]
        d = dz[t]
        xp.multiply(g, deriv[t - start], out=d)
        xp.dot(d, W, out=g_next)
        if mask is not None:
            # padding: h_t = h_{t-1}, the gradient passes through unchanged
            g_next += g * padding[t]
        g, g_next = g_next, g
    return dz, g


# -- the node -------------------------------------------------------------------

class IRNNRecurrence(chainer.FunctionNode):
    """:math:`h_t = f(u_t + W h_{t-1} + b)` over all steps, as one node.

    Inputs are ``(u, W)``, then ``b`` if ``has_b``, then ``h0`` if
    ``has_h0``; the output is ``hs`` ``(T, B, H)``.  ``lengths`` (an int
    array ``(B,)`` or None) is a constant, not an input, and so are ``ids``
    (an int array ``(T, B)`` or None): with them ``u`` is an embedding table
    ``(V, H)`` and :math:`u_t` is the rows ``u[ids[t]]``.  First-order
    gradients only: differentiating the gradients (double backward) raises
    :class:`NotImplementedError`.
    """

    def __init__(self, activation='relu', lengths=None, has_b=True,
                 has_h0=False, kernel=None, ids=None):
        if activation not in ACTIVATIONS:
            raise ValueError('activation must be one of {}, not {!r}'.format(
                ACTIVATIONS, activation))
        self.activation = activation
        self.lengths = lengths
        if ids is not None and (ids.ndim != 2 or ids.dtype.kind not in 'iu'):
            raise ValueError('ids must be an integer array (T, B), got {} {}'.format(
                ids.dtype, ids.shape))
        self.ids = ids
        self.has_b = has_b
        self.has_h0 = has_h0
        self.kernel = kernel
        self._b_index = 2 if has_b else None
        self._h0_index = 2 + int(has_b) if has_h0 else None

    def check_type_forward(self, in_types):
        n_in = 2 + int(self.has_b) + int(self.has_h0)
        type_check.expect(in_types.size() == n_in)
        u_type, W_type = in_types[0], in_types[1]
        u_dtype = type_check.eval(u_type.dtype)
        if u_dtype not in (numpy.float32, numpy.float64):
            raise type_check.InvalidType('u.dtype in (float32, float64)',
                                         'u.dtype == {}'.format(u_dtype))
        if self.ids is None:
            type_check.expect(u_type.ndim == 3, W_type.ndim == 2)
            H, B = u_type.shape[2], u_type.shape[1]
        else:   # an embedding table (V, H); the batch size is that of ids
            type_check.expect(u_type.ndim == 2, W_type.ndim == 2)
            H, B = u_type.shape[1], self.ids.shape[1]
        type_check.expect(
            W_type.dtype == u_type.dtype,
            W_type.shape[0] == H,
            W_type.shape[1] == H,
        )
        if self.has_b:
            b_type = in_types[self._b_index]
            type_check.expect(b_type.ndim == 1)
            type_check.expect(
                b_type.dtype == u_type.dtype,
                b_type.shape[0] == H,
            )
        if self.has_h0:
            h0_type = in_types[self._h0_index]
            type_check.expect(h0_type.ndim == 2)
            type_check.expect(
                h0_type.dtype == u_type.dtype,
                h0_type.shape[0] == B,
                h0_type.shape[1] == H,
            )

    def forward(self, inputs):
        u, W = inputs[0], inputs[1]
        b = inputs[self._b_index] if self.has_b else None
        h0 = inputs[self._h0_index] if self.has_h0 else None
        xp = backend.get_array_module(u)
        self._kernel = resolve_kernel(self.kernel, xp)
        retain = (1,) if h0 is None else (1, self._h0_index)
        self.retain_inputs(retain)
        if self.ids is not None:
            self.ids = _checked_ids(xp.asarray(self.ids), u.shape[0])
            self._table_rows = u.shape[0]
        if self._kernel == 'numba':
            shape = u.shape if self.ids is None else self.ids.shape
            self._lengths_i64 = _lengths_for_numba(self.lengths, shape)
            # the compiled loop reads the embedding rows itself
            hs = _numba.load().forward(u, W, b, h0, self._lengths_i64,
                                       self.activation, ids=self.ids)
        else:
            if self.ids is not None:
                u = u[self.ids]   # the rows of every step, (T, B, H)
            if self.lengths is not None:
                self.lengths = xp.asarray(self.lengths)
            if self._kernel == 'cuda':
                hs = _load_cuda().forward(xp, u, W, b, h0, self.lengths, self.activation)
            else:
                hs = _forward_xp(xp, u, W, b, h0, self.lengths, self.activation)
        self.retain_outputs((0,))
        return hs,

    def backward(self, indexes, grad_outputs):
        retained = self.get_retained_inputs()
        W = retained[0]
        h0 = retained[1] if self.has_h0 else None
        hs = self.get_retained_outputs()[0]
        gy = grad_outputs[0]
        if gy is None:
            return (None,) * len(indexes)
        # The gradients are outputs of a second node, so that asking for
        # their own gradients fails loudly instead of silently giving zeros.
        grads = IRNNRecurrenceGrad(self).apply(
            (W, hs) + (() if h0 is None else (h0,)) + (gy,))
        return tuple(grads[i] for i in indexes)


class IRNNRecurrenceGrad(chainer.FunctionNode):
    """BPTT of :class:`IRNNRecurrence`: ``(W, hs[, h0], gy) -> (gu, gW[, gb][, gh0])``.

    The outputs follow the inputs of the forward node (``gb`` only with a
    bias, ``gh0`` only with an initial state).
    Its own backward (second-order gradients) is not implemented.
    """

    def __init__(self, fwd):
        self.fwd = fwd

    def forward(self, inputs):
        fwd = self.fwd
        W, hs = inputs[0], inputs[1]
        h0 = inputs[2] if fwd.has_h0 else None
        gy = inputs[-1]
        xp = backend.get_array_module(hs)
        T, B, H = hs.shape
        gb = None
        if fwd._kernel == 'numba':
            # with ids, dz is scratch (gu is the table's gradient, a new
            # array): its buffer is reused; without ids dz is the output gu
            dz, gh0, gb = _numba.load().backward(
                hs, W, gy, fwd._lengths_i64, fwd.activation,
                dz=None if fwd.ids is None else _scratch(hs.shape, hs.dtype))
        elif fwd._kernel == 'cuda':
            dz, gh0 = _load_cuda().backward(xp, hs, W, gy, fwd.lengths, fwd.activation)
        else:
            dz, gh0 = _backward_xp(xp, hs, W, gy, fwd.lengths, fwd.activation)
        # gW = sum_t dz_t^T h_{t-1}: one product over all steps, h_{-1} = h0
        gW = xp.matmul(dz[1:].reshape((T - 1) * B, H).T, hs[:-1].reshape((T - 1) * B, H)) if T > 1 \
            else xp.zeros((H, H), dtype=hs.dtype)
        if h0 is not None and T > 0:
            gW += xp.matmul(dz[0].T, h0)
        if fwd.ids is None:
            gu = dz
        else:   # the table's gradient: each step's dz added to its row
            gu = scatter_add_rows(fwd._table_rows, fwd.ids, dz) if xp is numpy else \
                scatter_add_rows_xp(xp, fwd._table_rows, fwd.ids, dz)
        out = [gu, gW]
        if fwd.has_b:
            out.append(dz.sum(axis=(0, 1)) if gb is None else gb)
        if fwd.has_h0:
            out.append(gh0)
        return tuple(out)

    def backward(self, indexes, grad_outputs):
        raise NotImplementedError(
            'irnn_recurrence supports first-order gradients only (double '
            "backward is not implemented); use IRNN(impl='naive') or "
            'naive_recurrence when gradients of gradients are needed')


_scratch_buffers = threading.local()


def _scratch(shape, dtype):
    """A NumPy array of ``shape`` and ``dtype`` owned by this thread, reused
    by every call with the same shape and dtype (the last two kept).

    Only for arrays that never leave the function using them (nothing
    returned or retained aliases them): the backward pass's ``dz`` when the
    node has ``ids``.  A fresh array of 40 MB (batch 128) costs page faults
    and the kernel's zeroing of every page on each step.
    """
    key = (tuple(shape), numpy.dtype(dtype))
    cache = getattr(_scratch_buffers, 'arrays', None)
    if cache is None:
        cache = _scratch_buffers.arrays = {}
    buf = cache.pop(key, None)
    if buf is None:
        buf = numpy.empty(key[0], key[1])
        while len(cache) >= 2:
            cache.pop(next(iter(cache)))   # the least recently used
    cache[key] = buf   # (re)inserted last: the most recently used
    return buf


def _checked_ids(ids, V):
    """``ids`` if its values are rows of a table of ``V`` rows (the compiled
    loop reads them without bounds checks), else ValueError."""
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= V):
        raise ValueError('ids must lie in [0, {}) (the rows of the table u)'.format(V))
    return ids


def _lengths_for_numba(lengths, shape):
    T, B = shape[0], shape[1]
    if lengths is None:
        return numpy.full(B, T, dtype=numpy.int64)
    return numpy.ascontiguousarray(backend.CpuDevice().send(lengths), dtype=numpy.int64)


def irnn_recurrence(u, W, b=None, h0=None, lengths=None, activation='relu',
                    kernel=None, ids=None):
    """Runs :math:`h_t = f(u_t + W h_{t-1} + b)` over all steps in one node.

    Same contract and result as
    :func:`~chainer_irnn.functions.rnn.naive_recurrence.naive_recurrence`, much
    faster: one graph node instead of several per step.

    Args:
        u (:class:`~chainer.Variable` or array): ``(T, B, H)`` input
            contribution of each step (the input projection, time-major),
            float32 or float64.
        W (:class:`~chainer.Variable` or array): ``(H, H)`` recurrent weight,
            in :class:`~chainer.links.Linear`'s convention (``h @ W.T``).
        b: ``(H,)`` bias or ``None``.
        h0: ``(B, H)`` initial state or ``None`` for zeros.
        lengths: ``None`` (every sequence has ``T`` steps) or an integer
            array ``(B,)`` with ``0 <= lengths <= T``.  After its last step a
            sequence's state is carried unchanged, so ``hs[-1]`` is each
            sequence's state at its own last step.
        activation (str): ``'relu'`` or ``'tanh'``.
        kernel (str or None): ``'auto'``, ``'numba'``, ``'numpy'`` or
            ``'cuda'``; None
            reads ``$CHAINER_IRNN_KERNEL`` (default ``'auto'``).  See the
            module's docstring.
        ids: ``None``, or an integer array ``(T, B)`` with values in ``[0,
            V)``: then ``u`` is an embedding table ``(V, H)`` and the input
            of step ``t`` is ``u[ids[t]]`` -- ``irnn_recurrence(E, W, ...,
            ids=ids)`` equals ``irnn_recurrence(embed_id(ids, E), W, ...)``,
            and the ``numba`` kernel reads the rows inside its loop instead
            of building the ``(T, B, H)`` array first.

    Returns:
        :class:`~chainer.Variable`: ``hs`` of shape ``(T, B, H)``.

    Gradients are first-order only: back-propagating through the gradients
    (``enable_double_backprop=True`` followed by a second backward) raises
    :class:`NotImplementedError`.
    """
    if activation not in ACTIVATIONS:
        raise ValueError('activation must be one of {}, not {!r}'.format(
            ACTIVATIONS, activation))
    if kernel is not None and kernel not in KERNELS:
        raise ValueError('kernel must be one of {}, not {!r}'.format(KERNELS, kernel))
    if ids is not None:
        ids = ids.array if isinstance(ids, chainer.Variable) else \
            backend.get_array_module(ids).asarray(ids)
    if lengths is not None:
        T, B = (u.shape[0], u.shape[1]) if ids is None else ids.shape
        xp = backend.get_array_module(lengths)
        lengths = xp.asarray(lengths)
        if lengths.shape != (B,) or lengths.dtype.kind not in 'iu':
            raise ValueError('lengths must be an integer array of shape ({},), got '
                             '{} {}'.format(B, lengths.dtype, lengths.shape))
        if B and (int(lengths.min()) < 0 or int(lengths.max()) > T):
            raise ValueError('lengths must lie in [0, {}]'.format(T))
    inputs = (u, W) + (() if b is None else (b,)) + (() if h0 is None else (h0,))
    node = IRNNRecurrence(activation, lengths, has_b=b is not None,
                          has_h0=h0 is not None, kernel=kernel, ids=ids)
    hs, = node.apply(inputs)
    return hs
