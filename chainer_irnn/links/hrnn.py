"""A hierarchical RNN over images: an LSTM along each row, then one over rows.

The model of Keras' ``mnist_hierarchical_rnn.py`` example (which cites Li et
al. 2015, "A Hierarchical Neural Autoencoder for Paragraphs and Documents",
and Du et al. 2015, hierarchical RNNs for skeleton-based action recognition):
an image of ``R`` rows of ``C`` pixels is ``R`` sequences of ``C``
one-feature steps.  One LSTM, shared by all rows, encodes each row into its
last state; a second LSTM runs over the ``R`` row encodings
and its last state is the image's encoding.

Initialisation follows Keras' ``LSTM`` defaults: Glorot-uniform input weights,
orthogonal recurrent weights, zero biases except the forget gate's, which
starts at 1 (``unit_forget_bias``).  The gates use the logistic sigmoid
(Chainer's :func:`~chainer.functions.lstm`); Keras 2.0-2.2, where the example
was published, defaulted to ``hard_sigmoid`` for the gates, later Keras to
``sigmoid``.

Implementation: a Python loop over steps of :class:`~chainer.links.StatelessLSTM`
(one ``upward``/``lateral`` pair per LSTM).  On this project's shared 2-core
CPU a forward and backward pass over 32 MNIST images took 0.29-0.34 s this
way, against 0.42-0.45 s with :class:`~chainer.links.NStepLSTM`, whose
non-cuDNN path re-stacks the eight gate matrices at every step and handles
the 896 row sequences as a list; see ``docs/reproductions.md``.
"""
import chainer
import chainer.functions as F
import chainer.links as L
from chainer import initializers


def keras_lstm(in_size, out_size):
    """``StatelessLSTM`` initialised as Keras' ``LSTM`` layer by default.

    Chainer's ``LSTMBase`` applies its initialisers to each ``(out_size, .)``
    block of rows separately; Keras initialises the whole kernels: Glorot
    uniform over the ``(in_size, 4 out_size)`` input kernel and an orthogonal
    ``(out_size, 4 out_size)`` recurrent kernel (gain 1).  The gate order
    differs (Chainer interleaves the gates), which permutes rows and leaves
    both distributions unchanged.
    """
    lstm = L.StatelessLSTM(in_size, out_size, bias_init=0, forget_bias_init=1)
    initializers.GlorotUniform()(lstm.upward.W.array)
    initializers.Orthogonal(scale=1.0)(lstm.lateral.W.array)
    return lstm


def run_lstm(lstm, xs):
    """Runs ``lstm`` over time-major steps ``xs`` (a list of ``(N, D)``).

    Returns the last hidden state ``(N, H)``.
    """
    c = h = None
    for x in xs:
        c, h = lstm(c, h, x)
    return h


class HierarchicalRNN(chainer.Chain):
    """Row LSTM (shared by all rows) then column LSTM over the row encodings.

    Args:
        row_hidden (int): units of the LSTM run along each row (128 in Keras'
            example).
        col_hidden (int): units of the LSTM run over the row encodings (128).

    Attributes:
        row: :class:`~chainer.links.StatelessLSTM` ``(1 -> row_hidden)``.
        col: :class:`~chainer.links.StatelessLSTM` ``(row_hidden -> col_hidden)``.
    """

    def __init__(self, row_hidden=128, col_hidden=128):
        super().__init__()
        self.row_hidden = int(row_hidden)
        self.col_hidden = int(col_hidden)
        with self.init_scope():
            self.row = keras_lstm(1, self.row_hidden)
            self.col = keras_lstm(self.row_hidden, self.col_hidden)

    @property
    def out_size(self):
        return self.col_hidden

    def forward(self, xs, lengths=None):
        """Encodes images ``xs`` of shape ``(B, R, C)`` (float) into ``(B, col_hidden)``.

        ``lengths`` must be ``None``: every image has all its rows.
        """
        if lengths is not None:
            raise ValueError('HierarchicalRNN reads whole images; lengths must be None '
                             '(got variable-length sequences)')
        if xs.ndim != 3:
            raise ValueError('HierarchicalRNN takes images (B, rows, columns) of floats, '
                             'got shape {}'.format(xs.shape))
        B, R, C = xs.shape
        # All B*R rows are one batch of sequences of C one-pixel steps,
        # time-major: (C, B*R, 1).
        pixels = F.reshape(F.transpose(F.reshape(xs, (B * R, C)), (1, 0)), (C, B * R, 1))
        rows = run_lstm(self.row, F.separate(pixels, axis=0))
        # The R row encodings of each image, time-major: (R, B, row_hidden).
        rows = F.transpose(F.reshape(rows, (B, R, self.row_hidden)), (1, 0, 2))
        return run_lstm(self.col, F.separate(rows, axis=0))
