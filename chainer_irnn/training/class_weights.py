"""Class weights for imbalanced training sets (``class_weight='balanced'``).

With ``'balanced'`` the training loss weights an example of class ``c`` by
``n / (k * n_c)`` -- ``n`` training sequences, ``k`` classes, ``n_c`` of
them of class ``c``, counted on the training split only (never the
validation or test data), as scikit-learn's ``class_weight='balanced'``
does -- so that every class counts as much as the others in the loss.

The loss is Chainer's ``F.softmax_cross_entropy(class_weight=w)``: the sum
of ``w[t_i] * -log p_i(t_i)`` divided by the number of examples, not by the
sum of their weights.  Dividing by the count is what makes it work here:
the batch means then add up to the mean over a whole set (the evaluator
weights each batch by its examples), and since the weights average to 1
over the training split (``sum_c n_c * n / (k n_c) / n = 1``), the
weighted loss is on the scale of the plain one: chance level is still
``log k`` (the loss guard measures relapses from there), and the learning
rate means what it meant.  Dividing by the weight sum instead would give
each batch a different denominator and batch means that do not add up.

Only the loss weighs classes: the accuracy reported is the plain fraction
correct.  The validation loss is weighted as the training loss is (see
:func:`~chainer_irnn.training.fit`), and the test data are scored with the
plain loss, as ``chainer-irnn evaluate`` scores a model.
"""
import logging

import numpy

import chainer
import chainer.functions as F

from chainer_irnn.errors import ParameterError

logger = logging.getLogger(__name__)

#: the values of the ``class_weight`` setting
CLASS_WEIGHTS = ('none', 'balanced')


def labels_of(dataset):
    """The labels of a dataset of ``(x, label)`` as an int64 array (a
    ``TupleDataset``'s label array read at once; others example by example)."""
    parts = getattr(dataset, '_datasets', None)      # chainer's TupleDataset
    if parts is not None and len(parts) == 2 and isinstance(parts[1], numpy.ndarray):
        return numpy.asarray(parts[1], dtype=numpy.int64).ravel()
    return numpy.array([int(dataset[i][1]) for i in range(len(dataset))], dtype=numpy.int64)


def class_counts(dataset, n_class):
    """Sequences of each class ``0..n_class-1`` in ``dataset``."""
    labels = labels_of(dataset)
    if len(labels) and (labels.min() < 0 or labels.max() >= n_class):
        bad = labels[(labels < 0) | (labels >= n_class)][0]
        raise ParameterError('class_weight', 'label {} is not a class 0..{} of the data '
                                             'description'.format(bad, n_class - 1))
    return numpy.bincount(labels, minlength=n_class)


def balanced(counts):
    """``n / (k * n_c)`` for the class counts ``counts`` (float32, one per
    class): scikit-learn's ``compute_class_weight('balanced', ...)``.  A
    class without a training sequence cannot be weighted: a
    :class:`ParameterError` naming it."""
    counts = numpy.asarray(counts, dtype=numpy.int64)
    empty = numpy.flatnonzero(counts == 0)
    if len(empty):
        raise ParameterError('class_weight', "'balanced' weighs each class by its training "
                             'sequences, and class {} of {} has none in the training '
                             'data'.format(int(empty[0]), len(counts)))
    n, k = counts.sum(), len(counts)
    return (n / (k * counts.astype(numpy.float64))).astype(numpy.float32)


class WeightedLoss(object):
    """``F.softmax_cross_entropy`` with ``class_weight``: an
    ``L.Classifier`` ``lossfun``.  The weights (a NumPy array) go to the
    device of the scores on first use there."""

    def __init__(self, weights):
        self.weights = numpy.asarray(weights, dtype=numpy.float32)
        self._on = {}

    def __call__(self, y, t):
        device = chainer.backend.get_device_from_array(
            y.array if isinstance(y, chainer.Variable) else y)
        key = str(device)
        if key not in self._on:
            self._on[key] = device.send(self.weights)
        w = self._on[key]
        if w.dtype != y.dtype:       # float16 scores, say: Chainer wants one dtype
            w = w.astype(y.dtype)
        return F.softmax_cross_entropy(y, t, class_weight=w)


def weights_for(setting, counts):
    """The class weights ``setting`` (``'none'`` or ``'balanced'``) asks for,
    from the training split's class ``counts``; None for ``'none'``."""
    if setting == 'none':
        return None
    return balanced(counts)


def weigh(model, weights):
    """Sets ``model`` (an ``L.Classifier``) to the weighted loss, or back to
    Chainer's plain ``softmax_cross_entropy`` for ``weights`` None."""
    model.lossfun = F.softmax_cross_entropy if weights is None else WeightedLoss(weights)
    return model


def describe(weights, counts):
    """The log's words for the weights."""
    shown = ', '.join('{:.3g}'.format(w) for w in weights[:10])
    return 'class weights n / (k n_c) of the {} training sequences, in the training and ' \
           'validation losses: {}{}'.format(int(numpy.sum(counts)), shown,
                                            ', ...' if len(weights) > 10 else '')


__all__ = ['CLASS_WEIGHTS', 'balanced', 'class_counts', 'labels_of', 'WeightedLoss', 'weigh',
           'weights_for']
