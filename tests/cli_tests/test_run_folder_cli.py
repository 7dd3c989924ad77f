"""One run per --out folder, in the CLI and the estimator (issue 22, item 5)."""
import os

import numpy

from chainer_irnn.cli import main
from chainer_irnn.training import snapshots


def swapped(csv, tmp_path):
    """The same file with the labels swapped."""
    lines = csv.read_text().splitlines()
    out = [lines[0]] + ['{},{}'.format(1 - int(line.split(',', 1)[0]), line.split(',', 1)[1])
                        for line in lines[1:]]
    path = tmp_path / 'swapped.csv'
    path.write_text('\n'.join(out) + '\n')
    return path


def train(out, csv, *extra):
    return main(['train', '--csv', str(csv), '--out', str(out), '--iteration', '6',
                 '--min-iteration', '0', '--eval-interval', '2', '--snapshot-interval', '2',
                 '--no-progress', '--hidden', '8', '--ensemble', '1'] + list(extra))


def test_other_data_into_an_existing_out_is_one_line_naming_the_remedies(
        tmp_path, capsys, two_feature_csv):
    out = tmp_path / 'run'
    assert train(out, two_feature_csv) == 0
    model = (out / 'model.npz').read_bytes()
    capsys.readouterr()
    assert train(out, swapped(two_feature_csv, tmp_path)) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1 and 'Traceback' not in err and 'resumed' not in err, err
    err = errors[0]
    assert 'other training data' in err and '--out' in err and '--resume none' in err
    assert (out / 'model.npz').read_bytes() == model


def test_other_flags_into_an_existing_out_are_refused(tmp_path, capsys, two_feature_csv):
    out = tmp_path / 'run'
    assert train(out, two_feature_csv) == 0
    settings = (out / 'settings.json').read_text()
    capsys.readouterr()
    assert train(out, two_feature_csv, '--lr', '0.01') == 2
    assert '--lr 0.001 there, 0.01 here' in capsys.readouterr().err
    assert (out / 'settings.json').read_text() == settings
    assert train(out, two_feature_csv, '--hidden', '9') == 2
    err = capsys.readouterr().err
    assert '--hidden 8 there, 9 here' in err and 'damaged' not in err


def test_resume_none_removes_the_old_run(tmp_path, capsys, two_feature_csv):
    out = tmp_path / 'run'
    assert train(out, two_feature_csv, '--iteration', '12') == 0
    other = swapped(two_feature_csv, tmp_path)
    assert train(out, other, '--resume', 'none') == 0
    assert [i for i, _ in snapshots.find_snapshots(str(out))] == [2, 4, 6]
    capsys.readouterr()
    # a later auto-resume continues the new run: same data and flags
    assert train(out, other, '--iteration', '8') == 0
    assert 'resumed from' in capsys.readouterr().err
    assert train(out, two_feature_csv, '--iteration', '8') == 2


def test_estimator_refit_into_out_leaves_nothing_of_the_first_fit(tmp_path):
    from chainer_irnn import IRNNClassifier
    rng = numpy.random.RandomState(0)
    X = rng.randn(40, 4, 2).astype(numpy.float32)
    y = (X[:, :, 0].sum(1) > 0).astype(int)
    out = str(tmp_path / 'est')
    IRNNClassifier(hidden=(8,), epoch=4, min_iteration=0, batchsize=8, out=out,
                   ensemble=1).fit(X, y)
    first = [i for i, _ in snapshots.find_snapshots(out)]
    clf = IRNNClassifier(hidden=(8,), epoch=1, min_iteration=0, batchsize=8, out=out, ensemble=1,
                         lr=0.01).fit(X, 1 - y)
    after = [i for i, _ in snapshots.find_snapshots(out)]
    assert max(first) > max(after), (first, after)
    import json
    with open(os.path.join(out, 'settings.json')) as f:
        assert json.load(f)['lr'] == 0.01
    assert clf.score(X, 1 - y) >= 0.0


# ---------------------------------------------------------------- reviewed (issue 22.5)

def test_estimator_out_with_names_of_run_files_but_no_run_json_loses_nothing(tmp_path):
    """mkdir -p p/log/keep; echo x>p/log/keep/a.txt; echo x>p/test.json;
    IRNNClassifier(out='p').fit(X, y) removed both."""
    import pytest
    from chainer_irnn import IRNNClassifier
    from chainer_irnn.errors import UserError
    out = tmp_path / 'p'
    (out / 'log' / 'keep').mkdir(parents=True)
    (out / 'log' / 'keep' / 'a.txt').write_text('x\n')
    (out / 'test.json').write_text('x\n')
    rng = numpy.random.RandomState(0)
    X = rng.randn(40, 4, 2).astype(numpy.float32)
    y = (X[:, :, 0].sum(1) > 0).astype(int)
    with pytest.raises(UserError) as e:
        IRNNClassifier(hidden=(8,), epoch=1, min_iteration=0, batchsize=8,
                       out=str(out)).fit(X, y)
    assert len(str(e.value).splitlines()) == 1
    assert 'log, test.json' in str(e.value) and 'remove them' in str(e.value)
    assert (out / 'log' / 'keep' / 'a.txt').read_text() == 'x\n'
    assert (out / 'test.json').read_text() == 'x\n'


def one_error(capsys):
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1 and 'Traceback' not in err and 'resumed from' not in err, err
    return errors[0]


def test_train_resume_none_into_a_folder_not_a_runs_is_refused(
        tmp_path, capsys, two_feature_csv):
    out = tmp_path / 'p'
    (out / 'log' / 'keep').mkdir(parents=True)
    (out / 'log' / 'keep' / 'a.txt').write_text('x\n')
    (out / 'test.json').write_text('x\n')
    assert train(out, two_feature_csv, '--resume', 'none') == 2
    err = one_error(capsys)
    assert 'log, test.json' in err and '--out' in err and 'run.json' in err
    assert (out / 'log' / 'keep' / 'a.txt').exists() and (out / 'test.json').exists()


def test_train_resume_of_a_loose_snapshot_of_another_run_is_refused(
        tmp_path, capsys, two_feature_csv):
    a, b, loose = tmp_path / 'A', tmp_path / 'B', tmp_path / 'loose'
    assert train(a, two_feature_csv) == 0
    loose.mkdir()
    snap = loose / 'snapshot_iter_6'
    snap.write_bytes((a / 'snapshot_iter_6').read_bytes())
    capsys.readouterr()
    assert train(b, swapped(two_feature_csv, tmp_path), '--resume', str(snap)) == 2
    err = one_error(capsys)
    assert str(snap) in err and 'another run' in err and '--resume none' in err
    # a snapshot copied into an --out without run.json: refused too
    c = tmp_path / 'C'
    c.mkdir()
    (c / 'snapshot_iter_6').write_bytes(snap.read_bytes())
    assert train(c, swapped(two_feature_csv, tmp_path), '--iteration', '8') == 2
    assert 'snapshot_iter_6) but no run.json' in one_error(capsys)
    # and into B, which records the run of the other data now
    (b / 'snapshot_iter_6').write_bytes(snap.read_bytes())
    assert train(b, swapped(two_feature_csv, tmp_path), '--iteration', '8') == 2
    assert 'snapshot_iter_6: a snapshot of another run' in one_error(capsys)
