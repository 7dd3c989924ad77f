#!/usr/bin/env python
"""What one SGD update of the ``blog`` preset (lr 1e-8, clipping 1, batch 16) changes.

    python benchmarks/blog_update_size.py [--updates 20] [--data embedded] [--json PATH]

Builds the blog's model exactly as ``chainer-irnn train --preset blog`` does
(same seed, same initialisers, same optimizer with its ``GradientClipping``
hook, same batch order from the same order sampler), then runs ``--updates``
real updates on MNIST batches twice from the same start: once in float32 (as
training runs) and once with every parameter cast to float64. Per update and
parameter array it counts the elements whose value actually changes
(``after != before``), and how large the intended update ``lr * g``
(``g`` the clipped gradient) is against the spacing of floating-point
numbers at the element (its ulp, ``numpy.spacing``): an element can only
move when ``|lr * g| >= ulp / 2``. The recurrent ``W`` is split into its
diagonal (the identity's ones) and off-diagonal (zeros at the start).

Elements that are exactly 0 have a ulp of the smallest subnormal, so any
nonzero update moves them; the ulp ratios are over the nonzero elements only.
Columns: ``changed`` and ``grad!=0`` are element counts per update (means
over the updates); ``exactly 0`` the elements that were 0 before an update
and how many of them changed; ``realised`` the sum over updates of the L2
norm of the actual change over that of ``lr * g`` (1: every update lands in
full; 0: every update rounds away); ``drift`` the L2 distance from the start
after all updates.
"""
import argparse
import json
import sys

import numpy

import chainer
import chainer_irnn  # NOQA  (the compat shims before Chainer's import)
from chainer_irnn import models
from chainer_irnn.training import fitting
from chainer_irnn.training.config import TrainConfig
from chainer_irnn.training.converter import sequence_converter
from chainer_irnn.training.order_samplers import ChainedShuffleOrderSampler
from chainer_irnn.training.trainer import setup_optimizer

GROUPS = ('embed W', 'rec W diag', 'rec W off-diag', 'rec b', 'head W', 'head b')


def groups(model):
    """``{group: (param, index)}``: index selects the group's elements."""
    enc, head = model.predictor.encoder, model.predictor.head
    H = enc.rec0.W.shape[0]
    diag = numpy.eye(H, dtype=bool)
    return {'embed W': (enc.input_map.W, Ellipsis), 'rec W diag': (enc.rec0.W, diag),
            'rec W off-diag': (enc.rec0.W, ~diag), 'rec b': (enc.rec0.b, Ellipsis),
            'head W': (head.W, Ellipsis), 'head b': (head.b, Ellipsis)}


def build(description, dtype, start=None):
    with chainer.using_config('dtype', dtype):
        fitting.seed_everything(0)
        model = models.build_model(description, impl='fused')
    if start is not None:   # the same starting point, cast
        for (name, p), (name2, q) in zip(sorted(model.namedparams()),
                                         sorted(start.namedparams())):
            assert name == name2
            p.array = q.array.astype(dtype)
            p.grad = None
    for _, p in model.namedparams():
        assert p.array.dtype == dtype, (p.name, p.array.dtype)
    return model


def run(model, config, train, n_updates, seed):
    lr = config.optimizer.lr
    opt = setup_optimizer(model, config.optimizer)
    it = chainer.iterators.SerialIterator(train, config.run.batchsize,
                                          order_sampler=ChainedShuffleOrderSampler(seed))
    start = {g: p.array[idx].astype(numpy.float64) for g, (p, idx) in groups(model).items()}
    per_update = []
    for k in range(n_updates):
        xs, lengths, t = sequence_converter(it.next())
        xs = xs.astype(numpy.int32, copy=False)
        before = {g: p.array[idx].copy() for g, (p, idx) in groups(model).items()}
        # what StandardUpdater -> optimizer.update(model, *batch) does, with
        # the gradient norm read before the clipping hook
        model.cleargrads()
        loss = model(xs, lengths, t)
        loss.backward()
        raw_norm = float(numpy.sqrt(sum(float((p.grad.astype(numpy.float64) ** 2).sum())
                                        for _, p in model.namedparams())))
        opt.update()
        row = {'loss': float(loss.array), 'grad_norm': raw_norm,
               'clipped': raw_norm > config.optimizer.clip}
        for g, (p, idx) in groups(model).items():
            w0 = before[g]
            w1 = p.array[idx]
            step = lr * p.grad[idx].astype(numpy.float64)   # the intended update
            changed = w1 != w0
            nz = w0 != 0
            moving = nz & (step != 0)
            ratio = numpy.abs(step[moving]) / numpy.spacing(numpy.abs(w0[moving]))
            row[g] = {
                'n': int(w0.size), 'changed': int(changed.sum()),
                'grad_nonzero': int((step != 0).sum()),
                'zero_elems': int((~nz).sum()), 'zero_changed': int((changed & ~nz).sum()),
                'nonzero_changed': int((changed & nz).sum()),
                'ratio_median': float(numpy.median(ratio)) if ratio.size else None,
                'ratio_max': float(ratio.max()) if ratio.size else None,
                'ratio_ge_half': int((ratio >= 0.5).sum()),
                'step_max': float(numpy.abs(step).max()),
                'intended_norm': float(numpy.sqrt((step ** 2).sum())),
                'actual_norm': float(numpy.sqrt(((w1.astype(numpy.float64) - w0) ** 2).sum())),
            }
        per_update.append(row)
    drift = {g: float(numpy.sqrt(((p.array[idx].astype(numpy.float64) - start[g]) ** 2).sum()))
             for g, (p, idx) in groups(model).items()}
    return per_update, drift


