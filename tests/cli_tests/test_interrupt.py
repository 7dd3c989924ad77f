"""Ctrl-C in train keeps the best model so far and says how to continue
(issue 22, item 10)."""
import json
import os
import signal
import subprocess
import sys
import time

import chainer
import numpy
import pytest

from chainer_irnn.cli import main
from chainer_irnn.training import fit, snapshots, trainer as trainer_mod
from chainer_irnn.training.config import TrainConfig
from chainer_irnn.training.fitting import TrainingInterrupted

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def ctrl_c_at_7(monkeypatch):
    real = trainer_mod.build_trainer

    def build(model, *a, **k):
        tr = real(model, *a, **k)

        @chainer.training.make_extension(trigger=(1, 'iteration'), priority=-2000)
        def press(trainer):
            if trainer.updater.iteration == 7:
                raise KeyboardInterrupt
        tr.extend(press)
        return tr
    monkeypatch.setattr(trainer_mod, 'build_trainer', build)


def toy(n=48, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, 5, 2).astype(numpy.float32)
    return chainer.datasets.TupleDataset(x, (x[:, :, 0].sum(1) > 0).astype(numpy.int32))


def test_fit_interrupted_writes_the_best_model_so_far(tmp_path, ctrl_c_at_7):
    cfg = TrainConfig.from_preset(None, input='linear', hidden=(8,), optimizer='adam', lr=0.01,
                                  batchsize=8, iteration=12, eval_interval=3,
                                  snapshot_interval=2, progress=False, plots=False,
                                  report=False)
    meta = {'data': 'arrays', 'data_source': 'test', 'in_size': 2, 'n_class': 2}
    out = str(tmp_path)
    with pytest.raises(TrainingInterrupted) as e:
        fit(cfg, toy(seed=1), toy(16, seed=2), out=out, meta=meta)
    assert e.value.iteration == 7 and e.value.snapshot.endswith('snapshot_iter_6')
    assert 'best evaluation so far (iteration 6' in e.value.kept
    with open(os.path.join(out, 'model.json')) as f:
        assert json.load(f)['stopped'] == 'interrupted'
    # without validation, the newest snapshot's model
    with pytest.raises(TrainingInterrupted) as e:
        fit(cfg, toy(seed=1), None, out=str(tmp_path / 'noval'), meta=meta)
    assert 'newest snapshot (snapshot_iter_6)' in e.value.kept
    assert os.path.exists(str(tmp_path / 'noval' / 'model.npz'))


def test_cli_interrupted_says_how_to_continue(tmp_path, capsys, ctrl_c_at_7, two_feature_csv):
    out = tmp_path / 'run'
    rc = main(['train', '--csv', str(two_feature_csv), '--out', str(out), '--iteration', '12',
               '--min-iteration', '0', '--eval-interval', '3', '--snapshot-interval', '2',
               '--no-progress', '--hidden', '8', '--ensemble', '1'])
    err = capsys.readouterr().err
    assert rc == 130 and 'Traceback' not in err
    line = [x for x in err.splitlines() if 'interrupted' in x][-1]
    assert 'kept the model of the best evaluation so far' in line
    assert 'run the same command again to continue from' in line and 'snapshot_iter_6' in line
    assert (out / 'model.npz').is_file()


@pytest.mark.slow
def test_sigint_in_a_real_run_then_the_same_command_finishes(tmp_path, two_feature_csv):
    out = tmp_path / 'run'
    cmd = [sys.executable, '-m', 'chainer_irnn', 'train', '--csv', str(two_feature_csv),
           '--out', str(out), '--iteration', '400', '--min-iteration', '0', '--impl', 'naive',
           '--eval-interval', '5', '--snapshot-interval', '5', '--no-progress', '--hidden',
           '64', '--batchsize', '4', '--ensemble', '1']
    env = dict(os.environ, PYTHONPATH=ROOT)
    # a shell's background job (nohup ... &) ignores SIGINT, and a child inherits that:
    # give the run the default, so Ctrl-C reaches it as it would a user's
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not snapshots.find_snapshots(str(out)) or \
            snapshots.find_snapshots(str(out))[-1][0] < 10:
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert 'Traceback' not in err and 'run the same command again' in err
    assert (out / 'model.npz').is_file()
    proc = subprocess.run(cmd[:cmd.index('--iteration') + 1] + ['20'] +
                          cmd[cmd.index('--iteration') + 2:], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert 'resumed from' in proc.stderr
