"""``chainer-irnn evaluate``: loss and accuracy of a saved model on a test set."""
import json
import sys

from chainer_irnn.cli import common
from chainer_irnn.errors import UserError


def add_parser(sub):
    p = sub.add_parser('evaluate', help='evaluate a saved model on the MNIST test set')
    p.add_argument('--model', '-m', required=True,
                   help='a directory written by train, or its model.npz')
    p.add_argument('--data', default='auto', help='MNIST source (as for train)')
    p.add_argument('--n-test', type=int, help='use the first N test images')
    p.add_argument('--batchsize', '-b', type=common.positive_int, default=256)
    p.add_argument('--json', metavar='PATH', help='also write the result as JSON')
    common.add_device_arg(p)
    return p


def run(args):
    from chainer_irnn.datasets import mnist
    from chainer_irnn.predictor import load_model

    predictor = load_model(args.model, device=args.device)
    d = predictor.description
    if d.get('data') != 'mnist':
        raise UserError('{}: this model was trained on {} data, and evaluate reads the MNIST '
                        'test set; for a labelled CSV file use chainer-irnn predict --model '
                        'M --csv FILE --out P.csv, which reports the accuracy'.format(
                            args.model, d.get('data', 'other')))
    data = mnist.get_mnist(view=d['view'], permute=d.get('permute'), source=args.data,
                           n_test=args.n_test, n_train=1)
    result = predictor.evaluate(data.test, args.batchsize)
    result['source'] = data.source
    print('test loss {loss:.4f}  accuracy {accuracy:.4f} ({correct}/{n} images, '
          '{source})'.format(**result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    sys.stdout.flush()
    return 0
