"""Seed ensembles: the link, fit_ensemble, the model files and the estimator."""
import json
import os

import numpy
import pytest

import chainer
from chainer import gradient_check

from chainer_irnn import IRNNClassifier, load_model
from chainer_irnn.errors import ParameterError, UserError
from chainer_irnn.links import IRNN, Ensemble, RecurrentClassifier
from chainer_irnn.training.config import TrainConfig
from chainer_irnn.training import fit


def _members(k, dtype=numpy.float32):
    numpy.random.seed(3)
    out = []
    for _ in range(k):
        m = RecurrentClassifier(IRNN(2, 4, input='linear', input_std=0.5, impl='naive'), 3)
        for p in m.params():
            p.array = p.array.astype(dtype)
            p.array += numpy.random.uniform(-0.3, 0.3, p.shape).astype(dtype)
        out.append(m)
    return out


def test_ensemble_scores_are_the_log_of_the_mean_probability():
    members = _members(3)
    x = numpy.random.RandomState(0).randn(5, 6, 2).astype('f')
    scores = Ensemble(members)(x).array
    want = numpy.mean([chainer.functions.softmax(m(x)).array for m in members], axis=0)
    numpy.testing.assert_allclose(numpy.exp(scores), want, rtol=1e-5)
    numpy.testing.assert_allclose(chainer.functions.softmax(scores).array, want, rtol=1e-5)


def test_gradient_check_of_ensemble():
    model = Ensemble(_members(2, numpy.float64))
    x = numpy.random.RandomState(1).randn(3, 4, 2)
    gy = numpy.random.RandomState(2).randn(3, 3)
    gradient_check.check_backward(lambda x: model(x, numpy.array([4, 2, 3])), x, gy,
                                  params=tuple(model.params()), dtype=numpy.float64,
                                  atol=1e-5, rtol=1e-4, eps=1e-4)


def _data(n=90, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, 8, 2).astype('f')
    y = (x[:, :, 0].mean(1) > 0).astype(numpy.int32)
    return list(zip(x, y))


def _config(**kw):
    # the members on one split (the preset's folds: test_fold_ensemble.py)
    return TrainConfig.from_preset('csv').replace(
        **dict(dict(epoch=2, min_iteration=0, progress=False, plots=False, report=False,
                    ensemble=1, ensemble_folds=0), **kw))


def test_fit_ensemble_trains_seeded_members_and_averages_them(tmp_path):
    train, val, test = _data(), _data(30, 1), _data(40, 2)
    meta = {'data': 'arrays', 'data_source': 'arrays', 'in_size': 2, 'n_class': 2,
            'n_train': len(train)}
    out = str(tmp_path / 'ens')
    result = fit(_config(seed=5, ensemble=3), train, val, out=out, meta=meta, test=test)
    seeds = [json.load(open(os.path.join(out, 'member-{}'.format(i), 'settings.json')))['seed']
             for i in (1, 2, 3)]
    assert seeds == [5, 6, 7]
    assert result.description['ensemble'] == 3 and len(result.members) == 3
    loaded = load_model(out)
    xs = numpy.stack([x for x, _ in test])
    mean = numpy.mean([load_model(os.path.join(out, 'member-{}'.format(i))).predict_proba(xs)
                       for i in (1, 2, 3)], axis=0)
    numpy.testing.assert_allclose(loaded.predict_proba(xs), mean, rtol=1e-5, atol=1e-6)
    # the test data were scored once, by the ensemble, and chose nothing
    scored = json.load(open(os.path.join(out, 'test.json')))
    assert scored['n'] == 40 and 'ensemble of 3' in scored['model']
    assert not os.path.exists(os.path.join(out, 'member-1', 'test.json'))
    assert result.best['validation/main/accuracy'] == pytest.approx(
        loaded.evaluate(val)['accuracy'], abs=1e-6)


def test_a_finished_ensemble_resumes_without_retraining(tmp_path, caplog):
    train, val = _data(), _data(30, 1)
    out = str(tmp_path / 'ens')
    first = fit(_config(ensemble=2), train, val, out=out)
    with caplog.at_level('INFO', logger='chainer_irnn'):
        again = fit(_config(ensemble=2), train, val, out=out)
    assert caplog.text.count('resumed from') == 2       # each member, from its last snapshot
    x = numpy.stack([x for x, _ in val])
    with chainer.using_config('train', False):     # no input noise
        numpy.testing.assert_array_equal(first.model.predictor(x).array,
                                         again.model.predictor(x).array)


def test_bad_ensemble_sizes_are_refused():
    for bad in (0, 101, 2.5):
        with pytest.raises(ParameterError, match='ensemble'):
            _config(ensemble=bad)


def test_an_ensemble_folder_is_a_run_folder(tmp_path):
    from chainer_irnn.training.run_folder import NotARunFolder, RunMismatch
    train, val, test = _data(), _data(30, 1), _data(20, 2)
    # a single run's folder, and files named as a run's without a record, are refused
    single = str(tmp_path / 'single')
    fit(_config(), train, val, out=single)
    with pytest.raises(RunMismatch, match='ensemble 1 there, 2 here'):
        fit(_config(ensemble=2), train, val, out=single)
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'model.npz').write_text('precious')
    with pytest.raises(NotARunFolder):
        fit(_config(ensemble=2), train, val, out=str(foreign))
    assert (foreign / 'model.npz').read_text() == 'precious'
    # and a single run is refused in an ensemble's folder, even a half-trained one
    ens = str(tmp_path / 'ens')
    fit(_config(ensemble=3), train, val, out=ens, test=test)
    with pytest.raises(RunMismatch, match='ensemble 3 there, 1 here'):
        fit(_config(), train, val, out=ens)
    half = tmp_path / 'half'
    (half / 'member-1').mkdir(parents=True)
    with pytest.raises(NotARunFolder):
        fit(_config(), train, val, out=str(half))
    # a snapshot path is refused up front
    with pytest.raises(ParameterError, match='resume'):
        fit(_config(ensemble=3), train, val, out=ens,
            resume=os.path.join(ens, 'member-1', 'snapshot_iter_6'))
    # starting over with fewer members and no test data leaves nothing stale
    fit(_config(ensemble=2), train, val, out=ens, resume='none')
    names = sorted(os.listdir(ens))
    assert 'test.json' not in names and 'member-3' not in names
    assert {'member-1', 'member-2', 'model.npz', 'run.json', 'settings.json'} <= set(names)


