"""Fold ensembles (``ensemble_folds``): the folds, the out-of-fold
validation figures, the refusals, resuming, ``train --config`` and the
estimator."""
import json
import os

import numpy
import pytest

import chainer

from chainer_irnn import IRNNClassifier, load_model
from chainer_irnn.datasets.tabular.preprocess import stratified_folds, stratified_split
from chainer_irnn.errors import ParameterError
from chainer_irnn.training import fit, run_folder, snapshots
from chainer_irnn.training.config import TrainConfig
from chainer_irnn.training.ensemble import fold_indices


def _data(n, seed, classes=2):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, 6, 2).astype('f')
    y = (numpy.digitize(x[:, :, 0].mean(1), [-0.2, 0.2][:classes - 1])).astype(numpy.int32)
    return list(zip(x, y))


META = {'data': 'arrays', 'data_source': 'arrays', 'in_size': 2, 'n_class': 2}


def _config(**kw):
    return TrainConfig.from_preset('csv').replace(**dict(dict(
        iteration=6, eval_interval=2, min_iteration=0, hidden=(8,), progress=False,
        plots=False, report=False, ensemble=3, ensemble_folds=3), **kw))


@pytest.mark.parametrize('k', [2, 3, 5])
def test_folds_are_disjoint_stratified_and_cover_the_pool(k):
    labels = numpy.repeat([0, 1, 2], [13, 7, 4])
    numpy.random.RandomState(1).shuffle(labels)
    folds = stratified_folds(labels, k, seed=3)
    assert len(folds) == k
    joined = numpy.concatenate(folds)
    assert sorted(joined.tolist()) == list(range(len(labels)))      # disjoint, covering
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1
    for c in (0, 1, 2):
        counts = [int((labels[f] == c).sum()) for f in folds]
        assert max(counts) - min(counts) <= 1, (c, counts)
    assert all((numpy.diff(f) > 0).all() for f in folds)
    # seeded: the same seed deals the same folds, another seed others
    again = stratified_folds(labels, k, seed=3)
    assert all((a == b).all() for a, b in zip(folds, again))
    other = stratified_folds(labels, k, seed=4)
    assert any(not numpy.array_equal(a, b) for a, b in zip(folds, other))


def test_the_split_of_a_validation_fraction_is_unchanged():
    """stratified_split and stratified_folds share the per-class shuffle;
    the split recorded runs were read with must not move."""
    labels = numpy.repeat([0, 1, 2], [13, 7, 4])
    rng = numpy.random.RandomState(0)
    train, val = [], []
    for c in numpy.unique(labels):
        idx = numpy.flatnonzero(labels == c)
        rng.shuffle(idx)
        n_val = min(int(round(0.25 * len(idx))), len(idx) - 1)
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    tr, va = stratified_split(labels, 0.25, 0)
    numpy.testing.assert_array_equal(tr, numpy.sort(numpy.concatenate(train)))
    numpy.testing.assert_array_equal(va, numpy.sort(numpy.concatenate(val)))


def _pool_and_folds(train, val, folds, seed):
    pool = list(train) + list(val)
    return pool, fold_indices([int(t) for _, t in pool], folds, seed)


def test_member_i_trains_off_fold_i_and_validates_on_it(tmp_path):
    train, val = _data(30, 0), _data(12, 1)
    out = str(tmp_path / 'ens')
    result = fit(_config(seed=4), train, val, out=out, meta=dict(META, n_train=30, n_test=12))
    pool, folds = _pool_and_folds(train, val, 3, 4)
    for i, fold in enumerate(folds):
        ident = run_folder.read(os.path.join(out, 'member-{}'.format(i + 1)))
        rest = [j for j in range(len(pool)) if j not in set(fold.tolist())]
        assert ident['data']['validation'] == run_folder.fingerprint([pool[j] for j in fold])
        assert ident['data']['train'] == run_folder.fingerprint([pool[j] for j in rest])
        assert ident['settings']['seed'] == 4 + i and ident['settings']['ensemble_folds'] == 0
    assert result.description['ensemble'] == 3 and len(result.members) == 3
    # the ensemble's folder records the folds: its identity and its settings
    assert run_folder.read(out)['settings']['ensemble_folds'] == 3
    settings = json.load(open(os.path.join(out, 'settings.json')))
    assert settings['ensemble_folds'] == 3 and settings['ensemble'] == 3
    # the data the ensemble was given; each member records its share
    assert (settings['n_train'], settings['n_test']) == (30, 12)
    member = json.load(open(os.path.join(out, 'member-1', 'settings.json')))
    assert (member['n_train'], member['n_test']) == (42 - len(folds[0]), len(folds[0]))


