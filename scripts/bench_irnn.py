#!/usr/bin/env python
"""Times one IRNN training step: naive Chainer, fused (each kernel), PyTorch.

One step is what the trainer does per batch on pixel-by-pixel MNIST: the
forward pass (EmbedID(256, H) input, T steps of the ReLU recurrence, a
Linear(H, 10) read-out, softmax cross entropy), the backward pass and the
optimizer update (the blog preset: SGD, gradient clipping at 1, plus the
trainer's finite-gradient check).  PyTorch, when importable, runs the same
model: nn.Embedding, nn.RNN(nonlinearity='relu') with identity recurrent
weights, nn.Linear, cross entropy, clip_grad_norm_ and SGD.

Inputs are synthetic digit-like sequences (about 19% of pixels non-zero,
as in MNIST, with intensities 1..255), the same for every implementation.

    python scripts/bench_irnn.py                       # batch 16 and 128, T=784
    python scripts/bench_irnn.py --batch-sizes 16 --T 100 --repeats 3
    python scripts/bench_irnn.py --json bench.json
    python scripts/bench_irnn.py --device @cupy:0      # GPU: fused xp path, torch cuda

Each step is timed on the wall clock and in CPU seconds of the process (all
its threads): on a shared machine the CPU time is what the step itself
cost, the wall time includes waiting for other programs.

Thread counts are fixed before NumPy or PyTorch load (``--threads``,
default 1: the BLAS libraries' own threads and OpenMP collapse when other
work shares the cores; pass 0 to keep the libraries' defaults).

Peak memory: for one batch (``--memory-batch``) each implementation runs in
a fresh process: after a short warm-up step (compilation, allocator set-up)
the script reads the resident set size, resets the kernel's peak-RSS mark
(``/proc/self/clear_refs``), runs one full training step and reports how
far the peak (``VmHWM``) rose above that reading: ``peak RSS delta``.  For the Chainer implementations it also
reports ``tracemalloc`` peak of NumPy's buffers during a second step.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPLS = ('naive', 'fused-numpy', 'fused-numba', 'torch')
BLOG_EPOCH_IMAGES = 60000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[16, 128])
    p.add_argument('--T', type=int, default=784, help='steps per sequence (784 pixels)')
    p.add_argument('--hidden', type=int, default=100)
    p.add_argument('--repeats', type=int, default=7, help='timed steps per implementation')
    p.add_argument('--naive-repeats', type=int, default=3,
                   help='timed steps of the (slow) naive graph')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps first')
    p.add_argument('--impls', default=','.join(IMPLS),
                   help='comma-separated subset of {}'.format(', '.join(IMPLS)))
    p.add_argument('--threads', type=int, default=1,
                   help='BLAS/OpenMP/Numba/PyTorch threads (0: library defaults)')
    p.add_argument('--device', default='@numpy',
                   help="Chainer device: '@numpy' or '@cupy:N' (torch then uses cuda:N)")
    p.add_argument('--memory-batch', type=int, default=128,
                   help='batch size of the peak-memory runs (0: skip them)')
    p.add_argument('--json', metavar='PATH', help='also write the results here')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--_memory-child', dest='memory_child', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.impls = [s.strip() for s in args.impls.split(',') if s.strip()]
    bad = [s for s in args.impls if s not in IMPLS]
    if bad:
        p.error('unknown implementation(s) {}; choose from {}'.format(bad, IMPLS))
    return args


def set_threads(n):
    if n > 0:
        for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
                    'NUMBA_NUM_THREADS'):
            os.environ[var] = str(n)


# -- one training step per implementation --------------------------------------

def make_batch(B, T, seed):
    import numpy
    rng = numpy.random.RandomState(seed)
    x = rng.randint(1, 256, (B, T)).astype(numpy.int32)
    x[rng.uniform(size=(B, T)) > 0.19] = 0
    t = rng.randint(0, 10, B).astype(numpy.int32)
    return x, t


def chainer_step_fn(impl, B, T, H, device, seed):
    """Returns (step, sync): ``step()`` runs one training step."""
    import numpy
    import chainer
    import chainer.links as L
    sys.path.insert(0, ROOT)
    from chainer_irnn.links import IRNN, RecurrentClassifier
    from chainer_irnn.training import presets
    from chainer_irnn.training.trainer import setup_optimizer

    if impl.startswith('fused-'):
        os.environ['CHAINER_IRNN_KERNEL'] = impl.split('-', 1)[1]
    numpy.random.seed(seed)
    model = L.Classifier(RecurrentClassifier(
        IRNN(256, H, impl='naive' if impl == 'naive' else 'fused'), 10))
    device = chainer.get_device(device)
    model.to_device(device)
    device.use()
    opt = setup_optimizer(model, presets.resolve('blog'))
    x, t = make_batch(B, T, seed + 1)
    x, t = device.send(x), device.send(t)

    def step():
        model.cleargrads()
        loss = model(x, t)
        loss.backward()
        opt.update()
        return loss

    if device.xp is numpy:
        sync = None
    else:
        import cupy
        sync = cupy.cuda.Device().synchronize
    return step, sync


def torch_step_fn(B, T, H, device, seed):
    import numpy
    import torch
    threads = int(os.environ.get('OMP_NUM_THREADS', 0))
    if threads > 0:
        torch.set_num_threads(threads)
    dev = 'cpu'
    if device.startswith('@cupy'):
        if not torch.cuda.is_available():
            return None
        dev = 'cuda:{}'.format(device.split(':')[1] if ':' in device else 0)
    torch.manual_seed(seed)
    emb = torch.nn.Embedding(256, H)
    torch.nn.init.normal_(emb.weight, 0.0, 0.001)
    # nn.RNN always has an input matrix; it gets the identity too, so the
    # embedding plays the input projection as in the Chainer model (the
    # extra (T*B, H) x (H, H) product is PyTorch's own cost).
    rnn = torch.nn.RNN(H, H, nonlinearity='relu')
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.eye(H))
        rnn.weight_ih_l0.copy_(torch.eye(H))
        rnn.bias_hh_l0.zero_()
        rnn.bias_ih_l0.zero_()
    head = torch.nn.Linear(H, 10)
    modules = torch.nn.ModuleList([emb, rnn, head]).to(dev)
    params = list(modules.parameters())
    opt = torch.optim.SGD(params, lr=1e-8)
    x, t = make_batch(B, T, seed + 1)
    x = torch.from_numpy(numpy.ascontiguousarray(x.T)).long().to(dev)   # (T, B)
    t = torch.from_numpy(t).long().to(dev)

    def step():
        opt.zero_grad()
        out, _ = rnn(emb(x))
        loss = torch.nn.functional.cross_entropy(head(out[-1]), t)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss

    sync = torch.cuda.synchronize if dev != 'cpu' else None
    return step, sync


def make_step(impl, B, T, H, device, seed):
    if impl == 'torch':
        return torch_step_fn(B, T, H, device, seed)
    return chainer_step_fn(impl, B, T, H, device, seed)


def time_steps(step, sync, warmup, repeats):
    """Wall-clock and CPU seconds (this process, all threads) of each step."""
    for _ in range(warmup):
        step()
    if sync:
        sync()
    wall, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        if sync:
            sync()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


# -- memory (child process) ------------------------------------------------------

def _status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return None


def _reset_peak_rss():
    """Linux: resets VmHWM (the peak RSS) to the current RSS; False if not."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def memory_child(args):
    """Prints JSON: peak RSS growth over one step, tracemalloc peak."""
    import gc
    import resource
    impl, B = args.memory_child.split(':')
    B = int(B)
    warm = make_step(impl, B, min(args.T, 8), args.hidden, args.device, args.seed)
    if warm is None:
        print(json.dumps(None))
        return
    warm[0]()
    del warm
    built = make_step(impl, B, args.T, args.hidden, args.device, args.seed)
    step = built[0]
    gc.collect()
    before = _status_kib('VmRSS')
    if _reset_peak_rss():
        method = 'VmHWM reset through /proc/self/clear_refs'
        step()
        peak = _status_kib('VmHWM')
    else:   # the process-lifetime peak: an upper bound of the step's growth
        method = 'ru_maxrss (process lifetime; upper bound)'
        step()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {'impl': impl, 'batch': B, 'rss_before_mib': before / 1024,
           'peak_rss_delta_mib': max(0, peak - before) / 1024, 'rss_method': method}
    if impl != 'torch':
        import tracemalloc
        tracemalloc.start()
        step()
        out['tracemalloc_peak_mib'] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    print(json.dumps(out))


