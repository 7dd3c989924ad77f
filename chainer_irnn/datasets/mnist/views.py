"""MNIST images as sequences: the pixel, float and row views, permutations."""
import dataclasses

import numpy

from chainer_irnn.errors import UserError
from chainer_irnn.datasets.mnist.download import TIMEOUT
from chainer_irnn.datasets.mnist.files import N_PIXELS
from chainer_irnn.datasets.mnist.sources import load_mnist


VIEWS = ('pixels', 'floats', 'rows')


@dataclasses.dataclass
class MNISTData:
    """The result of :func:`get_mnist`.

    Attributes:
        train (chainer.datasets.TupleDataset): ``(x, label)`` pairs, ``label``
            an ``int32`` scalar 0..9, ``x`` as set by the view (see
            :func:`make_views`).
        test (chainer.datasets.TupleDataset): Same, for the test set.
        source (str): Where the files came from (:attr:`MNISTArrays.source`).
        view (str): ``'pixels'``, ``'floats'`` or ``'rows'``.
        permutation (numpy.ndarray or None): ``(784,)`` ``int64``: step ``t``
            of every sequence is pixel ``permutation[t]`` of the row-major
            image; ``None`` when the pixel order is unchanged.
    """
    train: object
    test: object
    source: str
    view: str
    permutation: object = None


def get_mnist(view='pixels', permute=None, source='auto', n_train=None, n_test=None,
              cache_dir=None, mirrors=None, progress=True, checksums=None, timeout=TIMEOUT):
    """MNIST as sequences of pixels for recurrent networks.

    Loads the arrays with :func:`load_mnist` (``source``, ``cache_dir``,
    ``mirrors``, ``progress``, ``checksums``, ``timeout`` are passed on) and
    builds the view with :func:`make_views`.

    Args:
        view (str): ``'pixels'``, ``'floats'`` or ``'rows'`` (see
            :func:`make_views`).
        permute (int): Seed of a fixed pixel permutation (permuted MNIST), or
            ``None``.
        source (str): ``'auto'``, ``'embedded'``, ``'full'`` or a directory.
        n_train (int): Keep only the first ``n_train`` training examples.
        n_test (int): Keep only the first ``n_test`` test examples.

    Returns:
        MNISTData: ``.train``, ``.test`` (``TupleDataset`` of ``(x, label)``),
        ``.source``, ``.view``, ``.permutation``.

    Example::

        data = get_mnist('floats', permute=0, source='embedded', n_train=1000)
        x, t = data.train[0]      # x: (784, 1) float32, t: int32
    """
    _check_view(view, permute)
    arrays = load_mnist(source, cache_dir=cache_dir, mirrors=mirrors, progress=progress,
                        checksums=checksums, timeout=timeout)
    return make_views(arrays, view, permute=permute, n_train=n_train, n_test=n_test)


def make_views(arrays, view='pixels', permute=None, n_train=None, n_test=None):
    """Builds the train and test datasets of one view from :class:`MNISTArrays`.

    Views (``x`` of one example; ``label`` is an ``int32`` scalar 0..9):

    * ``'pixels'``: ``(784,)`` ``int32`` intensities 0..255, one pixel per
      step in row-major order (input to an ``EmbedID(256, ...)``).
    * ``'floats'``: ``(784, 1)`` ``float32`` in [0, 1], one feature per step
      (input to a ``Linear(1, ...)``).
    * ``'rows'``: ``(28, 28)`` ``float32`` in [0, 1], 28 steps of one image
      row each.

    ``permute=SEED`` reorders the 784 steps of ``'pixels'`` and ``'floats'``
    by ``numpy.random.RandomState(SEED).permutation(784)``, the same for the
    training and the test set: step ``t`` is pixel ``permutation[t]``.  It is
    an error for ``'rows'``.

    ``n_train``/``n_test`` keep the first N examples of each set.
    """
    import chainer
    _check_view(view, permute)
    permutation = None if permute is None else \
        numpy.random.RandomState(permute).permutation(N_PIXELS)
    parts = []
    for name, images, labels, limit in (
            ('training', arrays.train_images, arrays.train_labels, n_train),
            ('test', arrays.test_images, arrays.test_labels, n_test)):
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, (int, numpy.integer)) \
                    or limit < 1:
                raise UserError('the number of {} examples must be a positive integer, '
                                'not {!r}'.format(name, limit))
            if limit > len(images):
                raise UserError('{} {} examples asked for, but {} has only {}'.format(
                    limit, name, arrays.source, len(images)))
            images, labels = images[:limit], labels[:limit]
        parts.append(chainer.datasets.TupleDataset(
            view_images(images, view, permutation), labels.astype(numpy.int32)))
    return MNISTData(train=parts[0], test=parts[1], source=arrays.source, view=view,
                     permutation=permutation)


def _check_view(view, permute):
    if view not in VIEWS:
        raise UserError('unknown MNIST view {!r} (use {})'.format(view, ', '.join(VIEWS)))
    if permute is not None:
        if view == 'rows':
            raise UserError("a pixel permutation needs the 'pixels' or 'floats' view, "
                            "not 'rows' (28 steps of whole rows)")
        if isinstance(permute, bool) or not isinstance(permute, (int, numpy.integer)) \
                or not 0 <= permute < 2 ** 32:
            raise UserError('the permutation seed must be an integer 0..2**32-1, not '
                            '{!r}'.format(permute))


def view_images(images, view, permutation=None):
    """``(N, 28, 28)`` uint8 images as the sequences of ``view`` (see
    :func:`get_mnist`), pixel order permuted by ``permutation`` if given."""
    n = len(images)
    if view == 'rows':
        return images.astype(numpy.float32) / numpy.float32(255)
    flat = images.reshape(n, N_PIXELS)
    if permutation is not None:
        flat = flat[:, permutation]
    if view == 'pixels':
        return flat.astype(numpy.int32)
    return (flat.astype(numpy.float32) / numpy.float32(255)).reshape(n, N_PIXELS, 1)