def test_the_validation_figure_is_out_of_fold(tmp_path):
    """Each member's kept model on its own fold, weighted by fold size;
    with fewer members than folds, only their folds count."""
    train, val = _data(30, 0, classes=3), _data(15, 1, classes=3)
    meta = dict(META, n_class=3)
    out = str(tmp_path / 'ens')
    result = fit(_config(ensemble=2, ensemble_folds=4), train, val, out=out, meta=meta)
    pool, folds = _pool_and_folds(train, val, 4, 0)
    scores = [load_model(os.path.join(out, 'member-{}'.format(i + 1))).evaluate(
        [pool[j] for j in folds[i]]) for i in range(2)]
    n = sum(len(folds[i]) for i in range(2))
    assert result.best['n'] == n < len(pool)
    want_loss = sum(len(folds[i]) * s['loss'] for i, s in enumerate(scores)) / n
    want_acc = sum(len(folds[i]) * s['accuracy'] for i, s in enumerate(scores)) / n
    assert result.best['validation/main/loss'] == pytest.approx(want_loss, rel=1e-5)
    assert result.best['validation/main/accuracy'] == pytest.approx(want_acc, abs=1e-6)
    assert result.best['out_of_fold'] and result.best['folds'] == 4
    assert result.log == [{'validation/main/loss': result.best['validation/main/loss'],
                           'validation/main/accuracy': result.best['validation/main/accuracy']}]
    # the members' own kept evaluations agree with their fold scores
    for member, s in zip(result.members, scores):
        assert member.best['validation/main/loss'] == pytest.approx(s['loss'], rel=1e-5)


@pytest.mark.parametrize('kw, words', [
    (dict(ensemble=2, ensemble_folds=1), 'not 1'),
])
def test_an_ensemble_that_does_not_fit_its_folds_is_refused(kw, words):
    with pytest.raises(ParameterError, match='ensemble_folds') as e:
        _config(**kw)
    assert words in str(e.value)


def test_members_past_the_folds_validate_on_them_again():
    from chainer_irnn.training.ensemble import member_data
    pool = _data(30, 0)
    data = member_data(_config(ensemble=4, ensemble_folds=3), pool, None, META)
    assert [sorted(map(id, v)) for _, v in data][3] == sorted(map(id, data[0][1]))
    assert len({tuple(sorted(map(id, v))) for _, v in data}) == 3
    _config(ensemble=1, ensemble_folds=1)     # a single model ignores the folds


def test_balanced_weights_with_a_class_of_one_sequence_are_refused_before_training(tmp_path):
    train = _data(30, 0)
    x, _ = train[0]
    train = train + [(x, numpy.int32(2))]        # class 2: one sequence
    meta = dict(META, n_class=3)
    out = tmp_path / 'cw'
    with pytest.raises(ParameterError, match=r"^class_weight: 'balanced' .* class 2") as e:
        fit(_config(class_weight='balanced', ensemble=3, ensemble_folds=3), train, None,
            out=str(out), meta=meta)
    assert 'ensemble_folds=0' in str(e.value)
    assert not out.exists()       # before any member trained
    fit(_config(ensemble=3, ensemble_folds=3), train, None, out=str(out), meta=meta)


def test_a_single_model_ignores_the_folds(tmp_path):
    """``ensemble=1`` has no members to deal folds to: it trains one model
    on the split it is given, as without folds (so ``--ensemble 1`` works
    whatever the preset's folds)."""
    train, val = _data(30, 0), _data(12, 1)
    one = fit(_config(ensemble=1, ensemble_folds=3), train, val, out=str(tmp_path / 'a'),
              meta=META)
    plain = fit(_config(ensemble=1, ensemble_folds=0), train, val, out=str(tmp_path / 'b'),
                meta=META)
    for k, v in _params(plain.model).items():
        numpy.testing.assert_array_equal(_params(one.model)[k], v)
    assert one.description.get('ensemble', 1) == 1


def test_a_fold_ensemble_refuses_mnist_test_as_validation(tmp_path):
    train = _data(30, 0)
    out = tmp_path / 'o'
    with pytest.raises(ParameterError, match='ensemble_folds') as e:
        fit(_config(), train, _data(10, 1), out=str(out), meta=dict(META, validation='test'))
    assert "MNIST's test set" in str(e.value)
    assert not out.exists()     # refused before the folder is touched
    with pytest.raises(ParameterError, match='2 sequences at least'):
        fit(_config(ensemble=2, ensemble_folds=5), _data(1, 0), None, out=str(out), meta=META)


