"""Validation-driven training: the best model, plateaus, early stopping,
snapshot retention, and a run that ends with a model instead of an error."""
import json
import os

import numpy
import pytest

import chainer

from chainer_irnn.training import fit, snapshots, trainer as trainer_mod
from chainer_irnn.training.config import TrainConfig
from chainer_irnn.training.extensions import BestModel
from chainer_irnn.training.loss_guard import DivergenceError


def toy(n=48, T=5, F=2, seed=0, flip=0.0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, T, F).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(numpy.int32)
    if flip:
        y = numpy.where(rng.rand(n) < flip, 1 - y, y).astype(numpy.int32)
    return chainer.datasets.TupleDataset(x, y)


def config(**over):
    base = dict(input='linear', hidden=(8,), optimizer='adam', lr=0.01, batchsize=8,
                iteration=40, eval_interval=4, snapshot_interval=4, log_interval=4,
                progress=False, plots=False, report=False)
    base.update(over)
    return TrainConfig.from_preset(None, **base)


def meta():
    return {'data': 'arrays', 'data_source': 'test', 'in_size': 2, 'n_class': 2}


def params(model):
    return {k: v.array.copy() for k, v in model.namedparams()}


def read_log(out):
    with open(os.path.join(out, 'log')) as f:
        return [{k: v for k, v in e.items() if k != 'elapsed_time'} for e in json.load(f)]


def test_fit_keeps_the_best_evaluation_not_the_last_iterate(tmp_path):
    # labels of the validation set flipped: the longer the model learns the
    # training rule, the worse its validation loss, so the best comes early
    train, val = toy(64, seed=1), toy(32, seed=2)
    val = chainer.datasets.TupleDataset(numpy.stack([x for x, _ in val]),
                                        numpy.asarray([1 - t for _, t in val], numpy.int32))
    result = fit(config(), train, val, out=str(tmp_path), meta=meta())
    log = [e for e in result.log if 'validation/main/loss' in e]
    losses = {e['iteration']: e['validation/main/loss'] for e in log}
    best_it = min(losses, key=losses.get)
    assert result.best['iteration'] == best_it < 40
    assert result.best['validation/main/loss'] == pytest.approx(losses[best_it])
    assert result.stopped == 'completed'
    assert 'kept the model of the best validation loss' in result.message
    # the returned and the saved model are the best one: its validation loss
    from chainer_irnn.models import load_model
    saved, _ = load_model(str(tmp_path))
    for k, v in params(result.model.predictor).items():
        numpy.testing.assert_array_equal(params(saved.predictor)[k], v)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        from chainer_irnn.training.converter import sequence_converter
        batch = sequence_converter(list(val), device=None)
        loss = float(result.model(*batch).array)
    assert loss == pytest.approx(losses[best_it], rel=1e-5)


def test_accuracy_ties_break_on_loss():
    m = BestModel(chainer.links.Linear(1, 1), by='accuracy')
    m.iteration, m.loss, m.accuracy = 1, 0.5, 0.8
    assert m._better(0.4, 0.8) and not m._better(0.6, 0.8)
    assert m._better(0.9, 0.9) and not m._better(0.1, 0.7)
    m = BestModel(chainer.links.Linear(1, 1), by='loss')
    m.iteration, m.loss, m.accuracy = 1, 0.5, 0.8
    assert m._better(0.4, 0.1) and not m._better(0.6, 1.0)


def test_early_stopping_and_plateau_decay(tmp_path, caplog):
    # validation on pure noise: nothing generalises, the loss stops improving
    train, val = toy(64, seed=1), toy(64, seed=3, flip=0.5)
    with caplog.at_level('INFO'):
        result = fit(config(iteration=400, patience=4, lr_patience=2, lr_decay=0.1),
                     train, val, out=str(tmp_path), meta=meta())
    assert result.stopped == 'early stopping'
    last = result.log[-1]['iteration']
    assert last < 400
    # stopped exactly `patience` evaluations after the best
    assert last == result.best['iteration'] + 4 * 4
    assert result.best['lr_decays'] >= 1
    assert 'learning rate' in caplog.text and 'early stopping at iteration' in caplog.text
    # the optimizer's rate was lowered: Adam's alpha 0.01 * 0.1 ** decays
    assert snapshots.find_snapshots(str(tmp_path))[-1][0] == last


