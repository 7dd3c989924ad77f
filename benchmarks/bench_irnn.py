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

    python benchmarks/bench_irnn.py                       # batch 16 and 128, T=784
    python benchmarks/bench_irnn.py --batch-sizes 16 --T 100 --repeats 3
    python benchmarks/bench_irnn.py --quick               # seconds: a smoke test
    python benchmarks/bench_irnn.py --json bench.json
    python benchmarks/bench_irnn.py --device @cupy:0 --json gpu.json

On a GPU (``--device @cupy:0``) one run times, at batch 16, 128 and 1024:
the naive graph, the fused node with its CUDA kernel (``fused-cuda``) and with
the per-step CuPy loop (``fused-numpy``), and PyTorch's ``nn.RNN`` on cuDNN;
then the recurrence alone (forward, and forward + backward, without the
rest of the model) in microseconds per time step, beside rough limits of the
GPU (a step's dependent chain of H multiply-adds at the SM clock, and its
memory traffic at the peak bandwidth); and the end-to-end wall time of one
epoch of the ``blog`` preset and of the blog model at batch 128 through
``chainer-irnn train`` (data transfer and evaluation included).  It records
the GPU, driver, CUDA runtime, cuDNN and library versions.  Without a GPU
``--device @cupy:0`` stops with an error saying so.

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
far the peak (``VmHWM``) rose above that reading: ``peak RSS delta``.  For
the Chainer implementations it also reports ``tracemalloc`` peak of NumPy's
buffers during a second step.
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
IMPLS = ('naive', 'fused-numpy', 'fused-numba', 'fused-cuda', 'torch')
RECURRENCE_IMPLS = ('fused-numpy', 'fused-numba', 'fused-cuda', 'torch')
BLOG_EPOCH_IMAGES = 60000
#: the reference product of the report (n x n by n x n, float32)
REF_GEMM_N = 2048
CPU_BATCHES, GPU_BATCHES = [16, 128], [16, 128, 1024]
#: end-to-end epochs on a GPU: name -> extra ``chainer-irnn train`` flags
EPOCH_RUNS = {'blog': ['--preset', 'blog'],
              'blog@128': ['--preset', 'blog', '--batchsize', '128']}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--batch-sizes', type=int, nargs='+', default=None,
                   help='default: {} on the CPU, {} on a GPU'.format(CPU_BATCHES, GPU_BATCHES))
    p.add_argument('--T', type=int, default=784, help='steps per sequence (784 pixels)')
    p.add_argument('--hidden', type=int, default=100)
    p.add_argument('--repeats', type=int, default=7, help='timed steps per implementation')
    p.add_argument('--naive-repeats', type=int, default=3,
                   help='timed steps of the (slow) naive graph')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps first')
    p.add_argument('--impls', default=','.join(IMPLS),
                   help='comma-separated subset of {} (those that cannot run on the '
                        'device are reported as skipped)'.format(', '.join(IMPLS)))
    p.add_argument('--threads', type=int, default=1,
                   help='BLAS/OpenMP/Numba/PyTorch threads (0: library defaults)')
    p.add_argument('--device', default='@numpy',
                   help="Chainer device: '@numpy' or '@cupy:N' (torch then uses cuda:N)")
    p.add_argument('--memory-batch', type=int, default=None,
                   help='batch size of the peak-memory runs (0: skip them; default 128 '
                        'on the CPU, 0 on a GPU, where RSS says nothing)')
    p.add_argument('--recurrence-repeats', type=int, default=None,
                   help='timed runs of the recurrence alone per implementation and batch '
                        '(0: skip; default 20 on a GPU, 0 on the CPU)')
    p.add_argument('--epochs', default=None,
                   help="comma-separated end-to-end epoch runs of {} ('' or none: skip; "
                        'default all on a GPU, none on the CPU)'.format(', '.join(EPOCH_RUNS)))
    p.add_argument('--cuda-seqs', default='1',
                   help='comma-separated sequences per block of the cuda kernel to time in '
                        "the recurrence-alone runs, e.g. '1,2,4' (CHAINER_IRNN_CUDA_SEQS); "
                        'the training steps use the first')
    p.add_argument('--quick', action='store_true',
                   help='a smoke test in seconds: T=50, batch 16, 2 timed steps, '
                        'no memory runs, 3 recurrence runs, no epochs')
    p.add_argument('--json', metavar='PATH', help='also write the results here')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--_memory-child', dest='memory_child', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.impls = [s.strip() for s in args.impls.split(',') if s.strip()]
    try:
        args.cuda_seqs = [int(v) for v in args.cuda_seqs.split(',') if v.strip()] or [1]
    except ValueError:
        p.error('--cuda-seqs takes comma-separated integers, not {!r}'.format(args.cuda_seqs))
    bad = [s for s in args.impls if s not in IMPLS]
    if bad:
        p.error('unknown implementation(s) {}; choose from {}'.format(bad, IMPLS))
    gpu = args.device.startswith('@cupy')
    if not gpu and args.device != '@numpy':
        p.error("--device must be '@numpy' or '@cupy:N', not {!r}".format(args.device))
    if args.quick:
        args.T, args.repeats, args.naive_repeats, args.warmup = 50, 2, 1, 1
        if args.batch_sizes is None:
            args.batch_sizes = [16]
        if args.memory_batch is None:
            args.memory_batch = 0
        if args.recurrence_repeats is None:
            args.recurrence_repeats = 3
        if args.epochs is None:
            args.epochs = ''
    if args.batch_sizes is None:
        args.batch_sizes = GPU_BATCHES if gpu else CPU_BATCHES
    if args.memory_batch is None:
        args.memory_batch = 0 if gpu else 128
    if args.recurrence_repeats is None:
        args.recurrence_repeats = 20 if gpu else 0
    if args.epochs is None:
        args.epochs = ','.join(EPOCH_RUNS) if gpu else ''
    args.epochs = [] if args.epochs.strip().lower() in ('', 'none') else \
        [e.strip() for e in args.epochs.split(',') if e.strip()]
    bad = [e for e in args.epochs if e not in EPOCH_RUNS]
    if bad:
        p.error('unknown epoch run(s) {}; choose from {}'.format(bad, list(EPOCH_RUNS)))
    return args


