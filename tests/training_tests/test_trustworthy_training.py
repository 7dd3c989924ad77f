"""Issue 23: figures weighted by examples, defaults that fit small sets, and
messages of a diverged run said once."""
import json
import os

import numpy
import pytest

import chainer

from chainer_irnn import cli
from chainer_irnn.links import IRNN, RecurrentClassifier
from chainer_irnn.training import fit, trainer as trainer_mod
from chainer_irnn.training.config import TrainConfig
from chainer_irnn.training.converter import sequence_converter
from chainer_irnn.training.extensions import evaluate_dataset
from chainer_irnn.training.loss_guard import DivergenceError


def toy(n, T=5, F=2, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, T, F).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(numpy.int32)
    return chainer.datasets.TupleDataset(x, y)


def config(**over):
    base = dict(input='linear', hidden=(8,), optimizer='adam', lr=0.01, batchsize=8,
                iteration=40, eval_interval=4, snapshot_interval=4, log_interval=4,
                progress=False, plots=False, report=False)
    base.update(over)
    return TrainConfig.from_preset(None, **base)


META = {'data': 'arrays', 'data_source': 'test', 'in_size': 2, 'n_class': 2}


def test_validation_figures_are_means_over_examples_not_batches(tmp_path):
    """129 validation sequences go in batches of 128 and 1: the model is right
    on the first 128 and wrong on the last, so the accuracy is 128/129 --
    Chainer's Evaluator said (1 + 0) / 2."""
    numpy.random.seed(0)
    model = chainer.links.Classifier(RecurrentClassifier(
        IRNN(2, (6,), input='linear', input_std=0.3, impl='naive'), 2))
    data = toy(129, seed=3)
    xs = numpy.stack([x for x, _ in data])
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        predicted = model.predictor(xs).array.argmax(axis=1).astype(numpy.int32)
    labels = predicted.copy()
    labels[-1] = 1 - labels[-1]
    val = chainer.datasets.TupleDataset(xs, labels)
    trainer = trainer_mod.build_trainer(model, toy(16), val, config(), str(tmp_path),
                                        chainer.get_device('@numpy'))
    result = trainer.get_extension('validation')()
    assert result['validation/main/accuracy'] == pytest.approx(128 / 129)
    # the loss too: the mean of the 129 per-example losses
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        per_example = chainer.functions.softmax_cross_entropy(
            model.predictor(xs), labels, reduce='no').array
    assert result['validation/main/loss'] == pytest.approx(float(per_example.mean()), rel=1e-5)
    scored = evaluate_dataset(model, val, sequence_converter, chainer.get_device('@numpy'))
    assert scored['n'] == 129 and scored['accuracy'] == pytest.approx(128 / 129)


def test_the_kept_model_and_its_figures_match_a_rescoring(tmp_path):
    """The figures logged for the kept model are what scoring it again gives
    (137 validation sequences: batches of 128 and 9)."""
    train, val = toy(64, seed=1), toy(137, seed=2)
    result = fit(config(), train, val, out=str(tmp_path), meta=META)
    again = evaluate_dataset(result.model, val, sequence_converter,
                             chainer.get_device('@numpy'))
    assert again['loss'] == pytest.approx(result.best['validation/main/loss'], rel=1e-5)
    assert again['accuracy'] == pytest.approx(result.best['validation/main/accuracy'])


def test_fit_scores_the_test_data_once_and_they_choose_nothing(tmp_path):
    train, val = toy(64, seed=1), toy(24, seed=2)
    a = fit(config(), train, val, out=str(tmp_path / 'a'), meta=META, test=toy(30, seed=4))
    b = fit(config(), train, val, out=str(tmp_path / 'b'), meta=META, test=toy(11, seed=5))
    for (k, v), (k2, v2) in zip(sorted(a.model.namedparams()), sorted(b.model.namedparams())):
        numpy.testing.assert_array_equal(v.array, v2.array)
    assert a.best == b.best
    assert a.test['n'] == 30 and b.test['n'] == 11
    saved = json.load(open(os.path.join(str(tmp_path / 'a'), 'test.json')))
    assert saved['accuracy'] == pytest.approx(a.test['accuracy'])
    assert saved['model'] == 'the best validation loss (iteration {})'.format(
        a.best['iteration'])
    # the score is the kept model's
    again = evaluate_dataset(a.model, toy(30, seed=4), sequence_converter,
                             chainer.get_device('@numpy'))
    assert again['accuracy'] == pytest.approx(a.test['accuracy'])


def test_auto_batch_is_at_most_the_training_set():
    run = TrainConfig.from_preset('csv').run
    assert run.auto_batchsize and run.batchsize == 32
    assert [run.batch_for(n) for n in (1, 3, 18, 20, 28, 32, 33, 5000)] == \
        [1, 3, 18, 20, 28, 32, 32, 32]
    fixed = TrainConfig.from_preset('csv', batchsize=64, auto_batchsize=False).run
    assert fixed.batch_for(20) == 64


def _small_csv(tmp_path, n=20):
    rng = numpy.random.RandomState(0)
    x = rng.randn(n, 6).round(3)
    y = (x[:, :3].sum(1) > 0).astype(int)
    path = tmp_path / 'small.csv'
    path.write_text('label,' + ','.join('t{}'.format(i) for i in range(6)) + '\n' + ''.join(
        '{},'.format(y[i]) + ','.join('{:g}'.format(v) for v in x[i]) + '\n' for i in range(n)))
    return str(path)


def test_defaults_train_a_20_sequence_file(tmp_path, capsys):
    csv = _small_csv(tmp_path)
    out = str(tmp_path / 'm')
    rc = cli.main(['train', '--csv', csv, '--out', out, '--no-progress', '--hidden', '8',
                   '--iteration', '8'])
    _, err = capsys.readouterr()
    assert rc == 0, err
    assert '18 training / 2 validation sequences' in err
    assert 'batch 18: all 18 training sequences' in err
    # the csv preset's ensemble: each member trains in batches of 18
    assert json.load(open(os.path.join(out, 'member-1', 'settings.json')))['batchsize'] == 18


def test_an_explicit_batch_too_large_is_refused_before_a_run_length_is_announced(
        tmp_path, capsys):
    csv = _small_csv(tmp_path)
    rc = cli.main(['train', '--csv', csv, '--out', str(tmp_path / 'm'), '--no-progress',
                   '--batchsize', '32'])
    _, err = capsys.readouterr()
    assert rc == 2 and 'Traceback' not in err
    assert err.splitlines()[-1].endswith(
        '--batchsize: 32 is larger than the training set (18 examples)')
    assert 'epochs instead of' not in err


def test_a_run_whose_rollbacks_run_out_says_so_once(tmp_path, caplog):
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
                         train, val, out=str(tmp_path), meta=META)
    finally:
        trainer_mod.build_trainer = real
    assert result.stopped == 'diverged'
    assert caplog.text.count('still diverged after 2 rollbacks') == 1
    assert caplog.text.count('Remedies') == 1
    assert 'still diverging' not in result.message      # no nested repeat of the count
    # the advice names the rate the rollbacks reached, not only the configured one
    assert 'a lower lr (set to 0.01; the 2 rollbacks took it down to 0.0025)' in result.message
