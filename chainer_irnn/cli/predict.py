"""``chainer-irnn predict``: class probabilities of a saved model for new data.

The output is a CSV file: ``sequence_id``, ``predicted_label``, one
``p_<class>`` column per class and, when the input has labels,
``true_label`` (:meth:`chainer_irnn.predictor.Predictor.predict_file`).
Input is read and written chunk by chunk, so files larger than memory work.
"""
import sys

from chainer_irnn.cli import common


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


def run(args):
    from chainer_irnn.predictor import load_model

    predictor = load_model(args.model, device=args.device)
    if args.csv is not None:
        result = predictor.predict_file(args.csv, args.out, kind='csv',
                                        label_col=args.label_col, id_col=args.id_col,
                                        chunksize=args.chunksize, batchsize=args.batchsize)
    else:
        result = predictor.predict_file(args.images, args.out, kind='images',
                                        labels=args.labels, chunksize=args.chunksize,
                                        batchsize=args.batchsize)
    n = result['n']
    text = 'chainer-irnn predict: {} prediction{} written to {}'.format(
        n, '' if n == 1 else 's', args.out)
    if result['labelled']:
        text += '; accuracy {:.4f} on the {} labelled'.format(result['accuracy'],
                                                              result['labelled'])
    print(text, file=sys.stderr)
    return 0