class NoGPU(Exception):
    pass


def check_gpu(device):
    """Raises :class:`NoGPU` with the reason when ``device`` cannot run here."""
    if not device.startswith('@cupy'):
        return
    try:
        import cupy
    except Exception as e:
        raise NoGPU('--device {} needs CuPy (pip install chainer-irnn[gpu]) and a CUDA '
                    'GPU; CuPy cannot be imported: {}'.format(device, e))
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        raise NoGPU('--device {} needs a CUDA GPU; CUDA finds none: {}'.format(device, e))
    index = int(device.split(':')[1]) if ':' in device else 0
    if n <= index:
        raise NoGPU('--device {} needs a CUDA GPU number {}; {} found'.format(device, index, n))


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
    from chainer_irnn.training import TrainConfig
    from chainer_irnn.training.trainer import setup_optimizer

    if impl.startswith('fused-'):
        os.environ['CHAINER_IRNN_KERNEL'] = impl.split('-', 1)[1]
    numpy.random.seed(seed)
    model = L.Classifier(RecurrentClassifier(
        IRNN(256, H, impl='naive' if impl == 'naive' else 'fused'), 10))
    device = chainer.get_device(device)
    model.to_device(device)
    device.use()
    opt = setup_optimizer(model, TrainConfig.from_preset('blog').optimizer)
    x, t = make_batch(B, T, seed + 1)
    x, t = device.send(x), device.send(t)

    def step():
        model.cleargrads()
        loss = model(x, t)
        loss.backward()
        opt.update()
        return loss

    return step, _chainer_sync(device)


def _chainer_sync(device):
    import numpy
    if device.xp is numpy:
        return None
    import cupy
    return cupy.cuda.Device().synchronize


def _torch_device(device):
    """'cpu' or 'cuda:N' for a Chainer device string; None without CUDA."""
    import torch
    if not device.startswith('@cupy'):
        return 'cpu'
    if not torch.cuda.is_available():
        return None
    return 'cuda:{}'.format(device.split(':')[1] if ':' in device else 0)


