"""A run that ends diverged never looks like a success (issue 22, item 14):
a final training loss that is not finite or exploded (no NaN on the way,
so no rollback saw it) ends the run as diverged, with the kept model marked
in model.json, or as an error when nothing is worth keeping; the CLI exits
non-zero with one line."""
import json
import os

import chainer
import numpy
import pytest

from chainer_irnn.cli import main
from chainer_irnn.training import fit, trainer as trainer_mod
from chainer_irnn.training.config import TrainConfig
from chainer_irnn.training.loss_guard import DivergenceError, LossGuard, exploded


def toy(n=48, T=5, F=2, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, T, F).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(numpy.int32)
    return chainer.datasets.TupleDataset(x, y)


def meta():
    return {'data': 'arrays', 'data_source': 'test', 'in_size': 2, 'n_class': 2}


def config(**over):
    base = dict(input='linear', hidden=(8,), optimizer='adam', lr=0.01, batchsize=8,
                iteration=12, eval_interval=4, snapshot_interval=4, log_interval=4,
                progress=False, plots=False, report=False, on_divergence='rollback')
    base.update(over)
    return TrainConfig.from_preset(None, **base)


@pytest.fixture
def exploding(monkeypatch):
    """The training loss turns huge (finite) from iteration 9 on."""
    real = trainer_mod.build_trainer

    def build(model, *a, **k):
        tr = real(model, *a, **k)

        @chainer.training.make_extension(trigger=(1, 'iteration'),
                                         priority=chainer.training.PRIORITY_WRITER + 2)
        def blow_up(trainer):
            if trainer.updater.iteration >= 9:
                trainer.observation['main/loss'] = numpy.float32(1.85e21)
        tr.extend(blow_up)
        return tr
    monkeypatch.setattr(trainer_mod, 'build_trainer', build)


def test_exploded_judges_the_last_loss_against_the_first_and_chance():
    g = LossGuard()
    assert exploded(g) is None
    g.first, g.last = 0.7, 0.5
    assert exploded(g) is None
    g.last = 1.85e21
    assert 'exploded' in exploded(g)
    g.last = float('inf')
    assert 'not finite' in exploded(g) or 'inf' in exploded(g)


def test_a_run_ending_exploded_keeps_the_best_model_marked(tmp_path, exploding):
    out = str(tmp_path)
    result = fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    assert result.stopped == 'diverged'
    assert 'ended diverged' in result.message and 'exploded' in result.message
    assert result.best is not None and 'kept the model of the best evaluation' in result.message
    with open(os.path.join(out, 'model.json')) as f:
        description = json.load(f)
    assert description['stopped'] == 'diverged' and 'exploded' in description['diverged']


def test_a_run_ending_exploded_without_validation_writes_no_model(tmp_path, exploding):
    out = str(tmp_path)
    with pytest.raises(DivergenceError, match='exploded'):
        fit(config(), toy(seed=1), None, out=out, meta=meta())
    assert not os.path.exists(os.path.join(out, 'model.npz'))
    with pytest.raises(DivergenceError, match='exploded'):
        fit(config(on_divergence='stop'), toy(seed=1), toy(16, seed=2),
            out=str(tmp_path / 'stop'), meta=meta())
    assert not os.path.exists(str(tmp_path / 'stop' / 'model.npz'))


def test_cli_exits_non_zero_on_a_diverged_end(tmp_path, capsys, exploding, two_feature_csv):
    rc = main(['train', '--csv', str(two_feature_csv), '--out', str(tmp_path / 'run'),
               '--iteration', '12', '--min-iteration', '0', '--eval-interval', '4',
               '--no-progress', '--hidden', '8'])
    err = capsys.readouterr().err
    assert rc == 2
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1 and 'diverged' in errors[0] and 'Traceback' not in err
    with open(str(tmp_path / 'run' / 'model.json')) as f:
        assert json.load(f)['stopped'] == 'diverged'
