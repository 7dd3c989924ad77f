"""A recurrent encoder followed by a linear read-out of class scores."""
import chainer
import chainer.links as L


class RecurrentClassifier(chainer.Chain):
    """``encoder`` (any link returning ``(B, H)``) then ``Linear(H, n_class)``.

    Call it as ``model(xs)`` or ``model(xs, lengths)``; it returns ``(B,
    n_class)`` unnormalised scores.  Wrap it in
    :class:`chainer.links.Classifier` for the loss and accuracy reports.
    """

    def __init__(self, encoder, n_class):
        super().__init__()
        self.n_class = n_class
        with self.init_scope():
            self.encoder = encoder
            self.head = L.Linear(encoder.out_size, n_class)

    def forward(self, xs, lengths=None):
        return self.head(self.encoder(xs, lengths))