def recurrence_fns(impl, B, T, H, device, seed):
    """``(forward, forward_backward, sync)`` of the recurrence alone, or None.

    Chainer: ``irnn_recurrence`` with the given kernel on ``u`` (T, B, H),
    identity ``W``, zero bias; the backward pass starts from ``hs[-1]`` as in
    the classifier.  PyTorch: ``nn.RNN(H, H, nonlinearity='relu')`` (cuDNN
    on a GPU) on the same shapes; it also multiplies the input by its input
    matrix (one GEMM over all steps, outside the recurrence).
    """
    import numpy
    rng = numpy.random.RandomState(seed)
    u_host = (0.01 * rng.randn(T, B, H)).astype(numpy.float32)
    if impl == 'torch':
        import torch
        dev = _torch_device(device)
        if dev is None:
            return None
        threads = int(os.environ.get('OMP_NUM_THREADS', 0))
        if threads > 0:
            torch.set_num_threads(threads)
        rnn = torch.nn.RNN(H, H, nonlinearity='relu').to(dev)
        with torch.no_grad():
            rnn.weight_hh_l0.copy_(torch.eye(H))
        x = torch.from_numpy(u_host).to(dev).requires_grad_()

        def forward():
            with torch.no_grad():
                rnn(x)

        def forward_backward():
            rnn.zero_grad()
            out, _ = rnn(x)
            out[-1].sum().backward()

        return forward, forward_backward, (torch.cuda.synchronize if dev != 'cpu' else None)
    import chainer
    import chainer.functions as F
    sys.path.insert(0, ROOT)
    from chainer_irnn.functions.rnn.irnn_recurrence import irnn_recurrence
    kernel = impl.split('-', 1)[1]
    dev = chainer.get_device(device)
    dev.use()
    u = chainer.Variable(dev.send(u_host))
    W = chainer.Variable(dev.send(numpy.eye(H, dtype=numpy.float32)))
    b = chainer.Variable(dev.send(numpy.zeros(H, dtype=numpy.float32)))

    def forward():
        with chainer.no_backprop_mode():
            irnn_recurrence(u, W, b, kernel=kernel)

    def forward_backward():
        for v in (u, W, b):
            v.cleargrad()
        F.sum(irnn_recurrence(u, W, b, kernel=kernel)[-1]).backward()

    return forward, forward_backward, _chainer_sync(dev)


def torch_step_fn(B, T, H, device, seed):
    import numpy
    import torch
    threads = int(os.environ.get('OMP_NUM_THREADS', 0))
    if threads > 0:
        torch.set_num_threads(threads)
    dev = _torch_device(device)
    if dev is None:
        return None
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


def gemm_rate(device, n, repeats=5):
    """Multiply-adds per second of an ``n x n`` by ``n x n`` float32 product
    (the best of ``repeats``): the BLAS of ``device`` at its own speed."""
    import numpy
    import chainer
    xp = chainer.get_device(device).xp
    a = xp.asarray(numpy.random.RandomState(0).rand(n, n).astype(numpy.float32))
    sync = _chainer_sync(chainer.get_device(device))
    best = None
    for _ in range(repeats + 1):   # the first one warms up
        if sync:
            sync()
        t0 = time.perf_counter()
        xp.matmul(a, a)
        if sync:
            sync()
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    return n ** 3 / best


def small_gemm_rate(device, B, H, calls=2000):
    """Multiply-adds per second of ``calls`` separate ``(B, H) x (H, H)``
    float32 products into a preallocated output (the median of 5 rounds)."""
    import numpy
    import chainer
    dev = chainer.get_device(device)
    xp = dev.xp
    rng = numpy.random.RandomState(0)
    a = xp.asarray(rng.rand(B, H).astype(numpy.float32))
    w = xp.asarray(rng.rand(H, H).astype(numpy.float32))
    out = xp.empty((B, H), numpy.float32)
    sync = _chainer_sync(dev)
    times = []
    for _ in range(6):
        if sync:
            sync()
        t0 = time.perf_counter()
        for _ in range(calls):
            xp.matmul(a, w, out=out)
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return calls * B * H * H / statistics.median(times[1:])


def step_macs(B, T, H):
    """Multiply-adds of one step's recurrent products: forward ``h W^T``,
    backward ``dz W`` and ``gW = sum_t dz_t^T h_{t-1}``, each B*T*H*H."""
    return 3 * B * T * H * H


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
    try:
        from importlib.metadata import version
        out['numba_cuda'] = version('numba-cuda')
    except Exception:
        out['numba_cuda'] = None
    return out


