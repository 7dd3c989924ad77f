#!/usr/bin/env python
"""What subnormal parameters cost a training step, with and without flushing.

Builds the benchmark's training step (benchmarks/bench_irnn.py: the blog model,
T=784, H=100, one thread), sets ``--count`` entries of the recurrent and
embedding matrices to a subnormal float32 (1e-39, as weight decay with Adam
leaves unused parameters), and times steps with the learning rate at 0 (the
parameters stay as set) twice: as NumPy leaves the CPU, and inside
:func:`chainer_irnn.training.numerics.flush_denormals` (what training does).

    python benchmarks/bench_subnormal.py                 # batch 128, 494 entries
    python benchmarks/bench_subnormal.py --batch 16 --count 0
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--count', type=int, default=494,
                   help='subnormal entries (494: a weight-decay run after 12 epochs)')
    p.add_argument('--repeats', type=int, default=5)
    args = p.parse_args(argv)
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = '1'
    sys.path.insert(0, ROOT)
    sys.path.insert(0, os.path.join(ROOT, 'benchmarks'))
    import numpy
    import bench_irnn
    from chainer_irnn.training import numerics
    step, _ = bench_irnn.chainer_step_fn('fused-numba', args.batch, 784, 100, '@numpy', 0)
    cells = {c.cell_contents.__class__.__name__: c.cell_contents for c in step.__closure__}
    model, opt = cells['Classifier'], cells['SGD']
    opt.lr = 0.0
    rng = numpy.random.RandomState(0)
    targets = [p for name, p in model.namedparams() if name.endswith(('rec0/W', 'input_map/W'))]
    for k in range(args.count):
        a = targets[k % len(targets)].array
        a.flat[rng.randint(a.size)] = numpy.float32(1e-39)

    def timed():
        step()
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    plain = timed()
    with numerics.flush_denormals() as active:
        flushed = timed()
    print('batch {}, {} subnormal parameters: {:.1f} ms per step as is, {:.1f} ms with '
          'subnormals flushed ({}), load {:.2f}'.format(
              args.batch, args.count, plain * 1e3, flushed * 1e3,
              'FTZ/DAZ set' if active else 'not supported here: no change',
              os.getloadavg()[0]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