@pytest.mark.parametrize('n,members,folds,expect', [(4, 2, 5, [0, 1]), (2, 3, 10, [0, 1, 0]),
                                                    (3, 3, 10, [0, 1, 2])])
def test_folds_are_a_ceiling_on_small_pools(n, members, folds, expect):
    """Fewer sequences than folds: one fold per sequence, and members past
    them validate on the folds again, in turn (never on data they train on)."""
    from chainer_irnn.training.ensemble import member_data
    pool = _data(n, 0)
    data = member_data(_config(ensemble=members, ensemble_folds=folds), pool, None, META)
    assert [len(v) for _, v in data] == [1] * members
    index = {id(x): i for i, x in enumerate(pool)}
    found = fold_indices([int(t) for _, t in pool], n, _config().run.seed)
    assert [index[id(v[0])] for _, v in data] == [int(found[k][0]) for k in expect]
    for tr, v in data:
        assert len(tr) == n - 1 and id(v[0]) not in {id(x) for x in tr}


@pytest.mark.parametrize('val', [None, []])
def test_without_validation_data_the_folds_come_from_the_training_data(val):
    from chainer_irnn.training.ensemble import member_data
    train = _data(30, 0)
    cfg = _config(ensemble=3, ensemble_folds=3)
    data = member_data(cfg, train, val, META)
    seen = sorted(id(x) for _, v in data for x in v)
    assert seen == sorted(id(train[i]) for i in range(len(train)))   # the folds cover it
    for tr, v in data:
        assert len(tr) + len(v) == 30 and not {id(x) for x in tr} & {id(x) for x in v}


def _params(model):
    return {k: v.array.copy() for k, v in model.namedparams()}


def test_a_killed_fold_ensemble_resumes_exactly(tmp_path):
    train, val = _data(30, 0), _data(12, 1)
    cfg = _config(snapshot_interval=2, dropout=0.2)
    full = fit(cfg, train, val, out=str(tmp_path / 'full'), meta=META)
    part = str(tmp_path / 'part')
    fit(cfg, train, val, out=part, meta=META)
    # killed in member 2 after its second snapshot: member 3 never started
    import shutil
    shutil.rmtree(os.path.join(part, 'member-3'))
    m2 = os.path.join(part, 'member-2')
    for it, path in snapshots.find_snapshots(m2):
        if it > 2:
            os.remove(path)
    for name in ('model.npz', 'model.json'):
        for where in (part, m2):
            os.remove(os.path.join(where, name))
    numpy.random.seed(99)
    resumed = fit(cfg, train, val, out=part, meta=META)
    want = _params(full.model)
    got = _params(resumed.model)
    assert set(got) == set(want)
    for k in want:
        numpy.testing.assert_array_equal(got[k], want[k], err_msg=k)
    assert resumed.best['validation/main/loss'] == full.best['validation/main/loss']
    # another number of folds is another run
    with pytest.raises(run_folder.RunMismatch, match='ensemble_folds 3 there, 4 here'):
        fit(cfg.replace(ensemble_folds=4), train, val, out=part, meta=META)


def _csv(path, n=36, seed=0):
    rng = numpy.random.RandomState(seed)
    rows = ['label,' + ','.join('x{}'.format(t) for t in range(6))]
    for _ in range(n):
        x = rng.randn(6)
        rows.append('{},{}'.format(int(x.mean() > 0), ','.join('{:.4f}'.format(v) for v in x)))
    path.write_text('\n'.join(rows) + '\n')
    return str(path)


def _arrays(folder):
    with numpy.load(os.path.join(folder, 'model.npz')) as f:
        return {k: f[k] for k in f.files}


