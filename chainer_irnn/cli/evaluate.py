"""``chainer-irnn evaluate``: loss and accuracy of a saved model on a test set."""
import json
import sys

from chainer_irnn.cli import common


def add_parser(sub):
    p = sub.add_parser('evaluate', help='evaluate a saved model on the MNIST test set')
    p.add_argument('--model', '-m', required=True,
                   help='a directory written by train, or its model.npz')
    p.add_argument('--data', default='auto', help='MNIST source (as for train)')
    p.add_argument('--n-test', type=int, help='use the first N test images')
    p.add_argument('--batchsize', '-b', type=int, default=256)
    p.add_argument('--json', metavar='PATH', help='also write the result as JSON')
    common.add_device_arg(p)
    return p


def evaluate(model, dataset, batchsize, device):
    """Mean loss and accuracy of ``model`` (an ``L.Classifier``) on ``dataset``."""
    import chainer
    from chainer.training import extensions

    from chainer_irnn.training.converter import sequence_converter
    it = chainer.iterators.SerialIterator(dataset, batchsize, repeat=False, shuffle=False)
    evaluator = extensions.Evaluator(it, model, converter=sequence_converter, device=device)
    reporter = chainer.Reporter()
    reporter.add_observer('main', model)
    with reporter:
        result = evaluator.evaluate()
    return {'loss': float(result['main/loss']), 'accuracy': float(result['main/accuracy']),
            'n': len(dataset)}


def run(args):
    from chainer_irnn import compat
    compat.apply()
    from chainer_irnn import models
    from chainer_irnn.datasets import mnist

    device = common.parse_device(args.device)
    device.use()
    model, config = models.load_model(args.model)
    model.to_device(device)
    data = mnist.get_mnist(view=config['view'], permute=config.get('permute'),
                           source=args.data, n_test=args.n_test, n_train=1)
    result = evaluate(model, data.test, args.batchsize, device)
    result['source'] = data.source
    print('test loss {loss:.4f}  accuracy {accuracy:.4f}  ({n} images, {source})'.format(**result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    sys.stdout.flush()
    return 0
