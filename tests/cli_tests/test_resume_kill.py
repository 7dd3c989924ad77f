"""SIGKILL a run with dropout or input noise at random moments, resume it
each time: the final weights and log equal an uninterrupted run's, bit for
bit (issue 22, item 7: the ``irnn`` preset's dropout, the ``csv`` preset's
input noise)."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _newest_snapshot(out):
    from chainer_irnn.training.snapshots import find_snapshots
    found = find_snapshots(str(out)) if os.path.isdir(str(out)) else []
    return found[-1][0] if found else 0


def _final(out):
    params = dict(numpy.load(os.path.join(str(out), 'model.npz')))
    with open(os.path.join(str(out), 'log')) as f:
        log = [{k: v for k, v in e.items() if k != 'elapsed_time'} for e in json.load(f)]
    return params, log


def _long_csv(path, n=64, steps=120):
    rng = numpy.random.RandomState(0)
    x = rng.randn(n, steps).round(3)
    y = (x[:, :steps // 2].sum(1) > 0).astype(int)
    lines = ['label,' + ','.join('f{}'.format(t) for t in range(steps))]
    lines += ['{},'.format(y[i]) + ','.join('{:g}'.format(v) for v in x[i]) for i in range(n)]
    path.write_text('\n'.join(lines) + '\n')
    return path


def _kill_and_resume(tmp_path, args):
    env = dict(os.environ, PYTHONPATH=ROOT)

    def start(out):
        # the per-step graph, so that the random moments fall inside iterations
        cmd = [sys.executable, '-m', 'chainer_irnn', 'train', '--impl', 'naive',
               '--out', str(out), '--snapshot-interval', '1', '--log-interval', '1',
               '--no-progress', '--keep-snapshots', '0'] + args
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)

    clean = tmp_path / 'clean'
    proc = start(clean)
    assert proc.wait() == 0, proc.stderr.read().decode()
    killed = tmp_path / 'killed'
    rng = random.Random(0)
    kills = 0
    for attempt in range(3):
        proc = start(killed)
        seen = _newest_snapshot(killed)
        deadline = time.time() + 300
        while proc.poll() is None and _newest_snapshot(killed) <= seen:
            assert time.time() < deadline, 'no progress'
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 2, 'the schedule should have interrupted training'
    proc = start(killed)
    assert proc.wait() == 0, proc.stderr.read().decode()
    p_clean, log_clean = _final(clean)
    p_killed, log_killed = _final(killed)
    assert log_killed == log_clean, [(a, b) for a, b in zip(log_killed, log_clean) if a != b]
    assert p_clean.keys() == p_killed.keys()
    for k in p_clean:
        numpy.testing.assert_array_equal(p_killed[k], p_clean[k], err_msg=k)


@pytest.mark.slow
def test_sigkill_of_the_irnn_preset_with_dropout_resumes_exactly(tmp_path):
    _kill_and_resume(tmp_path, ['--preset', 'irnn', '--data', 'embedded', '--n-train', '48',
                                '--n-test', '16', '--batchsize', '16', '--iteration', '8',
                                '--eval-interval', '3', '--seed', '3'])


@pytest.mark.slow
def test_sigkill_of_a_csv_run_with_input_noise_resumes_exactly(tmp_path):
    data = _long_csv(tmp_path / 'long.csv')
    _kill_and_resume(tmp_path, ['--csv', str(data), '--iteration', '10', '--min-iteration',
                                '0', '--eval-interval', '3', '--batchsize', '16',
                                '--seed', '3', '--ensemble', '1'])