def test_a_diverged_member_marks_the_ensembles_model_json(tmp_path):
    """Whichever member ended diverged, the ensemble's model.json says so."""
    import dataclasses

    from chainer_irnn.training.ensemble import fit_ensemble

    def second_diverges(config, *a, **k):
        result = fit(config, *a, **k)
        if config.run.seed == 1:
            return dataclasses.replace(result, stopped='diverged', message='it blew up')
        return result
    out = str(tmp_path / 'ens')
    result = fit_ensemble(second_diverges, _config(ensemble=2), _data(), _data(30, 1), out=out)
    assert result.stopped == 'diverged' and 'member 2: it blew up' in result.message
    saved = json.loads((tmp_path / 'ens' / 'model.json').read_text())
    assert saved['stopped'] == 'diverged' and 'member 2' in saved['diverged']


@pytest.mark.parametrize('value', [0, 101, 2.5, True, '3'])
def test_a_description_with_a_bad_ensemble_is_refused(value):
    from chainer_irnn.models import check_description
    description = {'model': 'irnn', 'input': 'linear', 'hidden': [4], 'activation': 'relu',
                   'identity_scale': 1.0, 'input_std': 0.001, 'in_size': 2, 'n_class': 2}
    check_description(dict(description, ensemble=3))
    with pytest.raises(UserError, match='ensemble'):
        check_description(dict(description, ensemble=value))


def test_the_ensemble_model_files_hold_each_member(tmp_path):
    clf = IRNNClassifier(epoch=1, min_iteration=0, ensemble=2, out=str(tmp_path / 'm'))
    x = numpy.random.RandomState(0).randn(30, 5, 1)
    clf.fit(x, (x.mean((1, 2)) > 0).astype(int))
    description = json.loads((tmp_path / 'm' / 'model.json').read_text())
    assert description['ensemble'] == 2
    names = set(numpy.load(str(tmp_path / 'm' / 'model.npz')).files)
    assert {'0/head/W', '1/head/W', '0/encoder/rec0/W', '1/encoder/rec0/W'} <= names


def test_estimator_ensemble_predicts_the_mean_of_its_members():
    rng = numpy.random.RandomState(0)
    x = rng.randn(60, 6, 2)
    y = numpy.where(x[:, :, 1].mean(1) > 0, 'up', 'down')
    ens = IRNNClassifier(ensemble=2, epoch=2, min_iteration=0, seed=3).fit(x, y)
    assert ens.predict_proba(x).shape == (60, 2)
    assert set(ens.predict(x)) <= {'up', 'down'}
    members = ens.predictor_.model.predictor
    assert isinstance(members, Ensemble) and len(members) == 2


def test_cli_train_ensemble(tmp_path, capsys):
    from chainer_irnn.cli import main
    rng = numpy.random.RandomState(0)
    rows = ['label,' + ','.join('x{}'.format(t) for t in range(6))]
    for _ in range(60):
        x = rng.randn(6)
        rows.append('{},{}'.format(int(x.mean() > 0), ','.join('{:.4f}'.format(v) for v in x)))
    (tmp_path / 'd.csv').write_text('\n'.join(rows) + '\n')
    out = tmp_path / 'o'
    assert main(['train', '--csv', str(tmp_path / 'd.csv'), '--ensemble', '2', '--epoch', '1',
                 '--min-iteration', '0', '--out', str(out), '--no-progress']) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith('ensemble of 2 members') and str(out / 'model.npz') in last
    assert json.loads((out / 'model.json').read_text())['ensemble'] == 2
    assert json.loads((out / 'member-2' / 'settings.json').read_text())['seed'] == 1
    assert main(['predict', '--model', str(out), '--csv', str(tmp_path / 'd.csv'),
                 '--out', str(tmp_path / 'p.csv')]) == 0
    # the folder's settings.json redoes the ensemble
    assert main(['train', '--config', str(out), '--out', str(tmp_path / 'again'),
                 '--no-progress']) == 0
    assert json.loads((tmp_path / 'again' / 'model.json').read_text())['ensemble'] == 2


def test_the_csv_default_is_an_ensemble_of_three(tmp_path):
    from chainer_irnn.cli import main
    assert TrainConfig.from_preset('csv').run.ensemble == 3
    assert IRNNClassifier().ensemble == 3
    rng = numpy.random.RandomState(1)
    rows = ['label,a,b,c'] + ['{},{:.3f},{:.3f},{:.3f}'.format(i % 2, *rng.randn(3))
                              for i in range(24)]
    (tmp_path / 'd.csv').write_text('\n'.join(rows) + '\n')
    assert main(['train', '--csv', str(tmp_path / 'd.csv'), '--epoch', '1',
                 '--min-iteration', '0', '--out', str(tmp_path / 'o'), '--no-progress']) == 0
    assert json.loads((tmp_path / 'o' / 'model.json').read_text())['ensemble'] == 3
    assert sorted(n for n in os.listdir(tmp_path / 'o') if n.startswith('member-')) == \
        ['member-1', 'member-2', 'member-3']
