"""The IRNN link: identity-initialised ReLU recurrent layers.

Le, Jaitly & Hinton (2015), "A Simple Way to Initialize Recurrent Networks of
Rectified Linear Units": recurrent weights start as the identity (times a
scale), biases at zero, activation ReLU.  Input weights start Gaussian with a
small standard deviation (0.001 in the 2015 Chainer blog post).
"""
import chainer
import chainer.functions as F
import chainer.links as L
from chainer import backend
from chainer import initializers

from chainer_irnn.errors import ParameterError
from chainer_irnn.functions import embed_id, irnn_recurrence, naive_recurrence

IMPLEMENTATIONS = ('fused', 'naive')
#: what the encoder hands on: each sequence's last state, or the mean or the
#: maximum of its states over its steps
POOLS = ('last', 'mean', 'max')
#: the largest ``augment_scale``: factors from ``N(1, 1)`` are already negative
#: (a feature's sign flipped) one time in six; past that it is no longer a
#: change of magnitude.  The settings table takes this bound from here.
AUGMENT_SCALE_MAX = 1


def _recurrence(impl):
    if impl == 'naive':
        return naive_recurrence
    if impl == 'fused':
        return irnn_recurrence
    raise ValueError('impl must be one of {}, not {!r}'.format(IMPLEMENTATIONS, impl))


def _scaled(x, scale):
    """``x`` ``(B, T, D)`` times factors from ``N(1, scale^2)``, one per
    (sequence, feature)."""
    xp = backend.get_array_module(x)
    B, _, D = x.shape
    factors = 1 + scale * xp.random.standard_normal((B, 1, D))
    return x * factors.astype(x.dtype)


def _sliced(x, fraction, lengths=None):
    """Window slicing: each sequence of ``x`` ``(B, T, D)`` of length ``L``
    (``lengths``; None: all ``T``) becomes a random window of ``w = max(2,
    round((1 - fraction) L))`` of its steps (at most ``L``), resampled to
    ``L`` steps by linear interpolation; steps past ``L`` are kept as they
    are, a sequence of one step too."""
    xp = backend.get_array_module(x)
    B, T, _ = x.shape
    n = xp.full((B,), T, dtype=xp.int64) if lengths is None else \
        xp.minimum(xp.asarray(lengths).astype(xp.int64), T)
    w = xp.minimum(xp.maximum(2, xp.rint((1 - fraction) * n).astype(xp.int64)), n)
    span = xp.maximum(n - w, 0)
    start = xp.minimum(xp.floor(xp.random.random_sample(B) * (span + 1)), span)
    step = (xp.maximum(w, 1) - 1) / xp.maximum(n - 1, 1).astype(xp.float64)
    last = xp.maximum(n - 1, 0)[:, None]
    pos = xp.minimum(start[:, None] + xp.arange(T)[None, :] * step[:, None], last)
    lo = xp.floor(pos).astype(xp.int64)
    hi = xp.minimum(lo + 1, last)
    frac = (pos - lo).astype(x.dtype)[:, :, None]
    rows = xp.arange(B)[:, None]
    out = x[rows, lo] * (1 - frac) + x[rows, hi] * frac
    keep = (xp.arange(T)[None, :] >= n[:, None])[:, :, None]
    return xp.where(keep, x, out)


