"""``class_weight='balanced'``: the loss weighs class c by n / (k n_c) of
the training split, in training and validation; the accuracies, the test
score and the returned model stay plain; the setting travels through
settings.json, resume, ensembles, the estimator, tune and the CLI."""
import json
import os

import chainer
import chainer.functions as F
import chainer.gradient_check
import numpy
import pytest

from chainer_irnn.errors import ParameterError, UserError
from chainer_irnn.training import class_weights, fit
from chainer_irnn.training.config import TrainConfig


def quiet(**over):
    base = dict(progress=False, report=False, plots=False, min_iteration=0, epoch=3,
                ensemble=1, patience=0, lr_patience=0, dropout=0.0, input_noise=0.0)
    base.update(over)
    return TrainConfig.from_preset('csv', **base)


def imbalanced(n_major, n_minor, T=3, shift=1.0, seed=0):
    """Two overlapping classes: steps from N(0, 1) (class 0) or N(shift, 1)."""
    rng = numpy.random.RandomState(seed)
    y = numpy.array([0] * n_major + [1] * n_minor, dtype=numpy.int32)
    x = (rng.randn(len(y), T, 1) + shift * y[:, None, None]).astype(numpy.float32)
    order = rng.permutation(len(y))
    return chainer.datasets.TupleDataset(x[order], y[order])


META = {'data': 'arrays', 'data_source': 'test', 'in_size': 1, 'n_class': 2}


def params(model):
    return {k: v.array.copy() for k, v in model.namedparams()}


# ------------------------------------------------------------------ the weights

@pytest.mark.parametrize('seed', [0, 1, 2])
def test_weights_are_n_over_k_times_n_c(seed):
    rng = numpy.random.RandomState(seed)
    k = rng.randint(2, 7)
    labels = numpy.concatenate([numpy.arange(k), rng.randint(0, k, size=rng.randint(1, 60))])
    data = chainer.datasets.TupleDataset(numpy.zeros((len(labels), 2, 1), numpy.float32),
                                         labels.astype(numpy.int32))
    counts = class_weights.class_counts(data, k)
    w = class_weights.balanced(counts)
    n = len(labels)
    for c in range(k):
        assert w[c] == pytest.approx(n / (k * numpy.sum(labels == c)), rel=1e-6)
    assert float(numpy.dot(w, counts)) / n == pytest.approx(1.0, rel=1e-6)  # mean weight 1
    # as scikit-learn's 'balanced'
    from sklearn.utils.class_weight import compute_class_weight
    numpy.testing.assert_allclose(
        w, compute_class_weight('balanced', classes=numpy.arange(k), y=labels), rtol=1e-6)
    # a list dataset is read example by example, to the same counts
    as_list = [(numpy.zeros((2, 1), numpy.float32), int(t)) for t in labels]
    numpy.testing.assert_array_equal(class_weights.class_counts(as_list, k), counts)


def test_a_class_seen_once_is_fine_and_a_class_never_seen_is_named():
    w = class_weights.balanced([9, 1])
    assert w[1] == pytest.approx(10 / 2) and w[0] == pytest.approx(10 / 18)
    with pytest.raises(ParameterError, match=r"class_weight: 'balanced'.*class 2 of 3 has none"):
        class_weights.balanced([4, 5, 0])


def test_the_weighted_loss_is_the_hand_computed_mean_over_examples():
    rng = numpy.random.RandomState(3)
    y = rng.randn(5, 3).astype(numpy.float32)
    t = numpy.array([0, 2, 2, 1, 0], dtype=numpy.int32)
    w = numpy.array([0.5, 2.0, 1.25], dtype=numpy.float32)
    loss = class_weights.WeightedLoss(w)(chainer.Variable(y), t)
    logp = y - numpy.log(numpy.exp(y).sum(axis=1, keepdims=True))
    # normalised by the number of examples, not by the sum of their weights
    hand = -sum(w[t[i]] * logp[i, t[i]] for i in range(5)) / 5
    assert float(loss.array) == pytest.approx(float(hand), rel=1e-5)
    # equal weights are the plain loss
    plain = class_weights.WeightedLoss(numpy.ones(3))(y, t)
    assert float(plain.array) == pytest.approx(float(F.softmax_cross_entropy(y, t).array))