def test_resume_with_validation_reproduces_uninterrupted_run(tmp_path):
    """Best model, plateau decays and early-stopping counters are in the
    snapshots: a run killed midway and resumed equals an uninterrupted one."""
    train, val = toy(48, seed=1), toy(32, seed=3, flip=0.3)
    cfg = config(iteration=48, patience=50, lr_patience=2, lr_decay=0.5, keep_snapshots=0)
    full = fit(cfg, train, val, out=str(tmp_path / 'full'), meta=meta(), save=False)
    part = str(tmp_path / 'part')
    fit(cfg.replace(iteration=24), train, val, out=part, meta=meta(), save=False)
    os.remove(snapshots.find_snapshots(part)[-1][1])        # killed after 24: 20 is newest
    resumed = fit(cfg, train, val, out=part, meta=meta(), save=False, resume='auto')
    assert resumed.best == full.best and full.best['lr_decays'] >= 1
    for k, v in params(full.model).items():
        numpy.testing.assert_array_equal(params(resumed.model)[k], v)
    assert read_log(part) == read_log(str(tmp_path / 'full'))


def test_snapshot_retention_keeps_the_newest(tmp_path):
    out = str(tmp_path)
    fit(config(keep_snapshots=2), toy(), toy(16, seed=5), out=out, meta=meta(), save=False)
    assert [i for i, _ in snapshots.find_snapshots(out)] == [36, 40]
    fit(config(keep_snapshots=0), toy(), None, out=str(tmp_path / 'all'), meta=meta(),
        save=False)
    assert len(snapshots.find_snapshots(str(tmp_path / 'all'))) == 10


def test_rollbacks_running_out_still_leave_the_best_model(tmp_path, caplog):
    """A run that keeps diverging (NaN at iteration 30 of every attempt)
    ends with the best evaluated model and a message, not an error."""
    train, val = toy(64, seed=1), toy(32, seed=2)
    real = trainer_mod.build_trainer

    def build(model, *a, **k):
        tr = real(model, *a, **k)

        @chainer.training.make_extension(trigger=(1, 'iteration'),
                                         priority=chainer.training.PRIORITY_WRITER + 2)
        def poison(trainer):
            if trainer.updater.iteration >= 30:
                raise DivergenceError(trainer.updater.iteration, 'loss is nan')
        tr.extend(poison)
        return tr
    trainer_mod.build_trainer = build
    try:
        with caplog.at_level('INFO'):
            result = fit(config(on_divergence='rollback', max_rollbacks=2, keep_snapshots=0),
                         train, val, out=str(tmp_path), meta=meta())
    finally:
        trainer_mod.build_trainer = real
    assert result.stopped == 'diverged'
    assert 'still diverged after 2 rollbacks' in result.message
    assert result.best['iteration'] < 30
    assert os.path.exists(os.path.join(str(tmp_path), 'model.npz'))
    assert 'still diverged' in caplog.text
    # without rollback the same run is an error, as before
    trainer_mod.build_trainer = build
    try:
        with pytest.raises(DivergenceError):
            fit(config(), train, val, out=str(tmp_path / 'stop'), meta=meta())
    finally:
        trainer_mod.build_trainer = real


def test_plateaus_count_only_after_warmup():
    link = chainer.links.Linear(1, 1)
    m = BestModel(link, patience=2, warmup=100)

    class T(object):
        pass
    tr = T()
    tr.updater = T()
    tr.updater.epoch_detail = 0.0
    for it, loss in ((10, 0.1), (20, 0.5), (50, 0.5), (90, 0.5), (110, 0.5), (120, 0.5)):
        tr.updater.iteration = it
        tr.observation = {'validation/main/loss': loss}
        m(tr)
        if it < 110:
            assert not m.stopping and m.since_best == 0
    assert m.stopping and m.iteration == 10


