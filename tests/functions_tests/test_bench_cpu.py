"""benchmarks/bench_irnn.py on the CPU, end to end at a toy size: a smoke test.

The figures of docs/performance.md come from this script; it runs here in
a subprocess (its thread settings must precede NumPy's import) so that a
change to the package cannot break it unnoticed.  No timing is judged (the
goals are the benchmark's business); the test pins what the report
contains and how the rate is defined (3 B T H^2 multiply-adds per step).
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_cpu_run_reports_rates(tmp_path):
    out = tmp_path / 'bench.json'
    res = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'benchmarks', 'bench_irnn.py'), '--quick',
         '--impls', 'naive,fused-numpy,fused-numba', '--json', str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stderr
    result = json.loads(out.read_text())
    rows = {r['impl']: r for r in result['results']}
    assert set(rows) == {'naive', 'fused-numpy', 'fused-numba'}
    ref = result['machine']['reference_gemm']
    assert ref['macs_per_s'] == max(ref['before'], ref['after']) > 0
    assert set(ref['step_product_macs_per_s']) == {'16'}   # JSON keys are strings
    T = result['config']['T']
    for r in rows.values():
        # 3 products of B*T*H*H multiply-adds per step, over the median time
        assert r['macs_per_s'] * r['median_s'] == \
            pytest.approx(3 * 16 * T * 100 * 100)
        assert r['fraction_of_gemm'] == \
            pytest.approx(r['macs_per_s'] / ref['macs_per_s'])
    goals = [g['goal'] for g in result['goals']]
    assert 'fused-numba >= 0.7 of the large sgemm rate at batch 16' in goals
    assert 'x sgemm' in res.stdout and 'reference: 2048 x 2048' in res.stdout
