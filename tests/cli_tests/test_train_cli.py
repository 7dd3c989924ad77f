"""End-to-end: ``chainer-irnn train`` / ``evaluate`` on the embedded subset."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy
import pytest

from chainer_irnn.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ['--data', 'embedded', '--n-train', '48', '--n-test', '16', '--no-progress']


def train(out, *extra):
    return main(['train', '--preset', 'blog', '--out', str(out)] + TINY + list(extra))


def log_of(out):
    with open(os.path.join(str(out), 'log')) as f:
        return json.load(f)


@pytest.mark.slow
def test_train_writes_log_plots_snapshots_model_and_resumes(tmp_path, capsys):
    assert train(tmp_path, '--iteration', '4', '--snapshot-interval', '2',
                 '--log-interval', '1', '--eval-interval', '2') == 0
    for name in ('log', 'loss.png', 'accuracy.png', 'snapshot_iter_2', 'snapshot_iter_4',
                 'model.npz', 'model.json', 'settings.json'):
        assert (tmp_path / name).is_file(), name
    first = log_of(tmp_path)
    assert [e['iteration'] for e in first] == [1, 2, 3, 4]
    assert 'validation/main/accuracy' in first[1]
    config = json.loads((tmp_path / 'model.json').read_text())
    assert config['preset'] == 'blog' and config['in_size'] == 256 and config['hidden'] == [100]
    settings = json.loads((tmp_path / 'settings.json').read_text())
    assert settings['lr'] == 1e-8 and settings['clip'] == 1.0 and settings['batchsize'] == 16

    # a longer run in the same directory resumes from snapshot 4
    capsys.readouterr()
    assert train(tmp_path, '--iteration', '6', '--snapshot-interval', '2',
                 '--log-interval', '1', '--eval-interval', '2') == 0
    assert 'resumed from' in capsys.readouterr().err
    second = log_of(tmp_path)
    assert [e['iteration'] for e in second] == [1, 2, 3, 4, 5, 6]
    assert second[:4] == first

    assert main(['evaluate', '--model', str(tmp_path), '--data', 'embedded',
                 '--n-test', '16', '--json', str(tmp_path / 'eval.json')]) == 0
    result = json.loads((tmp_path / 'eval.json').read_text())
    assert result['n'] == 16 and 0.0 <= result['accuracy'] <= 1.0


def test_flags_override_preset(tmp_path):
    assert train(tmp_path, '--iteration', '1', '--optimizer', 'adam', '--lr', '0.001',
                 '--batchsize', '8', '--hidden', '12,6') == 0
    settings = json.loads((tmp_path / 'settings.json').read_text())
    assert (settings['optimizer'], settings['lr'], settings['batchsize'],
            settings['hidden']) == ('adam', 0.001, 8, [12, 6])


@pytest.mark.parametrize('args, message', [
    (['--device', '@cupy:0'], 'CuPy'),
    (['--device', 'gpu-please'], '--device'),
    (['--batchsize', '1000'], 'larger than the training set'),
    (['--input', 'embed', '--view', 'rows'], '--view rows does not fit'),
    (['--permute', '1', '--view', 'rows', '--input', 'linear'], 'permut'),
    (['--data', '/nonexistent/mnist'], '/nonexistent/mnist'),
    (['--batchsize', '0'], 'argument --batchsize/-b: expected an integer >= 1, not 0'),
    (['--lr', '-1'], 'argument --lr: expected a number > 0, not -1'),
    (['--lr', 'nan'], 'argument --lr: expected a number > 0, not nan'),
    (['--clip', '-0.5'], 'argument --clip: expected a number >= 0'),
    (['--seed', '-3'], 'argument --seed: expected an integer >= 0'),
    (['--log-interval', '0'], 'argument --log-interval'),
    (['--rollback-factor', '2'], 'argument --rollback-factor: expected a number > 0 and <= 1'),
])
def test_bad_input_is_one_message_and_exit_2(tmp_path, capsys, args, message):
    try:
        rc = train(tmp_path, '--iteration', '1', *args)
    except SystemExit as e:      # argparse's own exit, for flag values
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err
    assert 'Traceback' not in err


def test_evaluate_of_missing_or_corrupt_model(tmp_path, capsys):
    assert main(['evaluate', '--model', str(tmp_path)]) == 2
    assert 'no such model file' in capsys.readouterr().err
    (tmp_path / 'model.npz').write_bytes(b'not a zip')
    (tmp_path / 'model.json').write_text('{"model": "irnn"}')
    assert main(['evaluate', '--model', str(tmp_path)]) == 2
    assert 'missing keys' in capsys.readouterr().err


def test_legacy_integer_device(tmp_path):
    assert train(tmp_path, '--iteration', '1', '--device', '-1') == 0


def _run_cli(out, iterations, env):
    # the per-step graph (about 0.5 s an iteration here), so that the random
    # moments below fall inside iterations rather than after the run
    cmd = [sys.executable, '-m', 'chainer_irnn', 'train', '--preset', 'blog', '--impl', 'naive',
           '--out', str(out), '--iteration', str(iterations), '--snapshot-interval', '1',
           '--log-interval', '1', '--eval-interval', '3', '--seed', '3'] + TINY
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _newest_snapshot(out):
    from chainer_irnn.training.snapshots import find_snapshots
    found = find_snapshots(str(out)) if os.path.isdir(str(out)) else []
    return found[-1][0] if found else 0


def _final(out):
    import chainer
    params = dict(numpy.load(os.path.join(str(out), 'model.npz')))
    log = [{k: v for k, v in e.items() if k != 'elapsed_time'} for e in log_of(out)]
    return params, log, chainer


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_equals_uninterrupted(tmp_path):
    """Kill training (SIGKILL) several times; each restart resumes from the
    newest complete snapshot.  Final parameters and log equal an
    uninterrupted run: nothing lost, nothing counted twice."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    iterations = 9
    clean = tmp_path / 'clean'
    assert _run_cli(clean, iterations, env).wait() == 0

    killed = tmp_path / 'killed'
    rng = random.Random(0)
    kills = 0
    for attempt in range(3):
        proc = _run_cli(killed, iterations, env)
        seen = _newest_snapshot(killed)
        deadline = time.time() + 300
        # wait for progress past the last restart, then kill at a random
        # moment of the following iteration (snapshot writes included)
        while proc.poll() is None and _newest_snapshot(killed) <= seen:
            assert time.time() < deadline, 'no progress'
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.8))
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 2, 'the schedule should have interrupted training'
    assert _run_cli(killed, iterations, env).wait() == 0
    p_clean, log_clean, _ = _final(clean)
    p_killed, log_killed, _ = _final(killed)
    assert log_killed == log_clean, [(a, b) for a, b in zip(log_killed, log_clean) if a != b]
    assert p_clean.keys() == p_killed.keys()
    for k in p_clean:
        numpy.testing.assert_array_equal(p_killed[k], p_clean[k], err_msg=k)