def test_cli_train_fold_ensemble_and_its_config_replay(tmp_path, capsys):
    from chainer_irnn.cli import main
    data = _csv(tmp_path / 'd.csv')
    out = tmp_path / 'o'
    assert main(['train', '--csv', data, '--ensemble', '2', '--ensemble-folds', '3',
                 '--iteration', '6', '--eval-interval', '2', '--hidden', '8', '--out', str(out),
                 '--no-progress']) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert 'ensemble of 2 members' in last and 'out-of-fold validation loss' in last
    settings = json.loads((out / 'settings.json').read_text())
    assert settings['ensemble_folds'] == 3 and settings['auto_batchsize'] is True
    assert json.loads((out / 'model.json').read_text())['ensemble'] == 2
    # the folder's settings.json deals the same folds and trains the same members
    again = tmp_path / 'again'
    assert main(['train', '--config', str(out), '--out', str(again), '--no-progress']) == 0
    first, second = _arrays(str(out)), _arrays(str(again))
    assert set(first) == set(second)
    for k in first:
        numpy.testing.assert_array_equal(first[k], second[k], err_msg=k)
    # a bad combination is one line naming the flags
    assert main(['train', '--csv', data, '--ensemble', '2', '--ensemble-folds', '1',
                 '--out', str(tmp_path / 'bad')]) == 2
    err = capsys.readouterr().err
    assert '--ensemble-folds: expected 0' in err and 'Traceback' not in err


def test_estimator_param_round_trip_and_fold_fit(tmp_path):
    from sklearn.base import clone
    clf = IRNNClassifier(ensemble=2, ensemble_folds=3, hidden=(8,), epoch=2, min_iteration=0,
                         out=str(tmp_path / 'm'))
    twin = clone(clf)
    assert twin.get_params()['ensemble_folds'] == 3
    assert twin._config(n_train=20).run.ensemble_folds == 3
    assert IRNNClassifier().ensemble_folds == 10     # the csv preset's
    assert IRNNClassifier()._config(n_train=20).run.ensemble_folds == 10
    assert IRNNClassifier(ensemble_folds=0)._config(n_train=20).run.ensemble_folds == 0
    rng = numpy.random.RandomState(0)
    x = rng.randn(40, 5, 2)
    y = numpy.where(x[:, :, 0].mean(1) > 0, 'up', 'down')
    clf.fit(x, y)
    assert clf.best_['out_of_fold'] and clf.best_['folds'] == 3 and clf.best_['n'] < 40
    assert len(clf.predictor_.model.predictor) == 2
    # the run folder's settings give the fold ensemble back
    assert IRNNClassifier.from_settings(str(tmp_path / 'm')).ensemble_folds == 3
    with chainer.using_config('train', False):
        assert clf.predict_proba(x).shape == (40, 2)
    # validation data given are pooled too; with ensemble_folds=0 the members share them
    pooled = clone(clf).set_params(out=None).fit(x, y, X_val=x[:10] + 0.1, y_val=y[:10])
    assert pooled.best_['out_of_fold'] and pooled.best_['n'] < 50
    shared = clone(clf).set_params(out=None, ensemble_folds=0).fit(
        x, y, X_val=x[:10] + 0.1, y_val=y[:10])
    assert not shared.best_.get('out_of_fold') and shared.best_['members'] == 2


def test_with_class_weights_each_fold_is_weighed_as_its_member_chose(tmp_path):
    """Balanced class weights weigh a member's validation loss by the counts
    of its own training data; its fold's share of the out-of-fold loss is
    that same loss."""
    rng = numpy.random.RandomState(5)
    x = rng.randn(45, 6, 2).astype('f')
    y = (x[:, :, 0].mean(1) > 0.3).astype(numpy.int32)          # about 1 in 4 is class 1
    pool = list(zip(x, y))
    result = fit(_config(class_weight='balanced'), pool[:33], pool[33:], out=str(tmp_path / 'e'),
                 meta=META)
    plain = []
    for member, s in zip(result.members, result.best['fold_scores']):
        assert s['loss'] == pytest.approx(member.best['validation/main/loss'], rel=1e-5)
        plain.append(member.model.lossfun is chainer.functions.softmax_cross_entropy)
    assert all(plain)       # the members predict with the plain loss again
    _, folds = _pool_and_folds(pool[:33], pool[33:], 3, 0)
    want = sum(len(f) * s['loss'] for f, s in zip(folds, result.best['fold_scores'])) / 45
    assert result.best['validation/main/loss'] == pytest.approx(want, rel=1e-6)


def test_a_run_recorded_before_fold_ensembles_had_none():
    old = {'data': {}, 'settings': {'ensemble': 3}}
    assert run_folder.differences(old, {'data': {}, 'settings': {
        'ensemble': 3, 'ensemble_folds': 0}}) == []
    assert run_folder.differences(old, {'data': {}, 'settings': {
        'ensemble': 3, 'ensemble_folds': 3}}) == ['ensemble_folds 0 there, 3 here']
