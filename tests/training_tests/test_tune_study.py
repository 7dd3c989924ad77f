"""A study is one search (issue 22, items 6 and 15): it records its data
fingerprint, ``best_by`` and shared settings, and refuses another search in
one line; processes joining it draw with other seeds; a damaged study.db or
a file as the study folder is one line."""
import os

import numpy
import pytest

optuna = pytest.importorskip('optuna')

from chainer_irnn.cli import main  # NOQA: E402
from chainer_irnn.errors import UserError  # NOQA: E402
from chainer_irnn.training import TrainConfig  # NOQA: E402
from chainer_irnn import tuning  # NOQA: E402


def toy(n, seed, swap=False):
    r = numpy.random.RandomState(seed)
    x = r.randn(n, 5, 2).astype(numpy.float32)
    y = (x[:, :, 0].sum(1) > 0).astype(numpy.int32)
    return list(zip(x, 1 - y if swap else y))


BASE = TrainConfig.from_preset('csv', iteration=4, eval_interval=2, min_iteration=0, ensemble=1)


def test_another_criterion_or_other_data_into_a_study_is_refused(tmp_path):
    out = str(tmp_path)
    tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=1, base=BASE)
    with pytest.raises(tuning.StudyMismatch) as e:
        tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=2,
                    base=BASE.replace(best_by='accuracy'))
    assert "best_by loss there, accuracy here" in str(e.value)
    # the remedy it gives is one that works: a second study in one folder is refused
    assert 'another folder (out)' in str(e.value) and 'study' not in str(e.value).split(';')[-1]
    with pytest.raises(tuning.StudyMismatch, match='other training data'):
        tuning.tune(toy(24, 1, swap=True), toy(12, 2), None, out, n_trials=2, base=BASE)
    with pytest.raises(tuning.StudyMismatch, match='other validation data'):
        tuning.tune(toy(24, 1), toy(12, 3), None, out, n_trials=2, base=BASE)
    # the same search resumes
    r = tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=2, base=BASE)
    assert len(r.study.trials) == 2


def test_a_process_joining_a_study_draws_other_settings(tmp_path):
    """Two searches started together on one study: the one that did not
    create it must not replay the creator's draws (they shared seeds)."""
    first = tuning.tune(toy(24, 1), toy(12, 2), None, str(tmp_path / 'a'), n_trials=2,
                        base=BASE)
    joined = str(tmp_path / 'b')
    os.makedirs(joined)
    # another process created the study a moment before, no trial yet
    from chainer_irnn.training.fitting import infer_meta
    trials = BASE.replace(ensemble=1, ensemble_folds=0)     # what tune's trials train
    ident = tuning._identity(toy(24, 1), toy(12, 2), infer_meta(toy(24, 1), trials), trials, ())
    assert tuning._claim_study(optuna, joined, BASE, 'chainer-irnn', ident) is True
    second = tuning.tune(toy(24, 1), toy(12, 2), None, joined, n_trials=2, base=BASE)
    assert [t.params for t in first.study.trials] != [t.params for t in second.study.trials]


def test_a_damaged_study_db_is_one_line(tmp_path, capsys, two_feature_csv):
    (tmp_path / 'study.db').write_bytes(b'this is not a database at all' * 100)
    with pytest.raises(UserError, match='study.db: not a readable study database'):
        tuning.tune(toy(24, 1), toy(12, 2), None, str(tmp_path), n_trials=1, base=BASE)
    rc = main(['tune', '--csv', str(two_feature_csv), '--out', str(tmp_path), '--trials', '1',
               '--iteration', '4', '--no-progress'])
    err = capsys.readouterr().err
    assert rc == 2 and 'Traceback' not in err and 'study.db' in err


def test_a_file_as_the_study_folder_is_one_line(tmp_path, capsys, two_feature_csv):
    target = tmp_path / 'afile'
    target.write_text('x')
    rc = main(['tune', '--csv', str(two_feature_csv), '--out', str(target), '--trials', '1',
               '--iteration', '4', '--no-progress'])
    err = capsys.readouterr().err
    assert rc == 2 and 'Traceback' not in err and 'afile' in err
    assert target.read_text() == 'x'


