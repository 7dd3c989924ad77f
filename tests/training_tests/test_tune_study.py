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


BASE = TrainConfig.from_preset('csv', iteration=4, eval_interval=2, min_iteration=0)


def test_another_criterion_or_other_data_into_a_study_is_refused(tmp_path):
    out = str(tmp_path)
    tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=1, base=BASE)
    with pytest.raises(tuning.StudyMismatch) as e:
        tuning.tune(toy(24, 1), toy(12, 2), None, out, n_trials=2,
                    base=BASE.replace(best_by='accuracy'))
    assert "best_by loss there, accuracy here" in str(e.value)
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
    ident = tuning._identity(toy(24, 1), toy(12, 2), infer_meta(toy(24, 1), BASE), BASE, ())
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
