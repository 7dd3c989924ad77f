"""``chainer-irnn predict``: class probabilities of a saved model for new data.

The output is a CSV file: ``sequence_id``, ``predicted_label``, one
``p_<class>`` column per class and, when the input has labels,
``true_label``.  Input is read and written chunk by chunk, so files larger
than memory work.

Input kinds are entries of :data:`INPUTS`: a flag (``--csv FILE``,
``--images FILE``) and a function ``(args, config) -> iterator of Batch``.
For images, ``sequence_id`` is the image's index in the file.
"""
import os
import sys

import numpy

from chainer_irnn.cli import common
from chainer_irnn.errors import UserError


class Batch(object):
    """Inputs of a chunk: ``xs`` list of arrays, their ``ids``, ``labels``
    (texts, or None when the input has none)."""

    def __init__(self, ids, xs, labels=None):
        self.ids, self.xs, self.labels = ids, xs, labels


def csv_batches(args, config):
    """Batches of a CSV file read as the model's training file was read."""
    from chainer_irnn.datasets import tabular
    spec = config.get('tabular')
    if spec is None:
        raise UserError('{}: this model was trained on {} data, not CSV; --csv needs a '
                        "model trained with 'chainer-irnn train --csv'".format(
                            args.model, config.get('data', 'other')))
    overrides = {'label_col': args.label_col, 'id_col': args.id_col}
    table = tabular.Table(args.csv, tabular.options_from_spec(spec, **overrides),
                          labels='optional', expect_features=config['in_size'])
    prep = tabular.Preprocessor.from_json(spec)
    has_labels = table.roles.label is not None
    print('chainer-irnn predict: {}: {} layout, labels {}'.format(
        args.csv, table.roles.layout,
        'in column {}'.format(table.roles.name(table.roles.label)) if has_labels else 'absent'),
        file=sys.stderr)
    for seqs in table.iter(chunksize=args.chunksize):
        yield Batch([s.id for s in seqs], [prep.transform(s.x) for s in seqs],
                    [s.label for s in seqs] if has_labels else None)
    print('chainer-irnn predict: ' + table.summary(), file=sys.stderr)


def load_images(path):
    """``(N, 28, 28)`` uint8 images from an IDX file (raw or .gz), a ``.npy``
    array of ``(N, 28, 28)`` or ``(N, 784)`` intensities 0..255, or one
    28x28 grayscale PNG."""
    from chainer_irnn.datasets import idx
    from chainer_irnn.errors import DataError
    if not os.path.isfile(path):
        raise UserError('{}: no such file'.format(path))
    lower = path.lower()
    if lower.endswith('.png'):
        try:
            import matplotlib.image
            img = matplotlib.image.imread(path)
        except ImportError:
            raise UserError('{}: reading PNG needs matplotlib (pip install '
                            'chainer-irnn[plot])'.format(path))
        except Exception as e:
            raise DataError('not a readable PNG image ({})'.format(e), path=path)
        if img.ndim == 3:                      # RGB(A) -> gray
            img = img[..., :3].mean(axis=2)
        if img.shape != (28, 28):
            raise DataError('image is {}x{}; MNIST models read 28x28 grayscale'.format(
                *img.shape[:2]), path=path)
        scale = 255.0 if img.dtype.kind == 'f' else 1.0
        return numpy.rint(img * scale).clip(0, 255).astype(numpy.uint8)[None]
    if lower.endswith('.npy'):
        try:
            arr = numpy.load(path, allow_pickle=False)
        except Exception as e:
            raise DataError('not a readable .npy array ({})'.format(e), path=path)
        if arr.ndim == 2 and arr.shape[1] == 784:
            arr = arr.reshape(-1, 28, 28)
        if arr.ndim != 3 or arr.shape[1:] != (28, 28):
            raise DataError('array of shape {}; expected (N, 28, 28) or (N, 784)'.format(
                arr.shape), path=path)
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise DataError('intensities must lie in 0..255 (found {}..{})'.format(
                arr.min(), arr.max()), path=path)
        return arr.astype(numpy.uint8)
    return idx.read_idx(path, dtype=numpy.uint8, shape=(None, 28, 28))