def test_the_gradient_of_the_weighted_loss():
    """No gradient code of ours (Chainer's class_weight), checked all the same."""
    rng = numpy.random.RandomState(4)
    x = rng.randn(4, 3)
    t = numpy.array([1, 0, 2, 1], dtype=numpy.int32)
    loss = class_weights.WeightedLoss(numpy.array([3.0, 0.5, 1.0]))
    chainer.gradient_check.check_backward(lambda v: loss(v, t), x, numpy.ones((), numpy.float64),
                                          dtype=numpy.float64, atol=1e-5, rtol=1e-4)


# ------------------------------------------------------------------ fit

def test_none_leaves_the_loss_as_it_was(tmp_path):
    train, val = imbalanced(30, 10), imbalanced(15, 5, seed=1)
    default = fit(quiet(), train, val, out=str(tmp_path / 'a'), meta=META)
    none = fit(quiet(class_weight='none'), train, val, out=str(tmp_path / 'b'), meta=META)
    assert default.model.lossfun is F.softmax_cross_entropy
    for k, v in params(none.model).items():
        numpy.testing.assert_array_equal(v, params(default.model)[k], err_msg=k)
    assert 'class_weight' not in json.loads((tmp_path / 'a' / 'model.json').read_text())


def test_validation_is_weighted_the_test_score_and_the_model_plain(tmp_path):
    from chainer_irnn.training.converter import sequence_converter
    from chainer_irnn.training.extensions.evaluator import evaluate_dataset
    train, val = imbalanced(40, 8), imbalanced(20, 4, seed=1)
    result = fit(quiet(class_weight='balanced'), train, val, out=str(tmp_path / 'w'),
                 meta=META, test=val)
    model = result.model
    assert model.lossfun is F.softmax_cross_entropy     # handed back plain
    w = class_weights.balanced(class_weights.class_counts(train, 2))   # the training split's
    x = numpy.stack([val[i][0] for i in range(len(val))])     # all of one length
    t = numpy.array([val[i][1] for i in range(len(val))])
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        scores = model.predictor(x)
    logp = F.log_softmax(scores).array
    nll = -logp[numpy.arange(len(t)), t]
    weighted, plain = float(numpy.mean(w[t] * nll)), float(numpy.mean(nll))
    acc = float(numpy.mean(scores.array.argmax(axis=1) == t))
    assert result.best['validation/main/loss'] == pytest.approx(weighted, rel=1e-4)
    assert result.best['validation/main/accuracy'] == pytest.approx(acc)
    assert result.test['loss'] == pytest.approx(plain, rel=1e-4)
    assert evaluate_dataset(model, val, sequence_converter, model.device)['loss'] == \
        pytest.approx(plain, rel=1e-4)


def test_balanced_weights_raise_the_minority_recall(tmp_path):
    train, val = imbalanced(180, 20, seed=0), imbalanced(90, 10, seed=1)
    test = imbalanced(300, 300, seed=2)
    recall = {}
    for setting in ('none', 'balanced'):
        cfg = quiet(class_weight=setting, hidden=(16,), lr=3e-3, epoch=40, batchsize=32,
                    best_by='loss')
        result = fit(cfg, train, val, out=str(tmp_path / setting), meta=META)
        x = numpy.stack([test[i][0] for i in range(len(test))])
        t = numpy.array([test[i][1] for i in range(len(test))])
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            pred = result.model.predictor(x).array.argmax(axis=1)
        recall[setting] = float(numpy.mean(pred[t == 1] == 1))
    assert recall['balanced'] > recall['none'] + 0.2, recall


