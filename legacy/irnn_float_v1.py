#!/usr/bin/env python
"""IRNN on float features, written as for Chainer 1.0-1.3 (2015).

The variant a commenter on the 2015 Chainer IRNN blog post asked about:
three float features per time step instead of one pixel id, so the input
layer is ``F.Linear(3, 100)``; two classes (labels 0/1): a 3-100-2 network
with the recurrent ``F.Linear(100, 100)`` set to the identity.  The data
are seeded synthetic sequences whose label says whether the first feature's
sum over the sequence is positive.  1.x API throughout
(``FunctionSet``, ``collect_parameters()``, ``volatile``, ``zero_grads()``,
``clip_grads()``), so run it with ``chainer-irnn legacy run`` or migrate it.
Prints ``iteration <n> loss <float>`` per iteration and
``test loss <float> accuracy <float>``.
"""
import argparse

import numpy as np
from chainer import FunctionSet, Variable, optimizers
import chainer.functions as F

parser = argparse.ArgumentParser(description='IRNN on float features (Chainer 1.x)')
parser.add_argument('--n-train', type=int, default=1000)
parser.add_argument('--n-test', type=int, default=200)
parser.add_argument('--epochs', type=int, default=1)
parser.add_argument('--seed', type=int, default=0)
parser.add_argument('--seq-len', type=int, default=20)
parser.add_argument('--batchsize', type=int, default=16)
parser.add_argument('--lr', type=float, default=1e-3)
args = parser.parse_args()

np.random.seed(args.seed)
rng = np.random.RandomState(args.seed)


def make_data(n):
    x = rng.normal(0, 1, (n, args.seq_len, 3)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(np.int32)
    return x, y


x_train, y_train = make_data(args.n_train)
x_test, y_test = make_data(args.n_test)

model = FunctionSet(x_to_h=F.Linear(3, 100),
                    h_to_h=F.Linear(100, 100),
                    h_to_y=F.Linear(100, 2))
model.x_to_h.W = np.random.normal(0, 0.001, (100, 3)).astype(np.float32)
model.h_to_h.W = np.identity(100, dtype=np.float32)
model.h_to_h.b = np.zeros(100, dtype=np.float32)


def forward(x_data, y_data, train=True):
    h = Variable(np.zeros((len(x_data), 100), dtype=np.float32), volatile=not train)
    for i in range(x_data.shape[1]):
        x = Variable(x_data[:, i, :], volatile=not train)
        h = F.relu(model.x_to_h(x) + model.h_to_h(h))
    y = model.h_to_y(h)
    t = Variable(y_data, volatile=not train)
    return F.softmax_cross_entropy(y, t), F.accuracy(y, t)


optimizer = optimizers.SGD(lr=args.lr)
optimizer.setup(model.collect_parameters())

iteration = 0
for epoch in range(args.epochs):
    perm = np.random.permutation(len(x_train))
    for i in range(0, len(x_train), args.batchsize):
        idx = perm[i:i + args.batchsize]
        optimizer.zero_grads()
        loss, acc = forward(x_train[idx], y_train[idx])
        loss.backward()
        optimizer.clip_grads(1.0)
        optimizer.update()
        iteration += 1
        print('iteration {} loss {!r}'.format(iteration, float(loss.data)))

loss, acc = forward(x_test, y_test, train=False)
print('test loss {!r} accuracy {!r}'.format(float(loss.data), float(acc.data)))