def images_batches(args, config):
    """Batches of images for a model trained on MNIST."""
    from chainer_irnn.datasets import idx, mnist
    if config.get('data') != 'mnist':
        raise UserError('{}: this model was trained on {} data; --images needs a model '
                        'trained on MNIST'.format(args.model, config.get('data', 'other')))
    images = load_images(args.images)
    labels = None
    if args.labels:
        labels = idx.read_idx(args.labels, dtype=numpy.uint8, shape=(None,))
        if len(labels) != len(images):
            raise UserError('{} holds {} labels for the {} images of {}'.format(
                args.labels, len(labels), len(images), args.images))
        labels = [str(int(t)) for t in labels]
    permutation = config.get('permutation')
    xs = mnist.view_images(images, config['view'],
                           None if permutation is None else numpy.asarray(permutation))
    step = args.chunksize
    for i in range(0, len(xs), step):
        yield Batch(list(range(i, min(i + step, len(xs)))), list(xs[i:i + step]),
                    None if labels is None else labels[i:i + step])


# flag -> reader of the input kind
INPUTS = {'csv': csv_batches, 'images': images_batches}


def add_parser(sub):
    from chainer_irnn.cli import csv_args
    p = sub.add_parser('predict', help='predict classes of new sequences with a saved model',
                       description='Write the predicted class and the class probabilities '
                                   'of each sequence of a file to a CSV file.')
    p.add_argument('--model', '-m', required=True,
                   help='a directory written by train, or its model.npz')
    g = p.add_argument_group('input (one of)')
    inputs = g.add_mutually_exclusive_group(required=True)
    inputs.add_argument('--csv', metavar='FILE',
                        help='a CSV file with the columns the model was trained on (the label '
                             'column may be absent)')
    inputs.add_argument('--images', metavar='FILE',
                        help='images for an MNIST model: an IDX file (raw or .gz), a .npy '
                             'array (N, 28, 28) of 0..255, or one 28x28 PNG')
    g.add_argument('--labels', metavar='FILE',
                   help='with --images: an IDX label file, to report accuracy')
    csv_args.add_read_arguments(g, training=False)
    p.add_argument('--out', '-o', required=True, metavar='FILE',
                   help='predictions CSV to write')
    p.add_argument('--chunksize', type=common.positive_int, default=50000, metavar='ROWS',
                   help='rows read at a time (default 50000)')
    p.add_argument('--batchsize', '-b', type=common.positive_int, default=256)
    common.add_device_arg(p)
    return p


def predict_proba(model, xs, device, batchsize):
    """Softmax class probabilities ``(len(xs), n_class)`` (float64, on the host)."""
    import chainer
    import chainer.functions as F

    from chainer_irnn.training.converter import sequence_converter
    out = []
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(0, len(xs), batchsize):
            batch = [(x, 0) for x in xs[i:i + batchsize]]
            arrays, lengths, _ = sequence_converter(batch, device)
            scores = model.predictor(arrays, lengths)
            out.append(chainer.backends.cuda.to_cpu(F.softmax(scores).array))
    return numpy.concatenate(out).astype(numpy.float64) if out else numpy.zeros((0, 0))


def class_names(config):
    classes = config.get('tabular', {}).get('classes')
    return classes if classes is not None else [str(i) for i in range(config['n_class'])]


def run(args):
    from chainer_irnn import compat
    compat.apply()
    import pandas as pd

    from chainer_irnn import models

    kind = next(k for k in INPUTS if getattr(args, k, None) is not None)
    device = common.parse_device(args.device)
    device.use()
    model, config = models.load_model(args.model)
    model.to_device(device)
    classes = class_names(config)
    tmp = args.out + '.tmp'
    n = correct = labelled = 0
    try:
        with open(tmp, 'w', newline='') as f:
            for batch in INPUTS[kind](args, config):
                prob = predict_proba(model, batch.xs, device, args.batchsize)
                pred = prob.argmax(axis=1)
                frame = pd.DataFrame({'sequence_id': batch.ids,
                                      'predicted_label': [classes[i] for i in pred]})
                for j, c in enumerate(classes):
                    frame['p_{}'.format(c)] = prob[:, j]
                if batch.labels is not None:
                    frame['true_label'] = batch.labels
                    correct += int(sum(classes[p] == t for p, t in zip(pred, batch.labels)))
                    labelled += len(batch.labels)
                frame.to_csv(f, header=(n == 0), index=False, float_format='%.6g')
                n += len(frame)
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    text = 'chainer-irnn predict: {} prediction{} written to {}'.format(
        n, '' if n == 1 else 's', args.out)
    if labelled:
        text += '; accuracy {:.4f} on the {} labelled'.format(correct / labelled, labelled)
    print(text, file=sys.stderr)
    return 0