def test_snapshot_of_another_architecture_is_a_clear_error(tmp_path, capsys):
    assert train(tmp_path, '--iteration', '1', '--hidden', '8') == 0
    capsys.readouterr()
    # the folder holds another run: refused before any snapshot is read
    assert train(tmp_path, '--iteration', '2', '--hidden', '9') == 2
    err = capsys.readouterr().err
    assert 'holds another run' in err and '--hidden 8 there, 9 here' in err
    assert 'Traceback' not in err
    # a snapshot given by path, from a folder that records no run
    os.remove(str(tmp_path / 'run.json'))
    os.remove(str(tmp_path / 'settings.json'))
    assert train(tmp_path / 'other', '--iteration', '2', '--hidden', '9', '--resume',
                 str(tmp_path / 'snapshot_iter_1')) == 2
    err = capsys.readouterr().err
    assert 'snapshot_iter_1' in err and 'another architecture' in err
    assert 'Traceback' not in err


def test_model_npz_of_another_architecture_is_a_clear_error(tmp_path, capsys):
    """model.npz holds the description it was saved with: that one is used
    and model.json rewritten (one warning); without it (a model saved before
    model.npz held one), a model.json of another architecture is refused."""
    assert train(tmp_path, '--iteration', '1', '--hidden', '8') == 0
    capsys.readouterr()
    config = json.loads((tmp_path / 'model.json').read_text())
    config['hidden'] = [9]
    (tmp_path / 'model.json').write_text(json.dumps(config))
    args = ['evaluate', '--model', str(tmp_path), '--data', 'embedded', '--n-test', '4']
    assert main(args) == 0
    err = capsys.readouterr().err
    assert 'hidden [9] in model.json, [8] in model.npz' in err and 'rewrote model.json' in err
    assert json.loads((tmp_path / 'model.json').read_text())['hidden'] == [8]
    npz = str(tmp_path / 'model.npz')
    with numpy.load(npz) as f:
        kept = {k: f[k] for k in f.files if k != 'chainer_irnn.model.json'}
    numpy.savez(npz, **kept)
    (tmp_path / 'model.json').write_text(json.dumps(config))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert 'model.npz' in err and 'different models' in err and 'hidden [9]' in err


def test_truncated_model_npz_is_a_clear_error(tmp_path, capsys):
    assert train(tmp_path, '--iteration', '1', '--hidden', '8') == 0
    data = (tmp_path / 'model.npz').read_bytes()
    (tmp_path / 'model.npz').write_bytes(data[:len(data) // 2])
    assert main(['evaluate', '--model', str(tmp_path), '--data', 'embedded',
                 '--n-test', '4']) == 2
    err = capsys.readouterr().err
    assert 'model.npz' in err and 'Traceback' not in err


@pytest.mark.slow
def test_evaluate_is_in_test_mode_and_counts_exactly(tmp_path, capsys):
    # rows-rnn drops 20% of its inputs in training: evaluation must switch that
    # off, so two evaluations agree and match an exact count of the predictions.
    assert main(['train', '--preset', 'rows-rnn', '--out', str(tmp_path), '--iteration', '2',
                 '--batchsize', '8'] + TINY) == 0
    capsys.readouterr()
    results = []
    for k in range(2):
        out = tmp_path / 'eval{}.json'.format(k)
        assert main(['evaluate', '--model', str(tmp_path), '--data', 'embedded',
                     '--n-test', '10', '--batchsize', '4', '--json', str(out)]) == 0
        results.append(json.loads(out.read_text()))
    assert results[0] == results[1]

    import chainer
    from chainer_irnn import models
    from chainer_irnn.datasets import mnist
    model, config = models.load_model(str(tmp_path))
    data = mnist.get_mnist(view=config['view'], source='embedded', n_test=10, n_train=1)
    xs = numpy.stack([x for x, _ in data.test])
    ts = numpy.array([t for _, t in data.test])
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        scores = model.predictor(xs).array
    assert results[0]['correct'] == int((scores.argmax(axis=1) == ts).sum())
    assert results[0]['n'] == 10
    assert '{}/10 images'.format(results[0]['correct']) in capsys.readouterr().out


@pytest.mark.slow
def test_report_off_a_terminal_has_no_escape_sequences(tmp_path, capsys):
    assert train(tmp_path, '--iteration', '2', '--log-interval', '1') == 0
    out = capsys.readouterr().out
    assert 'main/loss' in out
    assert len([line for line in out.splitlines() if line.startswith('0 ')]) == 2
    assert '\x1b' not in out
