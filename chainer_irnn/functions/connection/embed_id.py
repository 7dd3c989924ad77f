"""``embed_id`` whose CPU gradient is one vectorised scatter-add.

Chainer 7.8.1's :class:`~chainer.functions.connection.embed_id.EmbedIDGrad`
accumulates the gradient of ``W`` with a Python loop over every id on the
CPU: one iteration per id, 784 per MNIST pixel sequence in the batch.
Here the same sum is one compiled loop (Numba, when it imports) or a sort and
``numpy.add.reduceat``.  On GPU arrays it is one scatter-add call,
:func:`scatter_add_rows_xp` (CuPy's ``add.at``, or ``cupyx.scatter_add`` on
a CuPy without it: one atomic-add kernel over all ids); double backward uses
Chainer's code.
"""
import numpy

import chainer
from chainer.functions.connection import embed_id as _chainer_embed_id

from chainer_irnn.functions import _numba


def scatter_add_rows(n_rows, ids, rows):
    """``out[k] = sum of rows[i] where ids[i] == k``, ``out`` ``(n_rows, D)``.

    ``ids`` is an integer array ``(N,)`` of values in ``[0, n_rows)``;
    ``rows`` is ``(N, D)``.  NumPy arrays only.
    """
    ids = numpy.ascontiguousarray(ids).ravel()
    rows = numpy.ascontiguousarray(rows)
    rows = rows.reshape(ids.size, rows.shape[-1] if rows.ndim else 0)
    kernels = _numba.load()
    if kernels is not None:
        return kernels.scatter_add_rows(n_rows, ids, rows)
    out = numpy.zeros((n_rows, rows.shape[1]), dtype=rows.dtype)
    if ids.size == 0:
        return out
    order = numpy.argsort(ids, kind='stable')
    sorted_ids = ids[order]
    starts = numpy.flatnonzero(numpy.concatenate(
        ([True], sorted_ids[1:] != sorted_ids[:-1])))
    out[sorted_ids[starts]] = numpy.add.reduceat(rows[order], starts, axis=0)
    return out


def _scatter_add(xp):
    """``f(out, ids, rows)`` adding ``rows[k]`` to ``out[ids[k]]`` in place.

    ``xp.add.at`` (NumPy; CuPy 13 and later, where it replaces the
    deprecated ``cupyx.scatter_add``), else ``cupyx.scatter_add``; all are one
    unbuffered scatter-add, an atomic-add kernel on a GPU.
    """
    add_at = getattr(getattr(xp, 'add', None), 'at', None)
    if add_at is not None:
        return add_at
    import cupyx
    return cupyx.scatter_add


def scatter_add_rows_xp(xp, n_rows, ids, rows):
    """:func:`scatter_add_rows` for arrays of module ``xp`` (CuPy on a GPU):
    one scatter-add call over all ids, ``rows`` of any shape ``ids.shape +
    (D,)``."""
    ids = ids.ravel()
    D = rows.shape[-1] if rows.ndim else 0
    out = xp.zeros((n_rows, D), dtype=rows.dtype)
    if ids.size:
        _scatter_add(xp)(out, ids, rows.reshape(ids.size, D))
    return out


class EmbedIDGrad(_chainer_embed_id.EmbedIDGrad):

    def forward(self, inputs):
        x, gy = inputs
        if self.ignore_label is not None:
            return super().forward(inputs)
        self.retain_inputs((0,))
        self._gy_shape = gy.shape
        if not isinstance(x, numpy.ndarray):   # CuPy: one scatter-add kernel
            return scatter_add_rows_xp(chainer.backend.get_array_module(x),
                                       self.w_shape[0], x, gy),
        if chainer.is_debug() and x.size and (x.min() < 0 or x.max() >= self.w_shape[0]):
            raise ValueError('ids must lie in [0, {})'.format(self.w_shape[0]))
        return scatter_add_rows(self.w_shape[0], x, gy),


class EmbedIDFunction(_chainer_embed_id.EmbedIDFunction):

    def backward(self, indexes, grad_outputs):
        inputs = self.get_retained_inputs()
        gW = EmbedIDGrad(self._w_shape, self.ignore_label).apply(
            inputs + grad_outputs)[0]
        return None, gW


def embed_id(x, W):
    """Rows ``W[x]``, as :func:`chainer.functions.embed_id` without
    ``ignore_label``; only the backward differs (faster on the CPU, one
    scatter-add on a GPU; the same sums in another order)."""
    return EmbedIDFunction().apply((x, W))[0]
