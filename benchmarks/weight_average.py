#!/usr/bin/env python
"""Weight averaging (SWA-style) on a trained MNIST model: a lever for the
pixel / permuted MNIST gap (docs/reproductions.md).

    OMP_NUM_THREADS=1 python benchmarks/weight_average.py models/irnn-pixel \\
        --data /work/shared/mnist --epochs 20 --lr 3e-5 --out runs/pixel-avg

Starts from the model's weights, trains ``--epochs`` more epochs with the
model's own regularisers (its dropout; weight decay and clipping as given)
at a constant Adam rate, and adds the weights to a running mean after every
``1/--per-epoch`` of an epoch.  At the end the test set scores three models
once each: the start, the last iterate and the mean; nothing is chosen on
it (the number of epochs, the rate and the averaging are fixed beforehand).
Writes ``OUT/last`` and ``OUT/average`` (model folders) and
``OUT/weight_average.json``; a line per epoch goes to stdout.
"""
import argparse
import json
import os
import sys
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def evaluate(model, data, batch=1000):
    import chainer
    from chainer_irnn.training.converter import sequence_converter
    correct, loss = 0, 0.0
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for i in range(0, len(data), batch):
            xs, lengths, t = sequence_converter(data[i:i + batch])
            y = model.predictor(xs, lengths)
            loss += float(chainer.functions.softmax_cross_entropy(y, t).array) * len(t)
            correct += int((y.array.argmax(axis=1) == t).sum())
    return {'accuracy': correct / len(data), 'correct': correct, 'n': len(data),
            'loss': loss / len(data)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('model')
    parser.add_argument('--data', required=True, help='folder of the MNIST files')
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--lr', type=float, default=3e-5)
    parser.add_argument('--weight-decay', type=float, default=1e-5)
    parser.add_argument('--clip', type=float, default=1.0)
    parser.add_argument('--batchsize', type=int, default=128)
    parser.add_argument('--per-epoch', type=int, default=2, help='averaging points per epoch')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.per_epoch < 1:
        parser.error('--epochs and --per-epoch must be at least 1')

    import chainer
    from chainer_irnn.datasets.mnist import get_mnist
    from chainer_irnn.models import load_model, save_model
    from chainer_irnn.training import numerics, threads
    from chainer_irnn.training.converter import sequence_converter

    model, config = load_model(args.model)
    data = get_mnist(view=config['view'], permute=config.get('permute'), source=args.data,
                     progress=False)
    if config.get('permutation') is not None:
        assert [int(i) for i in data.permutation] == config['permutation']
    train, test = data.train, data.test
    os.makedirs(args.out, exist_ok=True)
    optimizer = chainer.optimizers.Adam(alpha=args.lr)
    optimizer.setup(model)
    if args.clip:
        optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(args.clip))
    if args.weight_decay:
        optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(args.weight_decay))
    params = [p for _, p in sorted(model.namedparams())]
    total, count = [numpy.zeros_like(p.array, dtype=numpy.float64) for p in params], 0
    rng = numpy.random.RandomState(args.seed)
    numpy.random.seed(args.seed)      # dropout draws from NumPy's global generator
    n_batch = len(train) // args.batchsize
    marks = {int(round(n_batch * (k + 1) / args.per_epoch)) for k in range(args.per_epoch)}
    report = {'model': args.model, 'settings': vars(args), 'epochs': []}
    with numerics.flush_denormals(), threads.single_blas_thread():
        report['start'] = evaluate(model, test)
        print('start: test {accuracy:.4f} loss {loss:.4f}'.format(**report['start']), flush=True)
        t0 = time.time()
        for epoch in range(args.epochs):
            order, losses = rng.permutation(len(train)), []
            for b in range(n_batch):
                batch = [train[int(i)] for i in order[b * args.batchsize:(b + 1) * args.batchsize]]
                xs, lengths, t = sequence_converter(batch)
                with chainer.using_config('train', True):
                    loss = model(xs, lengths, t)
                model.cleargrads()
                loss.backward()
                optimizer.update()
                losses.append(float(loss.array))
                if b + 1 in marks:
                    for acc, p in zip(total, params):
                        acc += p.array
                    count += 1
            line = {'epoch': epoch + 1, 'train_loss': float(numpy.mean(losses)),
                    'elapsed': time.time() - t0}
            report['epochs'].append(line)
            print('epoch {epoch}: train loss {train_loss:.4f}, {elapsed:.0f} s'.format(**line),
                  flush=True)
        report['last'] = evaluate(model, test)
        save_model(model, config, os.path.join(args.out, 'last'))
        for acc, p in zip(total, params):
            p.array[...] = (acc / count).astype(p.array.dtype)
        report['average'] = evaluate(model, test)
        report['averaged_points'] = count
        save_model(model, config, os.path.join(args.out, 'average'))
    for key in ('last', 'average'):
        print('{}: test {accuracy:.4f} ({correct}/{n}) loss {loss:.4f}'.format(
            key, **report[key]), flush=True)
    with open(os.path.join(args.out, 'weight_average.json'), 'w') as f:
        json.dump(report, f, indent=1)


if __name__ == '__main__':
    main()
