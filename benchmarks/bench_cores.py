#!/usr/bin/env python
"""Samples per second of real training runs, using one core or two.

Runs ``chainer-irnn train`` (the ``irnn`` preset, batch 128 per step, on the
embedded MNIST subset, no evaluation) three ways and reads the trainer's own
clock from its log, so start-up and compilation are left out:

``1 process, 1 thread``
    the baseline (BLAS, OpenMP and Numba held to one thread);
``1 process, 2 threads``
    the same with two BLAS/OpenMP threads (the per-step products are
    ``(128, 100) x (100, 100)``: whether BLAS splits them usefully);
``2 processes (ChainerMN)``
    ``mpiexec -n 2 ... --communicator naive --batchsize 64``, one thread
    each: each process runs half of every batch, gradients are averaged
    (the same updates as one process at batch 128, docs/distributed.md).

    python benchmarks/bench_cores.py                  # 60 iterations each
    python benchmarks/bench_cores.py --iterations 100 --json cores.json

Needs an idle machine to mean anything: two cores busy with other work make
every variant slower and the two-core ones most.  The load average before
and after each run is printed with it.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
               'NUMBA_NUM_THREADS')


def train_cmd(out, iterations, batch, extra=()):
    return [sys.executable, '-m', 'chainer_irnn', 'train', '--preset', 'irnn',
            '--data', 'embedded', '--batchsize', str(batch), '--iteration', str(iterations),
            '--log-interval', '10', '--eval-interval', str(10 * iterations),
            '--snapshot-interval', str(10 * iterations), '--no-progress',
            '--out', out] + list(extra)


def variants(iterations):
    mpiexec = shutil.which('mpiexec')
    yield '1 process, 1 thread', 1, lambda out: train_cmd(out, iterations, 128)
    yield '1 process, 2 threads', 2, lambda out: train_cmd(out, iterations, 128)
    if mpiexec:
        yield '2 processes (ChainerMN)', 1, lambda out: [
            mpiexec, '-n', '2', '--oversubscribe', '--allow-run-as-root'] + train_cmd(
                out, iterations, 64, ['--communicator', 'naive'])


def samples_per_second(log, skip, per_step):
    """From the trainer's log: steps after the first ``skip`` iterations."""
    first = [e for e in log if e['iteration'] >= skip][0]
    last = log[-1]
    steps = last['iteration'] - first['iteration']
    return steps * per_step / (last['elapsed_time'] - first['elapsed_time'])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--iterations', type=int, default=60)
    p.add_argument('--skip', type=int, default=20,
                   help='iterations left out at the start (warm-up)')
    p.add_argument('--json', metavar='PATH')
    args = p.parse_args(argv)
    rows = []
    for name, threads, make in variants(args.iterations):
        out = tempfile.mkdtemp(prefix='bench_cores_')
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''),
                   OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1')
        env.update({v: str(threads) for v in THREAD_VARS})
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        res = subprocess.run(make(out), capture_output=True, text=True, env=env, cwd=ROOT)
        row = {'variant': name, 'threads': threads, 'wall_s': time.perf_counter() - t0,
               'returncode': res.returncode, 'load_before': load_before,
               'load_after': os.getloadavg()[0]}
        if res.returncode:
            row['error'] = (res.stderr or res.stdout).strip().splitlines()[-3:]
        else:
            with open(os.path.join(out, 'log')) as f:
                row['samples_per_s'] = samples_per_second(json.load(f), args.skip, 128)
        shutil.rmtree(out, ignore_errors=True)
        rows.append(row)
        print('{:26s} {}  (load {:.2f} -> {:.2f})'.format(
            name, '{:.0f} samples/s'.format(row['samples_per_s']) if 'samples_per_s' in row
            else 'FAILED: {}'.format(row.get('error')), load_before, row['load_after']),
            flush=True)
    base = rows[0].get('samples_per_s')
    for r in rows:
        if base and 'samples_per_s' in r:
            r['speedup'] = r['samples_per_s'] / base
            print('{:26s} x{:.2f}'.format(r['variant'], r['speedup']))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=2)
    return 0 if all(r['returncode'] == 0 for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