def measure_memory(args, impl):
    cmd = [sys.executable, os.path.abspath(__file__), '--_memory-child',
           '{}:{}'.format(impl, args.memory_batch), '--T', str(args.T),
           '--hidden', str(args.hidden), '--device', args.device,
           '--threads', str(args.threads), '--seed', str(args.seed)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        return {'impl': impl, 'batch': args.memory_batch,
                'error': res.stderr.strip().splitlines()[-1:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


# -- the report ----------------------------------------------------------------------

def versions():
    import numpy
    import chainer
    out = {'python': platform.python_version(), 'numpy': numpy.__version__,
           'chainer': chainer.__version__, 'machine': platform.machine(),
           'cpu': _cpu_model(), 'cores': os.cpu_count()}
    for name in ('numba', 'torch', 'cupy'):
        try:
            out[name] = __import__(name).__version__
        except Exception:
            out[name] = None
    return out


def _cpu_model():
    try:
        res = subprocess.run(['lscpu'], capture_output=True, text=True)
        for line in res.stdout.splitlines():
            if line.startswith('Model name:'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _available(impl, device):
    if impl == 'torch':
        try:
            import torch  # NOQA
        except ImportError:
            return 'torch is not importable'
    if impl == 'fused-numba':
        if device != '@numpy':
            return 'the numba kernel is CPU-only (GPU runs the xp loop)'
        sys.path.insert(0, ROOT)
        from chainer_irnn.functions.rnn.irnn_recurrence import numba_available
        if not numba_available():
            return 'numba is not importable'
    if impl == 'fused-numpy' and device != '@numpy':
        return None   # the xp loop on CuPy
    return None


def run(args):
    info = versions()
    info['threads'] = args.threads
    info['load_before'] = os.getloadavg()
    rows, skipped = [], {}
    for B in args.batch_sizes:
        for impl in args.impls:
            why = _available(impl, args.device)
            if why:
                skipped[impl] = why
                continue
            built = make_step(impl, B, args.T, args.hidden, args.device, args.seed)
            if built is None:
                skipped[impl] = 'no CUDA device for torch'
                continue
            repeats = args.naive_repeats if impl == 'naive' else args.repeats
            times, cpu = time_steps(built[0], built[1],
                                    args.warmup if impl != 'naive' else 1, repeats)
            rows.append({'impl': impl, 'batch': B, 'median_s': statistics.median(times),
                         'min_s': min(times), 'cpu_median_s': statistics.median(cpu),
                         'times_s': times, 'cpu_s': cpu})
            del built
            print('  {:12s} batch {:4d}: median {:.4f} s'.format(impl, B, rows[-1]['median_s']),
                  file=sys.stderr, flush=True)
    for r in rows:
        ref = {x['impl']: x['median_s'] for x in rows if x['batch'] == r['batch']}
        r['ratio_to_naive'] = r['median_s'] / ref['naive'] if 'naive' in ref else None
        r['ratio_to_torch'] = r['median_s'] / ref['torch'] if 'torch' in ref else None
        cref = {x['impl']: x['cpu_median_s'] for x in rows if x['batch'] == r['batch']}
        r['cpu_ratio_to_naive'] = r['cpu_median_s'] / cref['naive'] if 'naive' in cref else None
        r['cpu_ratio_to_torch'] = r['cpu_median_s'] / cref['torch'] if 'torch' in cref else None
    memory = []
    if args.memory_batch:
        for impl in args.impls:
            if impl not in skipped:
                memory.append(measure_memory(args, impl))
    info['load_after'] = os.getloadavg()
    epoch = {r['impl']: r['median_s'] * (BLOG_EPOCH_IMAGES // r['batch'])
             for r in rows if r['batch'] == 16 and args.T == 784}
    result = {'config': {k: v for k, v in vars(args).items() if k != 'memory_child'},
              'machine': info, 'results': rows, 'skipped': skipped, 'memory': memory,
              'blog_epoch_estimate_s': epoch, 'goals': goals(rows, epoch)}
    print_report(result)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


def goals(rows, epoch):
    """The issue's targets, per fused kernel, on wall-clock medians."""
    out = []
    for r in rows:
        if not r['impl'].startswith('fused'):
            continue
        if r['ratio_to_naive'] is not None:
            out.append({'goal': '{} <= naive / 15 at batch {}'.format(r['impl'], r['batch']),
                        'value': r['ratio_to_naive'], 'met': r['ratio_to_naive'] <= 1 / 15})
        if r['ratio_to_torch'] is not None:
            out.append({'goal': '{} <= torch / 3 at batch {}'.format(r['impl'], r['batch']),
                        'value': r['ratio_to_torch'], 'met': r['ratio_to_torch'] <= 1 / 3})
    for impl, s in epoch.items():
        if impl.startswith('fused'):
            out.append({'goal': '{} blog epoch < 180 s'.format(impl), 'value': s,
                        'met': s < 180})
    return out


def _fmt(v, spec='{:.3f}'):
    return '-' if v is None else spec.format(v)


def print_report(result):
    m, cfg = result['machine'], result['config']
    print('IRNN training step, T={T}, H={hidden}, device {device}, threads {threads}'.format(**cfg))
    print('{cpu} ({cores} cores), Python {python}, NumPy {numpy}, Chainer {chainer}, '
          'numba {numba}, torch {torch}'.format(**m))
    print('load average before {:.2f} / after {:.2f} (1 min)'.format(
        m['load_before'][0], m['load_after'][0]))
    print()
    print('| batch | implementation | median s/step | min s/step | x naive | x torch '
          '| median CPU s/step | CPU x naive | CPU x torch |')
    print('|------:|----------------|--------------:|-----------:|--------:|--------:'
          '|------------------:|------------:|------------:|')
    for r in result['results']:
        print('| {:5d} | {:14s} | {:13.4f} | {:10.4f} | {:>7s} | {:>7s} | {:17.4f} '
              '| {:>11s} | {:>11s} |'.format(
                  r['batch'], r['impl'], r['median_s'], r['min_s'],
                  _fmt(r['ratio_to_naive']), _fmt(r['ratio_to_torch']), r['cpu_median_s'],
                  _fmt(r['cpu_ratio_to_naive']), _fmt(r['cpu_ratio_to_torch'])))
    for impl, why in result['skipped'].items():
        print('skipped {}: {}'.format(impl, why))
    if result['memory']:
        print()
        print('| batch | implementation | peak RSS delta MiB | tracemalloc peak MiB |')
        print('|------:|----------------|-------------------:|---------------------:|')
        for r in result['memory']:
            if r is None:
                continue
            if 'error' in r:
                print('| {} | {} | error: {} | |'.format(r['batch'], r['impl'], r['error']))
                continue
            print('| {:5d} | {:14s} | {:18.1f} | {:>20s} |'.format(
                r['batch'], r['impl'], r['peak_rss_delta_mib'],
                _fmt(r.get('tracemalloc_peak_mib'), '{:.1f}')))
    if result['blog_epoch_estimate_s']:
        print()
        print('blog preset epoch estimate (60000 images / batch 16 = 3750 steps x median):')
        for impl, s in result['blog_epoch_estimate_s'].items():
            print('  {:14s} {:7.1f} s ({:.1f} min)'.format(impl, s, s / 60))
    if result['goals']:
        print()
        print('goals (wall-clock medians):')
        for g in result['goals']:
            print('  {:40s} {:9.3f}  {}'.format(g['goal'], g['value'],
                                               'met' if g['met'] else 'NOT met'))


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    sys.path.insert(0, ROOT)
    from chainer_irnn import compat
    compat.apply()
    if args.memory_child:
        memory_child(args)
        return 0
    run(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