def reverse_within_lengths(x, lengths=None):
    """``x`` ``(B, T, ...)`` with each sequence's own steps in reverse order.

    A sequence of length ``L`` (``lengths``; None: all ``T``; clipped to
    ``0..T``) gets its steps ``L-1, ..., 0`` as its steps ``0, ..., L-1``;
    its padding (steps ``L`` to ``T-1``) stays where it is, so that a
    recurrence reading the result with the same ``lengths`` reads each
    sequence from its last real step to its first.  The reordering is its
    own inverse.  A float :class:`~chainer.Variable` stays one (a
    permutation, whose gradient is the inverse permutation); other input
    (integer ids, arrays) comes back as an array of its module (NumPy or
    CuPy).
    """
    xp = backend.get_array_module(x)
    B, T = x.shape[:2]
    t = xp.arange(T)[None, :]
    if lengths is None:
        n = xp.full((B, 1), T, dtype=xp.int64)
    else:
        n = xp.clip(xp.asarray(lengths).astype(xp.int64), 0, T)[:, None]
    source = xp.where(t < n, n - 1 - t, t)                          # (B, T)
    if isinstance(x, chainer.Variable) and x.dtype.kind == 'f':
        flat = (source + T * xp.arange(B)[:, None]).ravel()
        rest = x.shape[2:]
        out = F.permutate(F.reshape(x, (B * T,) + rest), flat.astype(xp.int32), axis=0)
        return F.reshape(out, x.shape)
    array = x.array if isinstance(x, chainer.Variable) else x
    return array[xp.arange(B)[:, None], source]


def _add_stack(chain, in_size, hidden, input, input_std, identity_scale):
    """Gives ``chain`` the layers of one direction: ``input_map``, then
    ``proj{k}`` and ``rec{k}`` layer by layer (the order of the draws)."""
    gauss = initializers.Normal(input_std)
    with chain.init_scope():
        if input == 'embed':
            chain.input_map = L.EmbedID(in_size, hidden[0], initialW=gauss)
        else:
            chain.input_map = L.Linear(in_size, hidden[0], nobias=True, initialW=gauss)
        for k, size in enumerate(hidden):
            if k > 0:
                setattr(chain, 'proj{}'.format(k),
                        L.Linear(hidden[k - 1], size, nobias=True, initialW=gauss))
            setattr(chain, 'rec{}'.format(k),
                    L.Linear(size, size, initialW=initializers.Identity(identity_scale),
                             initial_bias=0))


