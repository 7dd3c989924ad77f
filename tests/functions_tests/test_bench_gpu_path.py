"""benchmarks/bench_irnn.py's GPU-only code, run on the CPU before a GPU is lent.

A GPU session has minutes; the report code that only a ``--device @cupy:0``
run reaches (device properties, limits, goals, the tables, the end-to-end
epoch runs) is exercised here with a stand-in for CuPy's runtime and
synthetic timings, so that it cannot fail there for a typo.  (It lives with
the function tests because it benchmarks the fused recurrence's kernels.)
"""
import importlib.util
import os
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def bench():
    spec = importlib.util.spec_from_file_location(
        'bench_irnn', os.path.join(ROOT, 'benchmarks', 'bench_irnn.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_defaults(bench):
    args = bench.parse_args(['--device', '@cupy:0'])
    assert args.batch_sizes == [16, 128, 1024]
    assert args.memory_batch == 0 and args.recurrence_repeats == 20
    assert args.epochs == ['blog', 'blog@128']
    assert 'fused-cuda' in args.impls and 'torch' in args.impls
    cpu = bench.parse_args([])
    assert cpu.batch_sizes == [16, 128] and cpu.epochs == [] and cpu.memory_batch == 128
    quick = bench.parse_args(['--quick'])
    assert (quick.T, quick.batch_sizes, quick.memory_batch, quick.epochs) == (50, [16], 0, [])
    with pytest.raises(SystemExit):
        bench.parse_args(['--device', 'cuda:0'])
    with pytest.raises(SystemExit):
        bench.parse_args(['--epochs', 'nonsense'])


def test_no_gpu_is_a_clear_error(bench, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'cupy', None)   # import cupy fails
    assert bench.main(['--device', '@cupy:0']) == 2
    err = capsys.readouterr().err
    assert 'needs CuPy' in err and 'GPU' in err


def fake_cupy(props):
    runtime = types.SimpleNamespace(
        getDeviceProperties=lambda i: props, driverGetVersion=lambda: 12080,
        runtimeGetVersion=lambda: 12060, getDeviceCount=lambda: 1)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def test_gpu_info_and_limits(bench, monkeypatch):
    props = {'name': b'Some GPU', 'major': 9, 'minor': 0, 'multiProcessorCount': 132,
             'sharedMemPerBlock': 49152, 'sharedMemPerMultiprocessor': 233472,
             'memoryBusWidth': 5120}     # no clock rates: as under CUDA 13
    monkeypatch.setitem(sys.modules, 'cupy', fake_cupy(props))
    monkeypatch.setattr(bench, '_nvidia_smi', lambda fields, index: ['580.65', '1980', '2619'])
    bench.check_gpu('@cupy:0')
    with pytest.raises(bench.NoGPU, match='number 1'):
        bench.check_gpu('@cupy:1')
    info = bench.gpu_info('@cupy:0')
    assert info['gpu'] == 'Some GPU' and info['driver'] == '580.65'
    assert info['sm_clock_mhz'] == 1980.0
    assert info['peak_bandwidth_gbs'] == pytest.approx(2 * 2619e6 * 5120 / 8 / 1e9)
    lim = bench.step_limits(info, 16, 100)
    assert lim['fma_chain_us'] == pytest.approx(400 / 1980)
    assert lim['memory_bwd_us'] == pytest.approx(1.5 * lim['memory_fwd_us'])


def test_gpu_report(bench, capsys):
    rows = []
    for B, cuda, torch in ((16, 0.004, 0.010), (128, 0.006, 0.011), (1024, 0.02, 0.015)):
        for impl, t in (('fused-cuda', cuda), ('torch', torch)):
            rows.append({'impl': impl, 'batch': B, 'median_s': t, 'min_s': t,
                         'cpu_median_s': t, 'ratio_to_naive': None,
                         'ratio_to_torch': t / torch, 'cpu_ratio_to_naive': None,
                         'cpu_ratio_to_torch': None})
    recurrence = [{'impl': 'fused-cuda', 'batch': 16, 'forward_s': 0.001,
                   'forward_us_per_step': 1.3, 'forward_backward_s': 0.003,
                   'forward_backward_us_per_step': 3.8, 'forward_ratio_to_torch': 0.5,
                   'forward_backward_ratio_to_torch': 0.6,
                   'limits': {'fma_chain_us': 0.2}}]
    epochs = [{'run': 'blog', 'kernel': 'cuda', 'wall_s': 9.0, 'returncode': 0,
               'trainer_elapsed_s': 7.5},
              {'run': 'blog@128', 'kernel': 'cuda', 'wall_s': 3.0, 'returncode': 1,
               'error': ['boom']}]
    goals = bench.gpu_goals(rows, recurrence, epochs)
    met = {g['goal']: g['met'] for g in goals}
    assert met['training step fused-cuda <= 0.5 x torch at batch 16'] is True
    assert met['training step fused-cuda <= 1.0 x torch at batch 1024'] is False
    assert met['recurrence fwd+bwd fused-cuda <= 0.5 x cuDNN at batch 16'] is False
    assert met['blog preset epoch <= 10 s (wall, end to end)'] is True
    machine = dict(bench.versions(), threads=1, load_before=(0, 0, 0), load_after=(0, 0, 0),
                   gpu={'gpu': 'Some GPU', 'compute_capability': '9.0', 'sm_count': 132,
                        'sm_clock_mhz': 1980, 'peak_bandwidth_gbs': 3352,
                        'shared_per_block_kib': 48, 'cuda_runtime': 12060,
                        'torch_cuda': '12.6', 'cudnn': 90100})
    config = {'T': 784, 'hidden': 100, 'device': '@cupy:0', 'threads': 1}
    bench.print_report({'config': config, 'machine': machine, 'results': rows,
                        'skipped': {'fused-numba': 'CPU only'}, 'memory': [],
                        'recurrence': recurrence, 'epochs': epochs,
                        'blog_epoch_estimate_s': {}, 'goals': goals})
    out = capsys.readouterr().out
    assert 'GPU Some GPU' in out and 'driver None' in out
    assert '|    16 | fused-cuda     |            1.30 |            3.80 |' in out
    assert 'FAILED' in out and 'NOT met' in out


@pytest.mark.slow
def test_epoch_run_on_the_cpu(bench, monkeypatch):
    """The end-to-end epoch runner, on a tiny subset (the real runs are GPU-only)."""
    monkeypatch.setitem(bench.EPOCH_RUNS, 'tiny',
                        ['--preset', 'blog', '--n-train', '16', '--n-test', '16'])
    args = bench.parse_args(['--epochs', 'tiny'])
    row = bench.run_epoch('tiny', args)
    assert row['returncode'] == 0, row.get('error')
    assert row['kernel'] == 'auto' and row['wall_s'] > 0
    assert 0 < row['trainer_elapsed_s'] < row['wall_s']
    assert row['last_log']['epoch'] == 1
