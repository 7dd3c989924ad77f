"""The compiled CPU kernels, imported on first use.

Numba is optional.  :func:`load` imports
:mod:`~chainer_irnn.functions.rnn._irnn_numba` (the loops of the fused
recurrence and the scatter-add of ``embed_id``'s gradient) once and returns
it, or returns None when it cannot be imported and keeps the reason in
:data:`error`.  The fused recurrence and ``embed_id`` both read the kernels
from here.
"""

kernels = None  # the kernels module, once imported
error = None    # why it could not be imported (an exception), else None


def load():
    """Returns the module of compiled kernels, or None (reason in :data:`error`)."""
    global kernels, error
    if kernels is None and error is None:
        try:
            from chainer_irnn.functions.rnn import _irnn_numba
        except Exception as e:  # ImportError, or numba failing on this stack
            error = e
        else:
            kernels = _irnn_numba
    return kernels