def test_settings_json_records_it_and_read_settings_gives_it_back(tmp_path):
    from chainer_irnn.training.settings import read_settings
    out = str(tmp_path / 'run')
    fit(quiet(class_weight='balanced', epoch=1), imbalanced(20, 6), imbalanced(10, 3, seed=1),
        out=out, meta=META)
    with open(os.path.join(out, 'settings.json')) as f:
        assert json.load(f)['class_weight'] == 'balanced'
    assert read_settings(out).config.run.class_weight == 'balanced'
    with open(os.path.join(out, 'run.json')) as f:
        assert json.load(f)['settings']['class_weight'] == 'balanced'


def test_an_older_settings_file_reads_as_none(tmp_path):
    from chainer_irnn.training.settings import read_settings
    path = tmp_path / 'settings.json'
    path.write_text(json.dumps({'preset': 'csv', 'lr': 0.01}))
    assert read_settings(str(path)).config.run.class_weight == 'none'
    path.write_text(json.dumps({'preset': 'csv', 'class_weight': 'inverse'}))
    with pytest.raises(UserError, match=r'key "class_weight" has \'inverse\': must be one of '
                                        r'none, balanced'):
        read_settings(str(path))


def test_resume_is_exact_and_another_class_weight_is_another_run(tmp_path):
    from chainer_irnn.training import run_folder, snapshots
    train, val = imbalanced(30, 6), imbalanced(15, 3, seed=1)
    cfg = quiet(class_weight='balanced', epoch=4, snapshot_interval=2, eval_interval=2,
                keep_snapshots=0, dropout=0.2)
    full = fit(cfg, train, val, out=str(tmp_path / 'full'), meta=META)
    part = str(tmp_path / 'part')
    fit(cfg, train, val, out=part, meta=META)
    first = snapshots.find_snapshots(part)[0][0]
    for it, path in snapshots.find_snapshots(part):
        if it > first:
            os.remove(path)
    resumed = fit(cfg, train, val, out=part, meta=META, resume='auto')
    for k, v in params(resumed.model).items():
        numpy.testing.assert_array_equal(v, params(full.model)[k], err_msg=k)
    with pytest.raises(run_folder.RunMismatch, match='class_weight balanced there, none here'):
        fit(cfg.replace(class_weight='none'), train, val, out=part, meta=META)


def test_a_run_recorded_before_the_setting_was_unweighted():
    from chainer_irnn.training import run_folder
    old = {'data': {}, 'settings': {'lr': 0.1}}
    assert run_folder.differences(old, {'data': {}, 'settings': {
        'lr': 0.1, 'class_weight': 'none'}}) == []
    assert run_folder.differences(old, {'data': {}, 'settings': {
        'lr': 0.1, 'class_weight': 'balanced'}}) == ['class_weight none there, balanced here']


def test_each_ensemble_member_is_weighted(tmp_path):
    from chainer_irnn.training.converter import sequence_converter
    from chainer_irnn.training.extensions.evaluator import evaluate_dataset
    train, val = imbalanced(30, 6), imbalanced(15, 3, seed=1)
    out = tmp_path / 'ens'
    result = fit(quiet(class_weight='balanced', ensemble=2, ensemble_folds=0, epoch=2), train,
                 val, out=str(out), meta=META)
    for i in (1, 2):
        settings = json.loads((out / 'member-{}'.format(i) / 'settings.json').read_text())
        assert settings['class_weight'] == 'balanced'
    assert json.loads((out / 'settings.json').read_text())['class_weight'] == 'balanced'
    # the ensemble's validation loss is measured as its members chose theirs
    w = class_weights.balanced(class_weights.class_counts(train, 2))
    model = class_weights.weigh(result.model, w)
    assert result.best['validation/main/loss'] == pytest.approx(
        evaluate_dataset(model, val, sequence_converter, model.device)['loss'], rel=1e-5)
    assert class_weights.weigh(result.model, None).lossfun is F.softmax_cross_entropy