def _nvidia_smi(fields, index):
    try:
        res = subprocess.run(['nvidia-smi', '-i', str(index), '--query-gpu=' + fields,
                              '--format=csv,noheader,nounits'],
                             capture_output=True, text=True, timeout=30)
        return [v.strip() for v in res.stdout.strip().split(',')] if res.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def gpu_info(device):
    """The GPU, driver, CUDA and cuDNN versions and the figures the limits use."""
    import cupy
    index = int(device.split(':')[1]) if ':' in device else 0
    rt = cupy.cuda.runtime
    props = rt.getDeviceProperties(index)
    name = props.get('name', b'')
    info = {'gpu': name.decode() if isinstance(name, bytes) else str(name),
            'compute_capability': '{}.{}'.format(props.get('major'), props.get('minor')),
            'sm_count': props.get('multiProcessorCount'),
            'shared_per_block_kib': props.get('sharedMemPerBlock', 0) / 1024,
            'shared_per_sm_kib': props.get('sharedMemPerMultiprocessor', 0) / 1024,
            'cuda_driver_api': rt.driverGetVersion(), 'cuda_runtime': rt.runtimeGetVersion()}
    # clockRate/memoryClockRate (kHz) left cudaDeviceProp in CUDA 13: nvidia-smi then
    clock = props.get('clockRate', 0) / 1000 or None
    mem_clock = props.get('memoryClockRate', 0) / 1000 or None
    bus = props.get('memoryBusWidth') or None
    smi = _nvidia_smi('driver_version,clocks.max.sm,clocks.max.memory', index)
    if smi:
        info['driver'] = smi[0]
        try:
            clock = clock or float(smi[1])
            mem_clock = mem_clock or float(smi[2])
        except (IndexError, ValueError):
            pass
    info['sm_clock_mhz'] = clock
    info['memory_clock_mhz'] = mem_clock
    info['memory_bus_bits'] = bus
    # double data rate: two transfers per memory clock
    info['peak_bandwidth_gbs'] = (2 * mem_clock * 1e6 * bus / 8 / 1e9
                                  if mem_clock and bus else None)
    try:
        import torch
        info['torch_cuda'] = torch.version.cuda
        info['cudnn'] = torch.backends.cudnn.version()
    except Exception:
        info['torch_cuda'] = info['cudnn'] = None
    return info


def step_limits(gpu, B, H, itemsize=4):
    """Rough lower bounds of one recurrence step on this GPU, in microseconds.

    ``fma_chain_us``: each state element is a chain of H dependent
    multiply-adds (about 4 cycles each) at the SM clock; ``memory_us``: the
    step's global-memory traffic (forward: read u_t, write h_t; backward:
    read h_t and gy_t, write dz_t) at the peak bandwidth.  Estimates, not
    measurements; barrier and launch costs come on top.
    """
    out = {}
    if gpu.get('sm_clock_mhz'):
        out['fma_chain_us'] = H * 4 / gpu['sm_clock_mhz']
    if gpu.get('peak_bandwidth_gbs'):
        out['memory_fwd_us'] = 2 * B * H * itemsize / (gpu['peak_bandwidth_gbs'] * 1e3)
        out['memory_bwd_us'] = 3 * B * H * itemsize / (gpu['peak_bandwidth_gbs'] * 1e3)
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
    if impl == 'fused-cuda':
        if device == '@numpy':
            return 'the cuda kernel needs --device @cupy:N'
        sys.path.insert(0, ROOT)
        from chainer_irnn.functions.rnn import irnn_recurrence as rec
        if not rec.cuda_available():
            return 'the cuda kernel cannot run: {!r}'.format(rec._cuda_error or 'no GPU')
    if impl == 'fused-numpy' and device != '@numpy':
        return None   # the xp loop on CuPy
    return None