def test_cli_train_names_the_kept_model_at_the_end(tmp_path, capsys, two_feature_csv):
    from chainer_irnn import cli
    path = two_feature_csv
    out = str(tmp_path / 'm')
    rc = cli.main(['train', '--csv', str(path), '--iteration', '12', '--eval-interval', '4',
                   '--hidden', '8', '--out', out, '--no-progress', '--val-split', '0.25',
                   '--batchsize', '8', '--ensemble', '1'])
    printed, err = capsys.readouterr()
    assert rc == 0, err
    assert printed.strip().splitlines()[-1].startswith('best model: epoch ')
    assert 'validation loss' in printed and out in printed
    assert 'kept the model of the best validation loss' in err
    settings = json.load(open(os.path.join(out, 'settings.json')))
    assert settings['on_divergence'] == 'rollback' and settings['patience'] == 6


def test_a_test_set_is_logged_but_never_chooses_the_model(tmp_path):
    """``meta['validation'] == 'test'`` (MNIST's evaluation data is its test
    set): it is evaluated for the log, and the model kept is the last
    iterate, the same as a run without evaluation."""
    from chainer_irnn.errors import ParameterError
    from chainer_irnn.models import load_model
    train, val = toy(64, seed=1), toy(32, seed=2)
    val = chainer.datasets.TupleDataset(numpy.stack([x for x, _ in val]),
                                        numpy.asarray([1 - t for _, t in val], numpy.int32))
    on_test = fit(config(), train, val, out=str(tmp_path / 'a'),
                  meta=dict(meta(), validation='test'))
    blind = fit(config(), train, None, out=str(tmp_path / 'b'), meta=meta())
    assert on_test.best is None
    assert any('validation/main/loss' in e for e in on_test.log)   # still logged
    saved, _ = load_model(str(tmp_path / 'a'))
    for k, v in params(blind.model.predictor).items():
        numpy.testing.assert_array_equal(params(saved.predictor)[k], v)
    # the same data as validation would have kept an earlier model (see above)
    chosen = fit(config(), train, val, out=str(tmp_path / 'c'), meta=meta())
    assert chosen.best['iteration'] < 40
    for setting in ('patience', 'lr_patience'):
        with pytest.raises(ParameterError, match='test set'):
            fit(config(**{setting: 2}), train, val, out=str(tmp_path / setting),
                meta=dict(meta(), validation='test'))


def test_mnist_data_marks_its_test_set():
    from chainer_irnn.training import mnist_data
    _, test, m = mnist_data(config(input='embed', view='pixels'), source='embedded',
                            n_train=10, n_test=10, progress=False)
    assert m['validation'] == 'test' and len(test) == 10


def test_model_from_snapshot_script_writes_the_last_iterate(tmp_path):
    """scripts/model_from_snapshot.py: the newest snapshot's parameters as a
    model folder that load_model reads (how issue 15 scored runs that kept
    a test-selected model.npz)."""
    import importlib.util
    from chainer_irnn.models import load_model
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location(
        'model_from_snapshot', os.path.join(root, 'scripts', 'model_from_snapshot.py'))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    train = toy(64, seed=1)
    blind = fit(config(), train, None, out=str(tmp_path / 'run'), meta=meta())
    assert script.main([str(tmp_path / 'run'), str(tmp_path / 'out')]) == 0
    saved, _ = load_model(str(tmp_path / 'out'))
    for k, v in params(blind.model.predictor).items():
        numpy.testing.assert_array_equal(params(saved.predictor)[k], v)
    with pytest.raises(SystemExit, match='no snapshot'):
        script.main([str(tmp_path / 'out'), str(tmp_path / 'out2')])