def test_distributed_counts_are_the_whole_training_split():
    from chainer_irnn.training import distributed

    class OneRank(object):      # the collectives of a world of one
        rank, size, intra_rank = 0, 1, 0

        def bcast_obj(self, obj):
            return obj

        def allreduce_obj(self, obj):
            return obj

    data = imbalanced(12, 4)
    dist = distributed.MultiNode(OneRank(), 'fake')
    shard = chainer.datasets.SubDataset(data, 0, 8)
    # shards made elsewhere: summed over the ranks' shards
    numpy.testing.assert_array_equal(dist.class_counts(shard, 2),
                                     class_weights.class_counts(shard, 2))
    # as load() read them: rank 0's whole training set
    dist._whole_train = data
    numpy.testing.assert_array_equal(dist.class_counts(shard, 2), [12, 4])
    numpy.testing.assert_array_equal(distributed.Distribution().class_counts(data, 2), [12, 4])


# ------------------------------------------------------------------ estimator, tune, CLI

def test_estimator_parameter_follows_scikit_learn():
    from sklearn.base import clone

    from chainer_irnn import IRNNClassifier
    assert IRNNClassifier().get_params()['class_weight'] is None
    clf = clone(IRNNClassifier(class_weight='balanced'))
    assert clf.class_weight == 'balanced'
    assert clf._config(n_train=40).run.class_weight == 'balanced'
    assert IRNNClassifier()._config(n_train=40).run.class_weight == 'none'
    for bad in ({0: 1.0, 1: 3.0}, 'none', 'inverse'):
        with pytest.raises(ParameterError, match=r"class_weight: expected None or 'balanced'"):
            IRNNClassifier(class_weight=bad)._config(n_train=40)


def test_estimator_fits_weighted_and_from_settings_gives_it_back(tmp_path):
    from chainer_irnn import IRNNClassifier
    data = imbalanced(40, 10)
    X = numpy.stack([data[i][0] for i in range(len(data))])
    y = numpy.array(['a' if data[i][1] == 0 else 'b' for i in range(len(data))])
    clf = IRNNClassifier(class_weight='balanced', hidden=(8,), epoch=2, min_iteration=0,
                         ensemble=1, out=str(tmp_path / 'est')).fit(X, y)
    assert clf.class_weight == 'balanced'
    again = IRNNClassifier.from_settings(str(tmp_path / 'est'))
    assert again.class_weight == 'balanced'
    settings = json.loads((tmp_path / 'est' / 'settings.json').read_text())
    settings['class_weight'] = 'none'
    (tmp_path / 's.json').write_text(json.dumps(settings))
    assert IRNNClassifier.from_settings(str(tmp_path / 's.json')).class_weight is None


def test_tune_draws_it_only_where_accuracy_judges():
    import optuna

    from chainer_irnn.tuning.space import SEARCHED, suggest
    assert 'class_weight' in SEARCHED
    trial = optuna.trial.FixedTrial({'class_weight': 'balanced', 'augment_scale_on': False,
                                     'augment_slice_on': False, 'layers': 1,
                                     'hidden_size': 32, 'optimizer': 'adam', 'lr': 1e-3,
                                     'clip': 1.0, 'batchsize': 8, 'identity_scale': 0.9,
                                     'dropout': 0.1, 'input_dropout': 0.0,
                                     'weight_decay': 1e-4, 'pool': 'last',
                                     'bidirectional': False})
    by_acc = quiet(input='linear', best_by='accuracy')
    assert suggest(trial, by_acc, 100)['class_weight'] == 'balanced'
    assert 'class_weight' not in suggest(trial, quiet(input='linear'), 100)
    assert 'class_weight' not in suggest(trial, by_acc, 100, fixed=('class_weight',))


def test_cli_flag(capsys):
    import argparse

    from chainer_irnn.cli import main, train as train_cli
    p = argparse.ArgumentParser()
    train_cli.add_arguments(p, config=True)
    assert train_cli._flag_settings(p.parse_args(['--class-weight', 'balanced']))[
        'class_weight'] == 'balanced'
    assert train_cli._flag_settings(p.parse_args([]))['class_weight'] is None
    with pytest.raises(SystemExit):
        main(['train', '--class-weight', 'inverse'])
    assert "argument --class-weight: invalid choice: 'inverse'" in capsys.readouterr().err
