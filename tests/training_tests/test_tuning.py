"""chainer_irnn.tuning and ``chainer-irnn tune``: a small study, resumed,
pruned, its best model ready for predict."""
import csv
import os

import numpy
import pytest

optuna = pytest.importorskip('optuna')

from chainer_irnn import cli  # NOQA: E402
from chainer_irnn.errors import ParameterError  # NOQA: E402
from chainer_irnn.training import TrainConfig  # NOQA: E402
from chainer_irnn.training.extensions import OptunaPruning  # NOQA: E402
from chainer_irnn.tuning import tune  # NOQA: E402


def toy(n, seed):
    r = numpy.random.RandomState(seed)
    x = r.randn(n, 5, 2).astype(numpy.float32)
    y = (x[:, :, 0].sum(1) > 0).astype(numpy.int32)
    return list(zip(x, y))


BASE = TrainConfig.from_preset('csv', iteration=24, eval_interval=4, min_iteration=0)


@pytest.mark.slow
def test_tune_keeps_the_best_trial_and_resumes(tmp_path):
    out = str(tmp_path / 'study')
    r = tune(toy(40, 1), toy(20, 2), None, out, n_trials=3, base=BASE)
    assert r.n_complete + r.n_pruned == 3 and r.n_complete >= 1
    for name in ('model.npz', 'model.json', 'study.db', 'trials.csv', 'trials.md', 'study.png'):
        assert os.path.exists(os.path.join(out, name)), name
    rows = list(csv.DictReader(open(os.path.join(out, 'trials.csv'))))
    assert len(rows) == 3
    complete = [float(r_['value']) for r_ in rows if r_['state'] == 'complete']
    assert r.best_value == min(complete)
    # trial folders keep the model and log, not the snapshots
    trial = os.path.join(out, 'trials', '{:04d}'.format(r.best_trial))
    assert os.path.exists(os.path.join(trial, 'model.npz'))
    assert not [f for f in os.listdir(trial) if f.startswith('snapshot_iter_')]
    # the saved model is the best trial's: same validation loss
    from chainer_irnn import load_model
    m = load_model(out)
    xs = [x for x, _ in toy(20, 2)]
    assert m.predict_proba(xs).shape == (20, 2)
    # run again: the study goes on to the new total, other draws than before
    r2 = tune(toy(40, 1), toy(20, 2), None, out, n_trials=5, base=BASE)
    assert len(r2.study.trials) == 5
    params = [t.params for t in r2.study.trials]
    assert params[3] != params[0] and params[4] != params[1]
    assert r2.best_value <= r.best_value


@pytest.mark.slow
def test_fixed_settings_are_not_searched(tmp_path):
    r = tune(toy(40, 1), toy(20, 2), None, str(tmp_path), n_trials=2,
             base=BASE.replace(hidden=(7,), optimizer='sgd'), fixed=('hidden', 'optimizer'))
    for t in r.study.trials:
        assert 'hidden_size' not in t.params and 'optimizer' not in t.params
    import json
    assert json.load(open(os.path.join(str(tmp_path), 'model.json')))['hidden'] == [7]


def test_tune_needs_validation_and_a_budget(tmp_path):
    with pytest.raises(ParameterError, match='val'):
        tune(toy(10, 1), None, None, str(tmp_path), n_trials=1)
    with pytest.raises(ParameterError, match='n_trials'):
        tune(toy(10, 1), toy(4, 2), None, str(tmp_path))


class _Trial(object):
    def __init__(self, prune_at):
        self.reports, self.prune_at = [], prune_at

    def report(self, value, step):
        self.reports.append((step, value))

    def should_prune(self):
        return len(self.reports) >= self.prune_at


class _Trainer(object):
    def __init__(self):
        self.observation = {}
        self.updater = type('U', (), {'iteration': 0})()


def test_pruning_extension_reports_the_best_so_far_per_evaluation():
    trial = _Trial(prune_at=3)
    ext = OptunaPruning(trial)
    tr = _Trainer()
    ext(tr)                          # no evaluation at this iteration: nothing
    assert trial.reports == []
    for loss in (0.9, 0.5):
        tr.observation = {'validation/main/loss': numpy.float32(loss)}
        ext(tr)
    assert trial.reports == [(1, pytest.approx(0.9)), (2, pytest.approx(0.5))]
    tr.observation = {'validation/main/loss': numpy.float32(0.7)}
    with pytest.raises(optuna.TrialPruned):
        ext(tr)
    assert trial.reports[-1] == (3, pytest.approx(0.5))
    acc = OptunaPruning(_Trial(9), 'validation/main/accuracy', 'maximize')
    for a in (0.5, 0.8, 0.6):
        tr.observation = {'validation/main/accuracy': a}
        acc(tr)
    assert [v for _, v in acc.trial.reports] == [0.5, 0.8, 0.8]


