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


def evaluate(model, dataset, batchsize, device):
    """Loss and accuracy of ``model`` (an ``L.Classifier``) over ``dataset``.

    Runs in test mode (``chainer.config.train`` off, so dropout is off) and
    counts exactly: the loss is the mean over examples and the accuracy the
    number of correct predictions over ``len(dataset)``, not an average of
    per-batch averages.
    """
    import chainer
    import chainer.functions as F

    from chainer_irnn.training.converter import sequence_converter
    loss_sum, correct = 0.0, 0
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(0, len(dataset), batchsize):
            batch = dataset[i:i + batchsize]
            xs, lengths, t = sequence_converter(batch, device)
            scores = model.predictor(xs, lengths)
            loss = F.softmax_cross_entropy(scores, t, reduce='no')
            loss_sum += float(loss.array.sum())
            correct += int((scores.array.argmax(axis=1) == t).sum())
    n = len(dataset)
    return {'loss': loss_sum / n, 'accuracy': correct / n, 'correct': correct, 'n': n}


def run(args):
    from chainer_irnn import compat
    compat.apply()
    from chainer_irnn import models
    from chainer_irnn.datasets import mnist

    device = common.parse_device(args.device)
    device.use()
    model, config = models.load_model(args.model)
    if config.get('data') != 'mnist':
        raise UserError('{}: this model was trained on {} data, and evaluate reads the MNIST '
                        'test set; for a labelled CSV file use chainer-irnn predict --model '
                        'M --csv FILE --out P.csv, which reports the accuracy'.format(
                            args.model, config.get('data', 'other')))
    model.to_device(device)
    data = mnist.get_mnist(view=config['view'], permute=config.get('permute'),
                           source=args.data, n_test=args.n_test, n_train=1)
    result = evaluate(model, data.test, args.batchsize, device)
    result['source'] = data.source
    print('test loss {loss:.4f}  accuracy {accuracy:.4f} ({correct}/{n} images, {source})'.format(**result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    sys.stdout.flush()
    return 0
