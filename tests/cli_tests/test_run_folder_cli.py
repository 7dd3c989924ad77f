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
                 '--no-progress', '--hidden', '8'] + list(extra))


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
    IRNNClassifier(hidden=(8,), epoch=4, min_iteration=0, batchsize=8, out=out).fit(X, y)
    first = [i for i, _ in snapshots.find_snapshots(out)]
    clf = IRNNClassifier(hidden=(8,), epoch=1, min_iteration=0, batchsize=8, out=out,
                         lr=0.01).fit(X, 1 - y)
    after = [i for i, _ in snapshots.find_snapshots(out)]
    assert max(first) > max(after), (first, after)
    import json
    with open(os.path.join(out, 'settings.json')) as f:
        assert json.load(f)['lr'] == 0.01
    assert clf.score(X, 1 - y) >= 0.0