def test_cli_tune_on_a_csv_file_then_predict(tmp_path, capsys, two_feature_csv):
    path = two_feature_csv
    out = str(tmp_path / 'tuned')
    rc = cli.main(['tune', '--csv', str(path), '--trials', '2', '--iteration', '12',
                   '--eval-interval', '4', '--hidden', '8', '--out', out, '--no-progress'])
    printed, err = capsys.readouterr()
    assert rc == 0, err
    assert 'best trial' in printed and 'settings: ' in printed and '--hidden' not in printed
    assert '4 steps x 2 features (2 features per step from the column names' in err
    rc = cli.main(['predict', '--model', out, '--csv', str(path), '--out',
                   str(tmp_path / 'p.csv')])
    assert rc == 0, capsys.readouterr().err


@pytest.mark.slow
def test_two_processes_share_the_study(tmp_path):
    out = str(tmp_path)
    r = tune(toy(40, 1), toy(20, 2), None, out, n_trials=4, jobs=2, base=BASE)
    # both processes ran trials (MaxTrialsCallback may let one more finish)
    assert 4 <= len(r.study.trials) <= 5
    assert len({t.params['lr'] for t in r.study.trials}) == len(r.study.trials)


@pytest.mark.slow
def test_tune_scores_the_test_data_once_after_the_search(tmp_path):
    """Issue 23: validation judges the trials; the test data are scored once,
    with the best trial's model, and change nothing of the search."""
    from chainer_irnn import load_model
    runs = []
    for name, test in (('a', toy(16, 3)), ('b', toy(9, 4))):
        out = str(tmp_path / name)
        r = tune(toy(40, 1), toy(20, 2), None, out, n_trials=2, base=BASE, test=test)
        runs.append(r)
        assert r.test['n'] == len(test) and r.test['model'] == \
            'the best trial ({})'.format(r.best_trial)
        assert os.path.exists(os.path.join(out, 'test.json'))
        scored = load_model(out).evaluate(test)
        assert scored['accuracy'] == pytest.approx(r.test['accuracy'])
    assert [t.value for t in runs[0].study.trials] == [t.value for t in runs[1].study.trials]


def test_each_trial_line_says_how_far_the_search_is():
    from chainer_irnn.tuning import _Pace
    clock = [100.0]
    pace = _Pace(n_trials=10, timeout=None, done=2, clock=lambda: clock[0])
    clock[0] += 60
    assert pace.ended() == '3 of 10 trials; about 7 min left'   # 60 s a trial, 7 to go
    clock[0] += 60
    # other processes ended two meanwhile: 4 trials in 120 s, 4 to go
    assert pace.ended(done=6) == '6 of 10 trials; about 2 min left'
    both = _Pace(n_trials=100, timeout=300, clock=lambda: clock[0])
    clock[0] += 100
    assert both.ended() == '1 of 100 trials; about 3 min left'     # the budget ends first
    alone = _Pace(timeout=None, clock=lambda: clock[0])
    assert alone.ended() == '1 trial'


@pytest.mark.slow
def test_tune_logs_its_pace(tmp_path, caplog):
    caplog.set_level('INFO', logger='chainer_irnn')
    tune(toy(40, 1), toy(20, 2), None, str(tmp_path / 's'), n_trials=2, base=BASE)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith('trial ')]
    assert '[1 of 2 trials; about ' in lines[0] and lines[0].endswith(' left]')
    assert lines[1].endswith('[2 of 2 trials; about 0 s left]')


def test_trials_are_single_models_and_an_asked_ensemble_is_refused(tmp_path):
    """A trial is one run: the preset's ensemble is set aside, one asked for is refused;
    and the search draws the pooling."""
    with pytest.raises(ParameterError, match='tune judges single models'):
        tune(toy(40, 1), toy(20, 2), None, str(tmp_path / 'a'), n_trials=1,
             base=BASE.replace(ensemble=3), fixed=('ensemble',))
    r = tune(toy(40, 1), toy(20, 2), None, str(tmp_path / 'b'), n_trials=2,
             base=BASE.replace(ensemble=3, iteration=8))
    import json
    assert 'ensemble' not in json.load(open(os.path.join(str(tmp_path / 'b'), 'model.json')))
    assert all(t.params.get('pool') in ('last', 'mean', 'max') for t in r.study.trials
               if t.state.name == 'COMPLETE')
    assert any('pool' in t.params for t in r.study.trials)


@pytest.mark.parametrize('flags, fixed', [([], False), (['--bidirectional'], True)])
def test_the_bidirectional_flag_fixes_it_for_tune(tmp_path, monkeypatch, flags, fixed):
    """``tune --bidirectional`` trains every trial both ways; without the
    flag the search draws it."""
    from chainer_irnn import tuning
    seen = {}

    def fake(train, val, meta, out, base=None, fixed=(), **kw):
        seen.update(base=base, fixed=fixed)
        raise KeyboardInterrupt
    monkeypatch.setattr(tuning, 'tune', fake)
    x = numpy.random.RandomState(0).randn(20, 3)
    rows = ['label,a0,a1,a2'] + ['{},{:.3f},{:.3f},{:.3f}'.format(i % 2, *x[i])
                                 for i in range(20)]
    (tmp_path / 't.csv').write_text('\n'.join(rows) + '\n')
    assert cli.main(['tune', '--csv', str(tmp_path / 't.csv'), '--out', str(tmp_path / 'o'),
                     '--trials', '1'] + flags) == 130
    assert ('bidirectional' in seen['fixed']) == fixed
    assert seen['base'].model.bidirectional == fixed