class IRNN(chainer.Chain):
    """A stack of identity-initialised recurrent layers over whole sequences.

    Layer ``k`` computes, for ``t = 1..T``,
    :math:`h^k_t = f(P_k x^k_t + R_k h^k_{t-1} + b_k)` with :math:`R_k = sI`,
    :math:`b_k = 0` and :math:`P_k \\sim N(0, \\sigma^2)` at initialisation;
    :math:`x^0_t` is the input and :math:`x^k_t = h^{k-1}_t`.  Every recurrent
    matrix is square (``hidden[k] x hidden[k]``); the input projections
    (``in -> hidden[0]``, ``hidden[k-1] -> hidden[k]``) are the Gaussian ones.

    Args:
        in_size (int): vocabulary size for ``input='embed'`` (256 pixel
            intensities for MNIST), or features per step for
            ``input='linear'``.
        hidden (int or tuple of int): units of each layer, e.g. ``(100, 50)``.
        input (str): ``'embed'`` — integer inputs ``(B, T)`` through
            :class:`~chainer.links.EmbedID` (a one-hot linear map, no bias);
            ``'linear'`` — float inputs ``(B, T, in_size)`` through
            :class:`~chainer.links.Linear` without bias.
        activation (str): ``'relu'`` (IRNN) or ``'tanh'``.
        identity_scale (float): ``s`` in :math:`R = sI`.
        input_std (float): standard deviation of the input projections.
        impl (str): ``'fused'`` (one graph node per layer; default) or
            ``'naive'`` (a graph node per step, the reference).
        dropout (float): dropout ratio on each layer's outputs (between
            layers, and on the last layer's states before the output layer).
        input_dropout (float): dropout ratio on the input features
            (``input='linear'``).
        input_noise (float): standard deviation of Gaussian noise added to
            the float inputs.
        augment_scale (float): magnitude scaling of the float inputs: each
            sequence's features are multiplied by factors drawn per
            (sequence, feature) from ``N(1, augment_scale ** 2)``; 0 = off,
            at most :data:`AUGMENT_SCALE_MAX`.
        augment_slice (float): window slicing, in ``[0, 1)``: each sequence
            of true length ``L`` is replaced by a window of ``w = max(2,
            round((1 - augment_slice) L))`` of its steps (``w <= L``) at a
            uniformly random start, resampled back to ``L`` steps by linear
            interpolation; padding is left as it is; 0 = off.
        pool (str): what :meth:`forward` returns for each sequence:
            ``'last'`` — the last layer's state after its last step (the
            blog's and the paper's model); ``'mean'`` or ``'max'`` — the
            mean or the element-wise maximum of that layer's states over the
            sequence's own steps (padding excluded).
        bidirectional (bool): also read each sequence backwards, from its
            own last step to its first (the padding of a variable-length
            batch is not read), with a second stack of the same sizes and
            initialisation (its own input map and recurrent weights,
            :attr:`reverse`); each direction is pooled by ``pool`` and the
            two are concatenated, so :attr:`out_size` is ``2 hidden[-1]``.
            False (default) is the one-way IRNN of the blog and the paper.

    Dropout, noise and the augmentations act in training only
    (``chainer.config.train``); prediction and evaluation run in test mode
    and see the plain network.  The random draws come from NumPy's (CuPy's)
    global generator.  The augmentations (scaling, then slicing, then noise
    and input dropout) need ``input='linear'``.

    Attributes:
        input_map: ``EmbedID`` or ``Linear`` of the first layer.
        proj{k}: ``Linear(hidden[k-1], hidden[k], nobias=True)`` for ``k >= 1``.
        rec{k}: ``Linear(hidden[k], hidden[k])``, the recurrent weight.
        reverse: with ``bidirectional``, a :class:`~chainer.Chain` holding
            the backward direction's ``input_map``, ``proj{k}`` and
            ``rec{k}`` (parameters ``reverse/rec0/W``, ...); the forward
            direction's names are those of a one-way IRNN, so its files load.
    """

    def __init__(self, in_size, hidden=100, input='embed', activation='relu',
                 identity_scale=1.0, input_std=0.001, impl='fused', dropout=0.0,
                 input_dropout=0.0, input_noise=0.0, pool='last', augment_scale=0.0,
                 augment_slice=0.0, bidirectional=False):
        super().__init__()
        if isinstance(hidden, int):
            hidden = (hidden,)
        hidden = tuple(int(h) for h in hidden)
        if not hidden or min(hidden) < 1:
            raise ValueError('hidden must be one or more positive sizes, got {}'.format(hidden))
        if input not in ('embed', 'linear'):
            raise ValueError("input must be 'embed' or 'linear', not {!r}".format(input))
        if activation not in ('relu', 'tanh'):
            raise ValueError("activation must be 'relu' or 'tanh', not {!r}".format(activation))
        _recurrence(impl)  # validates impl early
        if pool not in POOLS:
            raise ValueError('pool must be one of {}, not {!r}'.format(POOLS, pool))
        if not isinstance(bidirectional, bool):
            raise ParameterError('bidirectional', 'expected True or False, not {!r}'.format(
                bidirectional))
        self.pool = pool
        self.bidirectional = bidirectional
        self.in_size = in_size
        self.hidden = hidden
        self.input = input
        self.activation = activation
        self.impl = impl
        self.hidden_dropout = float(dropout)
        self.input_dropout = float(input_dropout)
        self.input_noise = float(input_noise)
        self.augment_scale = float(augment_scale)
        self.augment_slice = float(augment_slice)
        if not 0 <= self.augment_scale <= AUGMENT_SCALE_MAX:     # NaN too
            raise ParameterError('augment_scale', 'expected a number >= 0 and <= {}, not '
                                 '{!r}'.format(AUGMENT_SCALE_MAX, augment_scale))
        if not 0 <= self.augment_slice < 1:
            raise ParameterError('augment_slice', 'expected a number >= 0 and < 1, not '
                                 '{!r}'.format(augment_slice))
        if input == 'embed' and (self.augment_scale or self.augment_slice):
            raise ParameterError('augment_scale' if self.augment_scale else 'augment_slice',
                                 "augments float input; input='embed' takes integer ids")
        # the forward stack first, as in a one-way IRNN: the same draws
        # from the generator, the same parameter names
        _add_stack(self, in_size, hidden, input, input_std, identity_scale)
        if bidirectional:
            reverse = chainer.Chain()
            _add_stack(reverse, in_size, hidden, input, input_std, identity_scale)
            with self.init_scope():
                self.reverse = reverse

    @property
    def out_size(self):
        """Units of what :meth:`forward` returns per sequence (and step)."""
        return self.hidden[-1] * (2 if self.bidirectional else 1)

    def _ids(self, xs):
        """Embed input: the ids time-major, ``(T, B)``."""
        if xs.ndim != 2:
            raise ValueError('embed input must be (B, T) integers, got shape {}'.format(xs.shape))
        return xs.T if isinstance(xs, chainer.Variable) else \
            backend.get_array_module(xs).ascontiguousarray(xs.T)

    def _perturbed(self, xs, lengths=None):
        """The input after the training-time augmentations, noise and input
        dropout (float input; embed ids come back as they are): one draw
        that both directions of a bidirectional IRNN read."""
        if self.input == 'embed':
            self._ids(xs)       # checks the shape
            return xs
        if xs.ndim != 3 or xs.shape[2] != self.in_size:
            raise ValueError('linear input must be (B, T, {}) floats, got shape {}'.format(
                self.in_size, xs.shape))
        if chainer.config.train and (self.augment_scale or self.augment_slice):
            # the inputs take no gradient: plain array operations
            x = xs.array if isinstance(xs, chainer.Variable) else xs
            if self.augment_scale:
                x = _scaled(x, self.augment_scale)
            if self.augment_slice:
                x = _sliced(x, self.augment_slice, lengths)
            xs = x
        if chainer.config.train and self.input_noise:
            xp = backend.get_array_module(xs)
            xs = xs + (self.input_noise * xp.random.standard_normal(xs.shape)).astype(xs.dtype)
        if self.input_dropout:
            xs = F.dropout(xs, self.input_dropout)
        return xs

    def _project(self, stack, xs):
        # Time-major inside: (B, T, ...) -> (T, B, H), one call for all steps.
        if self.input == 'embed':
            # = stack.input_map(ids), with a vectorised CPU gradient
            return embed_id(self._ids(xs), stack.input_map.W)
        B, T, D = xs.shape
        x_tm = F.transpose(xs, (1, 0, 2))
        u = stack.input_map(F.reshape(x_tm, (T * B, D)))
        return F.reshape(u, (T, B, -1))

    def forward(self, xs, lengths=None, h0=None, return_sequences=False):
        """Runs every layer over the whole sequences.

        Args:
            xs: ``(B, T)`` int32 for ``input='embed'``, ``(B, T, in_size)``
                float for ``input='linear'``.
            lengths: ``None`` or int array ``(B,)`` of true lengths; steps past
                a sequence's length are padding and never change its state.
            h0: ``None`` or a list with one ``(B, hidden[k])`` initial state
                per layer (a one-way IRNN only).
            return_sequences (bool): return all states ``(B, T, H)`` of the
                last layer instead of each sequence's pooled state ``(B, H)``
                (its last state, or the mean or maximum over its steps: see
                ``pool``).

        With ``bidirectional``, ``H`` is ``2 hidden[-1]``: the forward
        direction's half first, then the backward one's (pooled, or at step
        ``t`` its state after reading the steps from the sequence's last down
        to ``t``; past a sequence's length both halves hold their final
        states).
        """
        recurrence = _recurrence(self.impl)
        if lengths is not None:
            lengths = backend.get_array_module(lengths).asarray(lengths)
            if lengths.ndim != 1 or lengths.shape[0] != xs.shape[0]:
                raise ValueError('lengths must have one entry per sequence')
        if h0 is not None and self.bidirectional:
            raise ValueError('h0 starts the forward direction only; a bidirectional IRNN '
                             'starts both directions from zeros')
        xs = self._perturbed(xs, lengths)
        hs = self._run(self, xs, lengths, h0, recurrence)
        if not self.bidirectional:
            if return_sequences:
                hs = F.transpose(hs, (1, 0, 2))
                return F.dropout(hs, self.hidden_dropout) if self.hidden_dropout else hs
            out = self._pooled(hs, lengths)
            return F.dropout(out, self.hidden_dropout) if self.hidden_dropout else out
        # the backward direction reads each sequence reversed within its
        # length; its states come in reading order, (T, B, H)
        back = self._run(self.reverse, reverse_within_lengths(xs, lengths), lengths, None,
                         recurrence)
        if return_sequences:
            # step t of the result holds, as its second half, the backward
            # state after reading steps L-1 down to t
            back = reverse_within_lengths(F.transpose(back, (1, 0, 2)), lengths)
            out = F.concat((F.transpose(hs, (1, 0, 2)), back), axis=2)
        else:
            # the last state of the backward reading is the one after the
            # sequence's first step; the mean and maximum ignore the order
            out = F.concat((self._pooled(hs, lengths), self._pooled(back, lengths)), axis=1)
        return F.dropout(out, self.hidden_dropout) if self.hidden_dropout else out

    def _run(self, stack, xs, lengths, h0, recurrence):
        """Every layer of ``stack`` (this link, or :attr:`reverse`) over the
        (perturbed) input ``xs``; the last layer's states ``(T, B, H)``."""
        # the fused node looks the embedding rows up inside its loop
        fuse_embed = self.input == 'embed' and self.impl == 'fused'
        if fuse_embed:
            ids = self._ids(xs)
            T, B = ids.shape
        else:
            u = self._project(stack, xs)
            T, B = u.shape[:2]
        for k in range(len(self.hidden)):
            rec = getattr(stack, 'rec{}'.format(k))
            h0_k = None if h0 is None else h0[k]
            if k == 0 and fuse_embed:
                hs = irnn_recurrence(stack.input_map.W, rec.W, rec.b, h0_k, lengths,
                                     self.activation, ids=ids)
                continue
            if k > 0:
                proj = getattr(stack, 'proj{}'.format(k))
                if self.hidden_dropout:
                    hs = F.dropout(hs, self.hidden_dropout)
                u = F.reshape(proj(F.reshape(hs, (T * B, -1))), (T, B, -1))
            hs = recurrence(u, rec.W, rec.b, h0_k, lengths, self.activation)
        return hs

    def _pooled(self, hs, lengths):
        # hs: (T, B, H).  Past its length a sequence's state stays its last
        # state, so the last row needs no mask.  The maximum does: its
        # gradient would flow once for each copy of a tied state.
        if self.pool == 'last':
            return hs[-1]
        if lengths is None:
            return F.max(hs, axis=0) if self.pool == 'max' else F.mean(hs, axis=0)
        xp = backend.get_array_module(hs)
        lengths = xp.asarray(lengths)
        if not bool((lengths > 0).all()):
            raise ValueError('pool={!r} needs every sequence to have a step; lengths holds '
                             '0'.format(self.pool))
        T = hs.shape[0]
        mask = xp.broadcast_to((xp.arange(T)[:, None] < lengths[None, :])[:, :, None], hs.shape)
        if self.pool == 'max':
            return F.max(F.where(mask, hs, xp.full(hs.shape, -xp.inf, hs.dtype)), axis=0)
        total = F.sum(F.where(mask, hs, xp.zeros(hs.shape, hs.dtype)), axis=0)
        return total / F.broadcast_to(lengths.astype(hs.dtype)[:, None], total.shape)
