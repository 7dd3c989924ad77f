"""Cross-validated tuning (``tune(folds=K)``, ``chainer-irnn tune --folds
K``): every trial a fold ensemble judged out-of-fold, its model exported,
its printed settings redoing it with ``train``."""
import json
import os

import numpy
import pytest

optuna = pytest.importorskip('optuna')

from chainer_irnn import cli, load_model  # NOQA: E402
from chainer_irnn.errors import ParameterError  # NOQA: E402
from chainer_irnn.training import TrainConfig  # NOQA: E402
from chainer_irnn.training.ensemble import fold_indices  # NOQA: E402
from chainer_irnn.training.extensions import OptunaPruning  # NOQA: E402
from chainer_irnn.tuning import StudyMismatch, tune  # NOQA: E402


def toy(n, seed):
    r = numpy.random.RandomState(seed)
    x = r.randn(n, 5, 2).astype(numpy.float32)
    y = (x[:, :, 0].sum(1) > 0).astype(numpy.int32)
    return list(zip(x, y))


BASE = TrainConfig.from_preset('csv', iteration=8, eval_interval=4, min_iteration=0,
                               hidden=(8,), seed=3)


def test_a_trial_is_a_fold_ensemble_judged_out_of_fold(tmp_path):
    train, val, test = toy(24, 1), toy(8, 2), toy(10, 3)
    out = str(tmp_path / 'study')
    r = tune(train, val, None, out, n_trials=2, base=BASE, fixed=('hidden',), folds=3,
             test=test)
    assert (r.best_params['ensemble'], r.best_params['ensemble_folds']) == (3, 3)
    pool = train + val
    folds = fold_indices([int(t) for _, t in pool], 3, BASE.run.seed)
    for t in r.study.trials:
        if t.state.name != 'COMPLETE':
            continue
        trial = os.path.join(out, 'trials', '{:04d}'.format(t.number))
        # the trial's value: each member on the fold it never trained on
        scores = [load_model(os.path.join(trial, 'member-{}'.format(i + 1))).evaluate(
            [pool[j] for j in folds[i]]) for i in range(3)]
        want = sum(len(f) * s['loss'] for f, s in zip(folds, scores)) / len(pool)
        assert t.value == pytest.approx(want, rel=1e-5)
        assert not [n for i in range(3) for n in os.listdir(
            os.path.join(trial, 'member-{}'.format(i + 1))) if n.startswith('snapshot_iter_')]
    assert r.best_value == min(t.value for t in r.study.trials if t.value is not None)
    # the exported model is the best trial's ensemble of 3
    assert json.load(open(os.path.join(out, 'model.json')))['ensemble'] == 3
    best = os.path.join(out, 'trials', '{:04d}'.format(r.best_trial))
    with numpy.load(os.path.join(out, 'model.npz')) as a, \
            numpy.load(os.path.join(best, 'model.npz')) as b:
        assert a.files == b.files and all((a[k] == b[k]).all() for k in a.files)
    # the test data are scored once, with that ensemble
    assert r.test['accuracy'] == pytest.approx(load_model(out).evaluate(test)['accuracy'])
    assert r.test['n'] == 10


def test_a_study_is_resumed_with_its_own_folds_only(tmp_path):
    out = str(tmp_path / 'study')
    tune(toy(24, 1), toy(8, 2), None, out, n_trials=1, base=BASE, folds=2)
    for other in (3, None):
        with pytest.raises(StudyMismatch, match='folds 2 there, {} here'.format(
                'none' if other is None else other)):
            tune(toy(24, 1), toy(8, 2), None, out, n_trials=2, base=BASE, folds=other)