def time_recurrence(args, skipped):
    """The recurrence alone: medians in seconds and microseconds per step."""
    rows = []
    variants = [(impl, None) for impl in RECURRENCE_IMPLS if impl != 'fused-cuda']
    variants += [('fused-cuda', n) for n in args.cuda_seqs]
    for B in args.batch_sizes:
        for impl, seqs in variants:
            if impl not in args.impls or _available(impl, args.device):
                continue
            row = {'impl': impl if seqs is None or len(args.cuda_seqs) == 1 else
                   '{} s{}'.format(impl, seqs), 'batch': B}
            if seqs is not None:
                row['cuda_seqs'] = seqs
                os.environ['CHAINER_IRNN_CUDA_SEQS'] = str(seqs)
            try:
                fns = recurrence_fns(impl, B, args.T, args.hidden, args.device, args.seed)
                if fns is None:
                    continue
                forward, forward_backward, sync = fns
                for what, fn in (('forward', forward), ('forward_backward', forward_backward)):
                    times, _ = time_steps(fn, sync, max(1, args.warmup),
                                          args.recurrence_repeats)
                    med = statistics.median(times)
                    row[what + '_s'] = med
                    row[what + '_us_per_step'] = med / args.T * 1e6
            except Exception as e:
                skipped['recurrence {} batch {}'.format(impl, B)] = 'FAILED: {!r}'.format(e)
                print('  recurrence {:12s} batch {:4d}: FAILED {!r}'.format(impl, B, e),
                      file=sys.stderr, flush=True)
                continue
            rows.append(row)
            print('  recurrence {:12s} batch {:4d}: {:.2f} us/step forward, {:.2f} forward+'
                  'backward'.format(impl, B, row['forward_us_per_step'],
                                    row['forward_backward_us_per_step']),
                  file=sys.stderr, flush=True)
    for r in rows:
        ref = [x for x in rows if x['batch'] == r['batch'] and x['impl'] == 'torch']
        for what in ('forward', 'forward_backward'):
            r[what + '_ratio_to_torch'] = (r[what + '_s'] / ref[0][what + '_s']) if ref else None
    return rows


def run_epoch(name, args):
    """One epoch of ``chainer-irnn train`` in a fresh process, timed end to end."""
    import shutil
    import tempfile
    out = tempfile.mkdtemp(prefix='bench_epoch_')
    kernel = 'cuda' if args.device.startswith('@cupy') else 'auto'
    cmd = [sys.executable, '-m', 'chainer_irnn', 'train'] + EPOCH_RUNS[name] + [
        '--epoch', '1', '--device', args.device, '--out', out, '--no-progress',
        '--seed', str(args.seed)]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''),
               CHAINER_IRNN_KERNEL=kernel)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    row = {'run': name, 'kernel': kernel, 'cmd': ' '.join(cmd[1:]), 'wall_s': wall,
           'returncode': res.returncode}
    if res.returncode:
        row['error'] = (res.stderr or res.stdout).strip().splitlines()[-5:]
    try:   # the trainer's own clock (training, evaluation, snapshots; no start-up)
        with open(os.path.join(out, 'log')) as f:
            log = json.load(f)
        row['trainer_elapsed_s'] = log[-1].get('elapsed_time') if log else None
        row['last_log'] = log[-1] if log else None
    except (OSError, ValueError):
        row['trainer_elapsed_s'] = None
    shutil.rmtree(out, ignore_errors=True)
    print('  epoch {:10s}: {:.1f} s wall (exit {})'.format(name, wall, res.returncode),
          file=sys.stderr, flush=True)
    return row


