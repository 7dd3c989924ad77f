"""Several classifiers read as one: the mean of their class probabilities."""
import chainer
import chainer.functions as F


class Ensemble(chainer.ChainList):
    """Members (e.g. :class:`RecurrentClassifier`) trained apart, predicting
    together.

    ``model(xs, lengths)`` returns the logarithm of the members' mean class
    probabilities, so that a softmax of it gives that mean exactly and its
    argmax is the ensemble's class; wrapped in
    :class:`chainer.links.Classifier`, the loss it reports is the
    ensemble's cross-entropy.  Members are children ``0``, ``1``, ...
    (their arrays in ``model.npz`` are ``0/encoder/...``, ``1/encoder/...``).
    """

    def __init__(self, members):
        members = list(members)
        if not members:
            raise ValueError('an ensemble needs at least one member')
        super().__init__(*members)
        self.n_class = members[0].n_class

    def forward(self, xs, lengths=None):
        probs = [F.softmax(member(xs, lengths)) for member in self]
        mean = sum(probs[1:], probs[0]) / len(probs)
        # log of a probability that may underflow to 0: keep it finite
        xp = chainer.backend.get_array_module(mean)
        return F.log(F.maximum(mean, xp.full(mean.shape, 1e-30, mean.dtype)))
