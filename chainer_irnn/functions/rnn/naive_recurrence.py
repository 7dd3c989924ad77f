"""The IRNN recurrence as a per-step Chainer graph (the reference).

One graph node per operation per time step.  It is slow (784 steps build
thousands of nodes per batch) but obviously right, so the fused node in
:mod:`chainer_irnn.functions.rnn.irnn_recurrence` is tested against it.
"""
import chainer
import chainer.functions as F
from chainer import backend

ACTIVATIONS = {'relu': F.relu, 'tanh': F.tanh}


def naive_recurrence(u, W, b=None, h0=None, lengths=None, activation='relu'):
    """Runs :math:`h_t = f(u_t + W h_{t-1} + b)` step by step.

    Args:
        u (:class:`~chainer.Variable` or array): ``(T, B, H)`` input
            contribution of each step (the input projection, time-major).
        W (:class:`~chainer.Variable` or array): ``(H, H)`` recurrent weight,
            in :class:`~chainer.links.Linear`'s convention (``h @ W.T``).
        b: ``(H,)`` bias or ``None``.
        h0: ``(B, H)`` initial state or ``None`` for zeros.
        lengths: ``None`` (every sequence has ``T`` steps) or an integer
            array ``(B,)`` with ``0 <= lengths <= T``.  After its last step a
            sequence's state is carried unchanged, so ``hs[-1]`` is each
            sequence's state at its own last step.
        activation (str): ``'relu'`` or ``'tanh'``.

    Returns:
        :class:`~chainer.Variable`: ``hs`` of shape ``(T, B, H)``.
    """
    act = ACTIVATIONS[activation]
    T, B, H = u.shape
    xp = backend.get_array_module(u)
    if h0 is None:
        h = chainer.Variable(xp.zeros((B, H), dtype=u.dtype))
    else:
        h = h0
    if lengths is not None:
        steps = xp.arange(T)[:, None, None]
        masks = xp.broadcast_to(steps < xp.asarray(lengths)[None, :, None], (T, B, H))
    hs = []
    for t, u_t in enumerate(F.separate(u, axis=0)):
        h_new = act(u_t + F.linear(h, W, b))
        if lengths is not None:
            h_new = F.where(masks[t], h_new, h)
        hs.append(h_new)
        h = h_new
    return F.stack(hs, axis=0)