@pytest.mark.parametrize('kw, meta, param', [
    (dict(folds=1), None, 'folds'),
    (dict(folds=True), None, 'folds'),
    (dict(folds=2.0), None, 'folds'),
    (dict(folds=2, base=BASE.replace(ensemble=3), fixed=('ensemble',)), None, 'ensemble'),
    (dict(folds=3, base=BASE.replace(ensemble_folds=4, ensemble=2),
          fixed=('ensemble_folds',)), None, 'ensemble_folds'),
    (dict(base=BASE.replace(ensemble_folds=3), fixed=('ensemble_folds',)), None,
     'ensemble_folds'),
    (dict(folds=40), None, 'a fold would be empty'),
    (dict(folds=2), {'in_size': 2, 'n_class': 2, 'validation': 'test'}, "MNIST's test set"),
])
def test_bad_folds_are_refused_before_any_trial(tmp_path, kw, meta, param):
    kw = dict(dict(base=BASE), **kw)
    with pytest.raises(ParameterError, match=param):
        tune(toy(24, 1), toy(8, 2), meta, str(tmp_path / 's'), n_trials=1, **kw)
    assert not (tmp_path / 's').exists()


class _Trial(object):
    def __init__(self):
        self.reports = []

    def report(self, value, step):
        self.reports.append((step, value))

    def should_prune(self):
        return False


class _Trainer(object):
    def __init__(self, out, loss):
        self.out, self.observation = out, {'validation/main/loss': loss}
        self.updater = type('U', (), {'iteration': 0})()


def test_a_fold_trial_reports_its_first_member_only(tmp_path):
    trial = _Trial()
    ext = OptunaPruning(trial, out=str(tmp_path / 'member-1'))
    ext(_Trainer(str(tmp_path / 'member-1'), 0.7))
    ext(_Trainer(str(tmp_path / 'member-2'), 0.1))      # another member: not reported
    ext(_Trainer(os.path.join(str(tmp_path), '.', 'member-1'), 0.5))
    assert trial.reports == [(1, pytest.approx(0.7)), (2, pytest.approx(0.5))]


def _flags(line):
    """The flags of the printed ``settings:`` line."""
    assert line.startswith('settings: ')
    return line[len('settings: '):].split()


@pytest.mark.parametrize('folds', [None, 2])
def test_the_printed_settings_redo_the_model_with_train(tmp_path, capsys, two_feature_csv,
                                                        folds):
    data = str(two_feature_csv)
    shared = ['--csv', data, '--iteration', '8', '--eval-interval', '4', '--hidden', '8',
              '--seed', '2', '--no-progress']
    out = str(tmp_path / 'tuned')
    rc = cli.main(['tune'] + shared + ['--trials', '1', '--out', out] +
                  ([] if folds is None else ['--folds', str(folds)]))
    printed, err = capsys.readouterr()
    assert rc == 0, err
    line = [x for x in printed.splitlines() if x.startswith('settings: ')][0]
    flags = _flags(line)
    want = ['--ensemble', str(folds or 1)] + ([] if folds is None else
                                              ['--ensemble-folds', str(folds)])
    assert ' '.join(want) in ' '.join(flags)
    if folds:
        assert '{}-fold out-of-fold validation loss'.format(folds) in printed
    again = str(tmp_path / 'again')
    assert cli.main(['train'] + shared + flags + ['--out', again]) == 0, \
        capsys.readouterr().err
    with numpy.load(os.path.join(out, 'model.npz')) as a, \
            numpy.load(os.path.join(again, 'model.npz')) as b:
        assert a.files == b.files
        for k in a.files:
            numpy.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert json.load(open(os.path.join(again, 'model.json'))).get('ensemble', 1) == \
        (folds or 1)


def test_a_presets_ensemble_and_folds_give_way_to_single_model_trials(tmp_path):
    """Folds that come with the base (the csv preset's), not asked for: the
    trials are single models, as with the preset's ensemble."""
    r = tune(toy(24, 1), toy(8, 2), None, str(tmp_path / 's'), n_trials=1,
             base=BASE.replace(ensemble=3, ensemble_folds=10), fixed=('hidden',))
    assert r.best_params['ensemble'] == 1 and not r.best_params.get('ensemble_folds')
    assert json.load(open(os.path.join(str(tmp_path / 's'), 'model.json'))).get(
        'ensemble', 1) == 1