def run(args):
    os.environ['CHAINER_IRNN_CUDA_SEQS'] = str(args.cuda_seqs[0])
    info = versions()
    info['threads'] = args.threads
    info['load_before'] = os.getloadavg()
    if args.device.startswith('@cupy'):
        info['gpu'] = gpu_info(args.device)
    rows, skipped = [], {}
    # the large product, before and after the steps (the machine may change
    # speed while they run: the better of the two is the reference)
    reference = {'gemm_n': REF_GEMM_N, 'before': gemm_rate(args.device, REF_GEMM_N)}
    for B in args.batch_sizes:
        for impl in args.impls:
            why = _available(impl, args.device)
            if why:
                skipped[impl] = why
                continue
            repeats = args.naive_repeats if impl == 'naive' else args.repeats
            try:   # one failing implementation must not cost the others' figures
                built = make_step(impl, B, args.T, args.hidden, args.device, args.seed)
                if built is None:
                    skipped[impl] = 'no CUDA device for torch'
                    continue
                times, cpu = time_steps(built[0], built[1],
                                        args.warmup if impl != 'naive' else 1, repeats)
            except Exception as e:
                skipped['{} batch {}'.format(impl, B)] = 'FAILED: {!r}'.format(e)
                print('  {:12s} batch {:4d}: FAILED {!r}'.format(impl, B, e),
                      file=sys.stderr, flush=True)
                continue
            rows.append({'impl': impl, 'batch': B, 'median_s': statistics.median(times),
                         'min_s': min(times), 'cpu_median_s': statistics.median(cpu),
                         'times_s': times, 'cpu_s': cpu})
            del built
            print('  {:12s} batch {:4d}: median {:.4f} s'.format(impl, B, rows[-1]['median_s']),
                  file=sys.stderr, flush=True)
    reference['after'] = gemm_rate(args.device, REF_GEMM_N)
    reference['macs_per_s'] = max(reference['before'], reference['after'])
    # the product a step repeats T times, alone (one call per product, in a
    # Python loop): what per-step BLAS calls can reach at this batch size
    reference['step_product_macs_per_s'] = {
        B: small_gemm_rate(args.device, B, args.hidden) for B in args.batch_sizes}
    info['reference_gemm'] = reference
    for r in rows:
        r['macs_per_s'] = step_macs(r['batch'], args.T, args.hidden) / r['median_s']
        r['fraction_of_gemm'] = r['macs_per_s'] / reference['macs_per_s']
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
    recurrence = time_recurrence(args, skipped) if args.recurrence_repeats else []
    os.environ['CHAINER_IRNN_CUDA_SEQS'] = str(args.cuda_seqs[0])
    if recurrence and 'gpu' in info:
        for r in recurrence:
            r['limits'] = step_limits(info['gpu'], r['batch'], args.hidden)
    epochs = [run_epoch(name, args) for name in args.epochs]
    info['load_after'] = os.getloadavg()
    epoch = {r['impl']: r['median_s'] * (BLOG_EPOCH_IMAGES // r['batch'])
             for r in rows if r['batch'] == 16 and args.T == 784}
    gpu = args.device.startswith('@cupy')
    result = {'config': {k: v for k, v in vars(args).items() if k != 'memory_child'},
              'machine': info, 'results': rows, 'skipped': skipped, 'memory': memory,
              'recurrence': recurrence, 'epochs': epochs,
              'blog_epoch_estimate_s': epoch,
              'goals': gpu_goals(rows, recurrence, epochs) if gpu else goals(rows, epoch)}
    print_report(result)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


def goals(rows, epoch):
    """The targets, per fused kernel, on wall-clock medians."""
    out = []
    for r in rows:
        if not r['impl'].startswith('fused'):
            continue
        out.append({'goal': '{} >= 0.7 of the large sgemm rate at batch {}'.format(
            r['impl'], r['batch']), 'value': r['fraction_of_gemm'],
            'met': r['fraction_of_gemm'] >= 0.7})
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


def gpu_goals(rows, recurrence, epochs):
    """The GPU targets: fused-cuda against cuDNN, same GPU, same run."""
    out = []
    limit = {16: 0.5, 128: 0.5, 1024: 1.0}
    for r in rows:
        if r['impl'] == 'fused-cuda' and r['batch'] in limit and r['ratio_to_torch'] is not None:
            out.append({'goal': 'training step fused-cuda <= {} x torch at batch {}'.format(
                limit[r['batch']], r['batch']), 'value': r['ratio_to_torch'],
                'met': r['ratio_to_torch'] <= limit[r['batch']]})
    for r in recurrence:
        ratio = r.get('forward_backward_ratio_to_torch')
        if r['impl'].startswith('fused-cuda') and r['batch'] in limit and ratio is not None:
            out.append({'goal': 'recurrence fwd+bwd {} <= {} x cuDNN at batch {}'.format(
                r['impl'], limit[r['batch']], r['batch']), 'value': ratio,
                'met': ratio <= limit[r['batch']]})
    for e in epochs:
        if e['run'] == 'blog' and not e['returncode']:
            out.append({'goal': 'blog preset epoch <= 10 s (wall, end to end)',
                        'value': e['wall_s'], 'met': e['wall_s'] <= 10})
    return out


def _fmt(v, spec='{:.3f}'):
    return '-' if v is None else spec.format(v)


def print_report(result):
    m, cfg = result['machine'], result['config']
    print('IRNN training step, T={T}, H={hidden}, device {device}, threads {threads}'.format(**cfg))
    print('{cpu} ({cores} cores), Python {python}, NumPy {numpy}, Chainer {chainer}, '
          'numba {numba}, numba-cuda {numba_cuda}, torch {torch}, cupy {cupy}'.format(**m))
    if 'gpu' in m:
        print('GPU {gpu} (compute capability {compute_capability}, {sm_count} SMs, '
              'SM clock {sm_clock_mhz} MHz, peak memory bandwidth {peak_bandwidth_gbs} GB/s, '
              'shared memory {shared_per_block_kib:.0f} KiB per block), driver {driver}, '
              'CUDA runtime {cuda_runtime}, torch CUDA {torch_cuda}, cuDNN {cudnn}'.format(
                  **dict({'driver': None}, **m['gpu'])))
    print('load average before {:.2f} / after {:.2f} (1 min)'.format(
        m['load_before'][0], m['load_after'][0]))
    ref = m.get('reference_gemm')
    if ref:
        print('reference: {n} x {n} by {n} x {n} float32 product {:.1f} G multiply-adds/s '
              '(before {:.1f}, after {:.1f}); the (B, {h}) x ({h}, {h}) product alone, one call '
              'each: {}'.format(
                  ref['macs_per_s'] / 1e9, ref['before'] / 1e9, ref['after'] / 1e9,
                  ', '.join('batch {} {:.1f} G ({:.2f})'.format(
                      B, v / 1e9, v / ref['macs_per_s'])
                      for B, v in ref['step_product_macs_per_s'].items()),
                  n=ref['gemm_n'], h=cfg['hidden']))
    print()
    print('| batch | implementation | median s/step | min s/step | G MAC/s | x sgemm | x naive '
          '| x torch | median CPU s/step | CPU x naive | CPU x torch |')
    print('|------:|----------------|--------------:|-----------:|--------:|--------:|--------:'
          '|--------:|------------------:|------------:|------------:|')
    for r in result['results']:
        rate = r.get('macs_per_s')
        print('| {:5d} | {:14s} | {:13.4f} | {:10.4f} | {:>7s} | {:>7s} | {:>7s} | {:>7s} '
              '| {:17.4f} | {:>11s} | {:>11s} |'.format(
                  r['batch'], r['impl'], r['median_s'], r['min_s'],
                  _fmt(None if rate is None else rate / 1e9, '{:.1f}'),
                  _fmt(r.get('fraction_of_gemm')),
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
    if result.get('recurrence'):
        print()
        print('the recurrence alone (T={T}, H={hidden}; torch: nn.RNN incl. its input '
              'GEMM), microseconds per time step:'.format(**cfg))
        print('| batch | implementation | forward us/step | fwd+bwd us/step | fwd x torch '
              '| fwd+bwd x torch | limits us/step (FMA chain, memory fwd/bwd) |')
        print('|------:|----------------|----------------:|----------------:|------------:'
              '|----------------:|------|')
        for r in result['recurrence']:
            lim = r.get('limits') or {}
            print('| {:5d} | {:14s} | {:15.2f} | {:15.2f} | {:>11s} | {:>15s} | {} |'.format(
                r['batch'], r['impl'], r['forward_us_per_step'],
                r['forward_backward_us_per_step'], _fmt(r['forward_ratio_to_torch']),
                _fmt(r['forward_backward_ratio_to_torch']),
                ', '.join('{} {:.3f}'.format(k, v) for k, v in lim.items()) or '-'))
    if result.get('epochs'):
        print()
        print('end-to-end epochs (chainer-irnn train, one epoch, fresh process):')
        for e in result['epochs']:
            print('  {:10s} kernel {:5s} wall {:8.1f} s, trainer elapsed {} s{}'.format(
                e['run'], e['kernel'], e['wall_s'], _fmt(e.get('trainer_elapsed_s'), '{:.1f}'),
                '' if not e['returncode'] else '  FAILED: {}'.format(e.get('error'))))
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
    try:
        check_gpu(args.device)
    except NoGPU as e:
        print('bench_irnn.py: {}'.format(e), file=sys.stderr)
        return 2
    run(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