def test_a_second_study_in_one_folder_is_refused(tmp_path, capsys, two_feature_csv):
    """Trial numbers restart at 0 in each study: a second study in one
    folder would overwrite the first one's trials/0000 and OUT/model.*."""
    out = str(tmp_path / 'T')
    tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=1, base=BASE, study_name='s1')
    kept = {p: open(os.path.join(out, p), 'rb').read()
            for p in ('model.npz', 'model.json', os.path.join('trials', '0000', 'model.npz'))}
    with pytest.raises(UserError) as e:
        tuning.tune(toy(24, 1, swap=True), toy(12, 3), None, out, n_trials=1, base=BASE,
                    study_name='s2')
    assert "holds study 's1'" in str(e.value) and 'another folder' in str(e.value)
    rc = main(['tune', '--csv', str(two_feature_csv), '--out', out, '--study', 's2',
               '--trials', '1', '--iteration', '4', '--no-progress'])
    err = capsys.readouterr().err
    assert rc == 2 and 'Traceback' not in err
    line = err.strip().splitlines()[-1]
    assert "holds study 's1'" in line and '--out' in line and '--study s1' in line
    for p, data in kept.items():
        assert open(os.path.join(out, p), 'rb').read() == data, p
    assert [s.study_name for s in optuna.get_all_study_summaries(
        tuning._storage(optuna, out))] == ['s1']
    # the study the folder holds resumes
    r = tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=2, base=BASE, study_name='s1')
    assert len(r.study.trials) == 2


def test_the_later_of_two_studies_started_together_gives_way(tmp_path, monkeypatch):
    from chainer_irnn.training.fitting import infer_meta
    trials = BASE.replace(ensemble=1, ensemble_folds=0)     # what tune's trials train
    ident = tuning._identity(toy(24, 1), toy(12, 2), infer_meta(toy(24, 1), trials), trials, ())
    out = str(tmp_path)
    assert tuning._claim_study(optuna, out, BASE, 'mine', ident) is True
    # a second process checked before 'mine' existed, then created its study:
    # it sees 'mine' made before it, removes its own study and refuses
    real = tuning._other_studies
    calls = []

    def racing(storage, name):
        calls.append(name)
        return [] if len(calls) == 1 else real(storage, name)
    monkeypatch.setattr(tuning.study, '_other_studies', racing)
    with pytest.raises(tuning.OtherStudy, match="holds study 'mine'"):
        tuning._claim_study(optuna, out, BASE, 'racer', ident)
    monkeypatch.setattr(tuning.study, '_other_studies', real)
    names = [s.study_name for s in optuna.get_all_study_summaries(tuning._storage(optuna, out))]
    assert names == ['mine']
    # while 'racer' still existed (no trial, made later), 'mine' went on
    optuna.create_study(storage=tuning._storage(optuna, out), study_name='racer')
    assert tuning._claim_study(optuna, out, BASE, 'mine', ident) is False


def test_the_best_model_is_exported_with_unique_temporaries(tmp_path):
    """Two processes finishing together must not share fixed
    ``model.npz.tmp`` / ``model.json.tmp`` names (the pair crosses)."""
    out = str(tmp_path)
    theirs = {name: ('another process: ' + name).encode() for name in
              ('model.npz.tmp', 'model.json.tmp')}
    for name, data in theirs.items():
        (tmp_path / name).write_bytes(data)
    r = tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=2, base=BASE)
    for name, data in theirs.items():
        assert (tmp_path / name).read_bytes() == data, name
    best = os.path.join(out, 'trials', '{:04d}'.format(r.best_trial))
    for name in ('model.npz', 'model.json'):
        assert open(os.path.join(out, name), 'rb').read() == \
            open(os.path.join(best, name), 'rb').read()
    from chainer_irnn import models
    models.load_model(out)
    assert not [n for n in os.listdir(out) if n.startswith('.model.')]