def summarise(rows, drift, dtype):
    n = len(rows)
    out = ['{}: {} updates; gradient norm before clipping: median {:.3g}, min {:.3g}, '
           'max {:.3g} ({} of {} clipped to 1); batch loss {:.4f} (first) {:.4f} (last)'.format(
               numpy.dtype(dtype).name, n, numpy.median([r['grad_norm'] for r in rows]),
               min(r['grad_norm'] for r in rows), max(r['grad_norm'] for r in rows),
               sum(r['clipped'] for r in rows), n, rows[0]['loss'], rows[-1]['loss'])]
    fmt = '  {:<15} {:>6} {:>9} {:>9} {:>12} {:>10} {:>10} {:>9} {:>9} {:>9}'
    out.append(fmt.format('array', 'n', 'changed', 'grad!=0', 'exactly 0:', 'ulp ratio',
                          'ulp ratio', 'max', 'realised', 'drift L2'))
    out.append(fmt.format('', '', '/update', '/update', 'n (changed)', 'median', 'max',
                          '|lr*g|', '', 'after N'))
    for g in GROUPS:
        mean = lambda key: numpy.mean([r[g][key] for r in rows])  # NOQA
        meds = [r[g]['ratio_median'] for r in rows if r[g]['ratio_median'] is not None]
        maxs = [r[g]['ratio_max'] for r in rows if r[g]['ratio_max'] is not None]
        intended = sum(r[g]['intended_norm'] for r in rows)
        actual = sum(r[g]['actual_norm'] for r in rows)
        out.append(fmt.format(
            g, rows[0][g]['n'], '{:.1f}'.format(mean('changed')),
            '{:.1f}'.format(mean('grad_nonzero')),
            '{:.0f} ({:.0f})'.format(mean('zero_elems'), mean('zero_changed')),
            '{:.3g}'.format(numpy.median(meds)) if meds else '-',
            '{:.3g}'.format(max(maxs)) if maxs else '-',
            '{:.2g}'.format(max(r[g]['step_max'] for r in rows)),
            '{:.3f}'.format(actual / intended) if intended else '-',
            '{:.3g}'.format(drift[g])))
    intended = [numpy.sqrt(sum(r[g]['intended_norm'] ** 2 for g in GROUPS)) for r in rows]
    actual = [numpy.sqrt(sum(r[g]['actual_norm'] ** 2 for g in GROUPS)) for r in rows]
    out.append('  all parameters: |lr*g| per update {:.4g} (mean), realised change per update '
               '{:.4g} (mean; {:.4f} of it); drift after {} updates {:.4g}'.format(
                   numpy.mean(intended), numpy.mean(actual),
                   numpy.mean(actual) / numpy.mean(intended), n,
                   numpy.sqrt(sum(d ** 2 for d in drift.values()))))
    return out


def compare(description, path):
    """Lines counting, per group, the elements of a trained model (a model
    folder, its ``model.npz``, or a training snapshot) that differ from the
    initial float32 model of the same seed."""
    import os
    npz = os.path.join(path, 'model.npz') if os.path.isdir(path) else path
    start = build(description, numpy.float32)
    with numpy.load(npz) as f:
        prefix = 'updater/model:main/predictor/' if any(
            k.startswith('updater/') for k in f.files) else ''
        arrays = {k[len(prefix):]: f[k] for k in f.files if k.startswith(prefix)}
    out = ['{}: elements that differ from the initial model (seed {}):'.format(
        npz, description['seed'])]
    keys = {'embed W': 'encoder/input_map/W', 'rec W diag': 'encoder/rec0/W',
            'rec W off-diag': 'encoder/rec0/W', 'rec b': 'encoder/rec0/b',
            'head W': 'head/W', 'head b': 'head/b'}
    for g, (p, idx) in groups(start).items():
        trained = arrays[keys[g]][idx]
        init = p.array[idx]
        d = trained.astype(numpy.float64) - init
        out.append('  {:<15} {:>6} elements, {:>6} changed, L2 distance {:.4g}, largest '
                   '|change| {:.3g}'.format(
                       g, init.size, int((trained != init).sum()),
                       float(numpy.sqrt((d ** 2).sum())), float(numpy.abs(d).max())))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--updates', type=int, default=20)
    p.add_argument('--data', default='embedded',
                   help="MNIST source as for train --data (default: the embedded subset)")
    p.add_argument('--preset', default='blog')
    p.add_argument('--json', help='also write every per-update count here')
    p.add_argument('--compare', metavar='MODEL',
                   help='instead: count the elements of a trained model (folder, model.npz '
                        'or snapshot) that differ from the initial model')
    args = p.parse_args(argv)
    config = TrainConfig.from_preset(args.preset)
    train, _, meta = fitting.mnist_data(config, source=args.data, progress=False)
    description = fitting.describe_model(config, meta)
    if args.compare:
        print('\n'.join(compare(description, args.compare)))
        return 0
    print('preset {}: {} lr {:g}, clip {:g}, batch {}; {} ({} training images); seed {}'.format(
        args.preset, config.optimizer.name, config.optimizer.lr, config.optimizer.clip,
        config.run.batchsize, meta['data_source'], len(train), config.run.seed))
    print('realised: sum over updates of |actual change| / sum of |lr * g| (1 = every '
          'update lands in full; 0 = every update rounds away)')
    m32 = build(description, numpy.float32)
    m64 = build(description, numpy.float64, start=m32)
    results = {}
    for dtype, model in ((numpy.float32, m32), (numpy.float64, m64)):
        rows, drift = run(model, config, train, args.updates, config.run.seed)
        results[numpy.dtype(dtype).name] = {'updates': rows, 'drift': drift}
        print('\n'.join(summarise(rows, drift, dtype)))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
