"""``chainer-irnn evaluate``: how good a saved model is on labelled data.

An MNIST model is scored on the MNIST test set (``--data``); a model trained
on CSV data on a labelled CSV file (``--csv``), with per-class precision and
recall and a confusion matrix, printed and, with ``--confusion``, drawn.
"""
import json
import sys

from chainer_irnn.cli import common
from chainer_irnn.errors import UserError


def add_parser(sub):
    from chainer_irnn.cli import csv_args
    p = sub.add_parser('evaluate', help='score a saved model on labelled data',
                       description='Score a saved model on labelled data: a model trained on '
                                   'MNIST on the MNIST test set; a model trained on CSV data '
                                   'on a labelled CSV file (--csv), with accuracy, per-class '
                                   'precision and recall and a confusion matrix.')
    p.add_argument('--model', '-m', required=True,
                   help='a directory written by train, or its model.npz')
    g = p.add_argument_group('MNIST models')
    g.add_argument('--data', default='auto', help='MNIST source (as for train)')
    g.add_argument('--n-test', type=int, help='use the first N test images')
    g = p.add_argument_group('CSV models')
    g.add_argument('--csv', metavar='FILE',
                   help='a labelled CSV file with the columns the model was trained on')
    csv_args.add_read_arguments(g, training=False)
    g.add_argument('--confusion', metavar='PNG',
                   help='also draw the confusion matrix into this PNG file (needs matplotlib)')
    p.add_argument('--batchsize', '-b', type=common.positive_int, default=256)
    p.add_argument('--json', metavar='PATH', help='also write the result as JSON')
    common.add_device_arg(p)
    return p


def run(args):
    from chainer_irnn.predictor import load_model

    predictor = load_model(args.model, device=args.device)
    d = predictor.description
    if args.csv is not None:
        return _run_csv(args, predictor)
    if d.get('data') != 'mnist':
        raise UserError('{}: this model was trained on {} data; score it on a labelled '
                        'CSV file with chainer-irnn evaluate --model {} --csv FILE'.format(
                            args.model, d.get('data', 'other'), args.model))
    from chainer_irnn.datasets import mnist
    data = mnist.get_mnist(view=d['view'], permute=d.get('permute'), source=args.data,
                           n_test=args.n_test, n_train=1)
    result = predictor.evaluate(data.test, args.batchsize)
    result['source'] = data.source
    print('test loss {loss:.4f}  accuracy {accuracy:.4f} ({correct}/{n} images, '
          '{source})'.format(**result))
    _write_json(args.json, result)
    sys.stdout.flush()
    return 0


def _run_csv(args, predictor):
    from chainer_irnn.evaluation import format_summary, plot_confusion
    if args.confusion:
        _check_picture(args.confusion)
    summary = predictor.evaluate_file(args.csv, kind='csv', label_col=args.label_col,
                                      id_col=args.id_col, batchsize=args.batchsize)
    summary['source'] = args.csv
    if summary['n'] == 0:
        raise UserError('{}: no labelled sequences to score'.format(args.csv))
    print('{}: {} labelled sequences'.format(args.csv, summary['n']))
    if summary['loss'] is not None:
        print('loss {:.4f}'.format(summary['loss']))
    for line in format_summary(summary):
        print(line)
    if args.confusion:
        plot_confusion(summary, args.confusion,
                       title='{} on {}'.format(args.model, args.csv))
        print('confusion matrix drawn to {}'.format(args.confusion))
    _write_json(args.json, summary)
    sys.stdout.flush()
    return 0


def _check_picture(path):
    import os
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder):
        raise UserError('--confusion {}: {}'.format(
            path, 'is a folder; give a file name' if os.path.isdir(path)
            else 'the folder {} does not exist'.format(folder)))
    try:
        import matplotlib  # NOQA
    except ImportError:
        raise UserError('--confusion needs matplotlib: install the plot extra '
                        "(pip install 'chainer-irnn[plot]')")


def _write_json(path, result):
    if path:
        with open(path, 'w') as f:
            json.dump(result, f, indent=1)
