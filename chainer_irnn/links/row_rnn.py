"""A tanh RNN reading an image row by row (Keras ``SimpleRNN`` on MNIST rows).

The model of the row-wise MNIST example in R. Atienza, *Advanced Deep
Learning with Keras* (chapter 1, ``rnn-mnist-1.5.1.py``):
``SimpleRNN(256, dropout=0.2)`` over 28 steps of 28 pixels, then a
``Dense(10)`` softmax read-out.

Keras' ``SimpleRNN`` computes :math:`h_t = \\tanh(W x_t + U h_{t-1} + b)` —
the recurrence of :class:`~chainer_irnn.links.IRNN` with ``activation='tanh'``
and ``input='linear'`` (an input map without bias, a recurrent map with
bias).  So :class:`RowRNN` *is* an ``IRNN`` (same parameters, same fused or
naive recurrence, same variable-length handling); only the initialisation
and the input dropout differ:

* ``W`` (``input_map.W``): Glorot-uniform (Keras' ``kernel_initializer``);
* ``U`` (``rec0.W``): orthogonal (``recurrent_initializer``);
* ``b`` (``rec0.b``): zero.

Keras' ``dropout=0.2`` drops input features of the linear map ``W x_t``, with
one mask per sequence reused at every step; :meth:`RowRNN.forward` does the
same while ``chainer.config.train`` is true.
"""
import chainer
from chainer import initializers

from chainer_irnn.links.irnn import IRNN


class RowRNN(IRNN):
    """A Keras-initialised tanh ``SimpleRNN`` (a one-layer :class:`IRNN`).

    Args:
        in_size (int): features per step (28 pixels of a row).
        hidden (int): units (256 in the published example).
        dropout (float): fraction of input features dropped in training, one
            mask per sequence shared across steps (Keras' ``dropout``).
        impl (str): recurrence implementation, as for :class:`IRNN`.
    """

    def __init__(self, in_size=28, hidden=256, dropout=0.2, impl='fused'):
        if not isinstance(hidden, int):
            hidden = tuple(hidden)
            if len(hidden) != 1:
                raise ValueError('RowRNN has one layer; hidden must be one size, '
                                 'got {}'.format(hidden))
            hidden = hidden[0]
        if not 0 <= dropout < 1:
            raise ValueError('dropout must be in [0, 1), got {}'.format(dropout))
        super().__init__(in_size, (hidden,), input='linear', activation='tanh', impl=impl)
        self.dropout = float(dropout)
        # Replace IRNN's Gaussian / identity start by Keras' SimpleRNN defaults
        # (Keras' orthogonal has gain 1; Chainer's Orthogonal defaults to 1.1).
        initializers.GlorotUniform()(self.input_map.W.array)
        initializers.Orthogonal(scale=1.0)(self.rec0.W.array)
        self.rec0.b.array[...] = 0

    def forward(self, xs, lengths=None, h0=None, return_sequences=False):
        """As :meth:`IRNN.forward` on ``(B, T, in_size)`` floats, with input dropout."""
        if self.dropout and chainer.config.train:
            xp = self.xp
            B, _, D = xs.shape
            keep = xp.random.rand(B, 1, D) >= self.dropout
            mask = xp.broadcast_to((keep / (1 - self.dropout)).astype(xs.dtype), xs.shape)
            xs = xs * mask
        return super().forward(xs, lengths=lengths, h0=h0, return_sequences=return_sequences)
