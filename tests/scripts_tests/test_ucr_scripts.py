"""scripts/ts_to_csv.py and benchmarks/dtw_1nn.py on tiny hand-written .ts files."""
import os
import subprocess
import sys

import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, 'scripts')
BENCHMARKS = os.path.join(ROOT, 'benchmarks')

UNIVARIATE = """# a comment
@problemName toy
@univariate true
@data
0,1,2:a
5,4,3:b
"""
MULTIVARIATE = """@data
1,2,3:4,5,6:x
7,8:9,10:y
"""


def run(script, *args, folder=SCRIPTS):
    return subprocess.run([sys.executable, os.path.join(folder, script)] + [str(a) for a in args],
                          capture_output=True, text=True)


def test_univariate_equal_lengths_become_wide(tmp_path):
    ts = tmp_path / 'u.ts'
    ts.write_text(UNIVARIATE)
    res = run('ts_to_csv.py', ts, tmp_path / 'u.csv')
    assert res.returncode == 0, res.stderr
    assert '2 cases, 1 dimension(s), length 3 -> wide layout' in res.stdout
    frame = pd.read_csv(tmp_path / 'u.csv')
    assert list(frame.columns) == ['label', 't1', 't2', 't3']
    assert frame.values.tolist() == [['a', 0, 1, 2], ['b', 5, 4, 3]]


def test_multivariate_variable_lengths_become_long(tmp_path):
    ts = tmp_path / 'm.ts'
    ts.write_text(MULTIVARIATE)
    res = run('ts_to_csv.py', ts, tmp_path / 'm.csv')
    assert res.returncode == 0, res.stderr
    assert 'length 2-3 -> long layout' in res.stdout
    frame = pd.read_csv(tmp_path / 'm.csv')
    assert list(frame.columns) == ['id', 't', 'd1', 'd2', 'label']
    assert frame.values.tolist() == [[0, 0, 1, 4, 'x'], [0, 1, 2, 5, 'x'], [0, 2, 3, 6, 'x'],
                                     [1, 0, 7, 9, 'y'], [1, 1, 8, 10, 'y']]


def test_bad_values_name_the_line(tmp_path):
    ts = tmp_path / 'bad.ts'
    ts.write_text('@data\n1,2:a\n1,zz:b\n')
    res = run('ts_to_csv.py', ts, tmp_path / 'bad.csv')
    assert res.returncode != 0 and 'bad.ts, line 3' in res.stderr


@pytest.mark.slow
def test_dtw_1nn_aligns_shifted_shapes(tmp_path):
    pytest.importorskip('numba')
    # each test series is a training series shifted in time: Euclidean 1-NN
    # would pick the other class for the second one, DTW aligns it
    (tmp_path / 'train.ts').write_text('@data\n0,0,5,0,0,0:peak\n0,0,0,1,1,1:step\n')
    (tmp_path / 'test.ts').write_text('@data\n0,0,0,0,5,0:peak\n0,1,1,1,1,1:step\n')
    res = run('dtw_1nn.py', tmp_path / 'train.ts', tmp_path / 'test.ts', folder=BENCHMARKS)
    assert res.returncode == 0, res.stderr
    assert 'accuracy 1.0000 (2/2)' in res.stdout


@pytest.mark.slow
def test_plot_logs_draws_several_runs_and_refuses_a_foreign_file(tmp_path):
    pytest.importorskip('matplotlib')
    import json
    for name, acc in (('a', [0.1, 0.5]), ('b', [0.2, 0.6, 0.7])):
        (tmp_path / name).mkdir()
        (tmp_path / name / 'log').write_text(json.dumps(
            [{'epoch': i + 1, 'validation/main/accuracy': v} for i, v in enumerate(acc)]))
    png = tmp_path / 'both.png'
    res = run('plot_logs.py', 'first={}'.format(tmp_path / 'a' / 'log'), tmp_path / 'b' / 'log',
              '--out', png)
    assert res.returncode == 0, res.stderr
    assert png.read_bytes()[:4] == b'\x89PNG'
    (tmp_path / 'c.log').write_text('not json')
    res = run('plot_logs.py', tmp_path / 'c.log', '--out', tmp_path / 'x.png')
    assert res.returncode != 0 and 'c.log: not a training log' in res.stderr


def test_plot_logs_images_axis_scales_iterations_by_the_batch(tmp_path):
    import importlib.util
    import json
    spec = importlib.util.spec_from_file_location('plot_logs',
                                                  os.path.join(SCRIPTS, 'plot_logs.py'))
    plot_logs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plot_logs)
    (tmp_path / 'log').write_text(json.dumps(
        [{'iteration': 10, 'validation/main/accuracy': 0.3},
         {'iteration': 20, 'main/loss': 1.0},
         {'iteration': 30, 'validation/main/accuracy': 0.5}]))
    with pytest.raises(SystemExit, match='needs the batch size'):
        plot_logs.series(str(tmp_path / 'log'), 'validation/main/accuracy', 'images')
    (tmp_path / 'settings.json').write_text(json.dumps({'batchsize': 128, 'processes': 2}))
    assert plot_logs.series(str(tmp_path / 'log'), 'validation/main/accuracy', 'images') == [
        (2560, 0.3), (7680, 0.5)]
    assert plot_logs.series(str(tmp_path / 'log'), 'validation/main/accuracy', 'iteration') == [
        (10, 0.3), (30, 0.5)]
