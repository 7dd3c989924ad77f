#!/usr/bin/env python
"""IRNN on pixel-by-pixel MNIST, written as for Chainer 1.0-1.3 (2015).

This is the identity-initialised ReLU RNN of Le, Jaitly and Hinton (2015) as
the 2015 Chainer blog wrote it: a ``FunctionSet`` of ``F.EmbedID`` (pixel
value -> hidden), ``F.Linear`` (hidden -> hidden, W set to the identity,
b to zero) and ``F.Linear`` (hidden -> 10 classes); input weights drawn from
N(0, 0.001^2); ``Variable(..., volatile=...)``; plain SGD with
``zero_grads()``, ``clip_grads(1.0)`` and ``update()``; batch 16.

It is Chainer 1.x code on purpose: run it with ``chainer-irnn legacy run``
or translate it with ``chainer-irnn migrate``.  Data: an ``.npz`` file with
``x_train`` (N, 784) uint8 pixels, ``y_train``, ``x_test``, ``y_test``
(``--data``), or seeded random stand-in data when no file is given.  Each
training iteration prints ``iteration <n> loss <float>``; the test pass prints
``test loss <float> accuracy <float>``.
"""
import argparse

import numpy as np
from chainer import FunctionSet, Variable, optimizers
import chainer.functions as F

parser = argparse.ArgumentParser(description='IRNN, pixel-by-pixel MNIST (Chainer 1.x)')
parser.add_argument('--data', default=None, help='.npz with x_train, y_train, x_test, y_test')
parser.add_argument('--n-train', type=int, default=60000)
parser.add_argument('--n-test', type=int, default=10000)
parser.add_argument('--epochs', type=int, default=1)
parser.add_argument('--seed', type=int, default=0)
parser.add_argument('--seq-len', type=int, default=784,
                    help='pixels per image: every (784 // seq-len)-th pixel')
parser.add_argument('--batchsize', type=int, default=16)
parser.add_argument('--lr', type=float, default=1e-8)
parser.add_argument('--hidden', type=int, default=100)
args = parser.parse_args()

np.random.seed(args.seed)
if args.data:
    mnist = np.load(args.data)
    x_train, y_train = mnist['x_train'], mnist['y_train']
    x_test, y_test = mnist['x_test'], mnist['y_test']
else:
    rng = np.random.RandomState(args.seed)
    x_train = rng.randint(0, 256, (args.n_train, 784))
    y_train = rng.randint(0, 10, args.n_train)
    x_test = rng.randint(0, 256, (args.n_test, 784))
    y_test = rng.randint(0, 10, args.n_test)
x_train = x_train[:args.n_train].reshape(-1, 784).astype(np.int32)
x_test = x_test[:args.n_test].reshape(-1, 784).astype(np.int32)
y_train = y_train[:args.n_train].astype(np.int32)
y_test = y_test[:args.n_test].astype(np.int32)
stride = max(1, 784 // args.seq_len)
x_train = x_train[:, ::stride][:, :args.seq_len]
x_test = x_test[:, ::stride][:, :args.seq_len]
N, N_test, n_steps = len(x_train), len(x_test), x_train.shape[1]
n_units = args.hidden

model = FunctionSet(pixel_to_h=F.EmbedID(256, n_units),
                    h_to_h=F.Linear(n_units, n_units),
                    h_to_y=F.Linear(n_units, 10))
model.pixel_to_h.W = np.random.normal(
    0, 0.001, model.pixel_to_h.W.shape).astype(np.float32)
model.h_to_h.W = np.identity(n_units, dtype=np.float32)
model.h_to_h.b = np.zeros(n_units, dtype=np.float32)


def forward(x_data, y_data, train=True):
    h = Variable(np.zeros((len(x_data), n_units), dtype=np.float32),
                 volatile=not train)
    for i in range(n_steps):
        x = Variable(x_data[:, i], volatile=not train)
        h = F.relu(model.pixel_to_h(x) + model.h_to_h(h))
    y = model.h_to_y(h)
    t = Variable(y_data, volatile=not train)
    return F.softmax_cross_entropy(y, t), F.accuracy(y, t)


optimizer = optimizers.SGD(lr=args.lr)
optimizer.setup(model)

iteration = 0
for epoch in range(1, args.epochs + 1):
    perm = np.random.permutation(N)
    for i in range(0, N, args.batchsize):
        x_batch = x_train[perm[i:i + args.batchsize]]
        y_batch = y_train[perm[i:i + args.batchsize]]
        optimizer.zero_grads()
        loss, acc = forward(x_batch, y_batch)
        loss.backward()
        optimizer.clip_grads(1.0)
        optimizer.update()
        iteration += 1
        print('iteration {} loss {!r}'.format(iteration, float(loss.data)))

    sum_loss, sum_accuracy = 0., 0.
    for i in range(0, N_test, args.batchsize):
        loss, acc = forward(x_test[i:i + args.batchsize],
                            y_test[i:i + args.batchsize], train=False)
        sum_loss += float(loss.data) * len(x_test[i:i + args.batchsize])
        sum_accuracy += float(acc.data) * len(x_test[i:i + args.batchsize])
    print('test loss {!r} accuracy {!r}'.format(sum_loss / max(N_test, 1),
                                                sum_accuracy / max(N_test, 1)))
