"""One run per output folder (issue 22, item 5): a folder knows its run
(data fingerprint and shaping settings); resuming continues only that run,
another run is refused in one line, and ``resume='none'`` starts over
leaving nothing of the old run behind."""
import json
import os

import chainer
import numpy
import pytest

from chainer_irnn.errors import UserError
from chainer_irnn.training import fit, run_folder, snapshots
from chainer_irnn.training.config import TrainConfig


def toy(n=48, T=5, F=2, seed=0, swap=False):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, T, F).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(numpy.int32)
    if swap:
        y = 1 - y
    return chainer.datasets.TupleDataset(x, y)


def meta():
    return {'data': 'arrays', 'data_source': 'test', 'in_size': 2, 'n_class': 2}


def config(**over):
    base = dict(input='linear', hidden=(8,), optimizer='adam', lr=0.01, batchsize=8,
                iteration=8, eval_interval=4, snapshot_interval=2, log_interval=2,
                progress=False, plots=False, report=False, keep_snapshots=2)
    base.update(over)
    return TrainConfig.from_preset(None, **base)


def test_other_data_into_the_same_folder_is_refused(tmp_path):
    out = str(tmp_path)
    fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    with pytest.raises(run_folder.RunMismatch) as e:
        fit(config(), toy(seed=1, swap=True), toy(16, seed=2), out=out, meta=meta())
    assert 'other training data' in str(e.value) and "resume='none'" in str(e.value)
    assert len(str(e.value).splitlines()) == 1
    with pytest.raises(run_folder.RunMismatch, match='other validation data'):
        fit(config(), toy(seed=1), toy(16, seed=3), out=out, meta=meta())


@pytest.mark.parametrize('over, named', [(dict(lr=0.02), 'lr 0.01 there, 0.02 here'),
                                         (dict(hidden=(9,)), 'hidden 8 there, 9 here'),
                                         (dict(dropout=0.1), 'dropout 0.0 there, 0.1 here'),
                                         (dict(seed=4), 'seed 0 there, 4 here')])
def test_other_settings_into_the_same_folder_are_refused(tmp_path, over, named):
    out = str(tmp_path)
    fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    settings = (tmp_path / 'settings.json').read_text()
    model = (tmp_path / 'model.npz').read_bytes()
    with pytest.raises(UserError) as e:
        fit(config(**over), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    assert named in str(e.value)
    # nothing of the old run was touched
    assert (tmp_path / 'settings.json').read_text() == settings
    assert (tmp_path / 'model.npz').read_bytes() == model


def test_the_same_run_resumes_and_may_be_extended(tmp_path):
    out = str(tmp_path)
    fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    result = fit(config(iteration=12, keep_snapshots=3), toy(seed=1), toy(16, seed=2),
                 out=out, meta=meta())
    assert result.log[-1]['iteration'] == 12
    assert [e['iteration'] for e in result.log][:4] == [2, 4, 6, 8]


def test_resume_none_starts_over_and_leaves_no_old_snapshot(tmp_path):
    """The old run's later snapshots must not outlive it: a later
    auto-resume continues the new run, not the old one."""
    out = str(tmp_path)
    fit(config(iteration=16), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    (tmp_path / 'notes.txt').write_text('mine')
    new = config(iteration=4, lr=0.02)
    fit(new, toy(seed=1, swap=True), toy(16, seed=2), out=out, meta=meta(), resume='none')
    assert [it for it, _ in snapshots.find_snapshots(out)] == [2, 4]
    assert (tmp_path / 'notes.txt').read_text() == 'mine'
    # extended later: continues the new run (lr 0.02 on the swapped data)
    result = fit(new.replace(iteration=6), toy(seed=1, swap=True), toy(16, seed=2), out=out,
                 meta=meta())
    assert [e['iteration'] for e in result.log] == [2, 4, 6]
    with open(os.path.join(out, 'settings.json')) as f:
        assert json.load(f)['lr'] == 0.02


def test_a_snapshot_path_of_another_run_is_refused(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    fit(config(), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    snap = snapshots.find_snapshots(a)[-1][1]
    with pytest.raises(run_folder.RunMismatch, match='the folder of'):
        fit(config(lr=0.5), toy(seed=1), toy(16, seed=2), out=b, meta=meta(), resume=snap)


def test_a_folder_of_an_older_version_is_checked_by_its_settings(tmp_path):
    out = str(tmp_path)
    fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    os.remove(os.path.join(out, run_folder.RUN_FILE))
    with pytest.raises(run_folder.RunMismatch, match='lr 0.01 there, 0.03 here'):
        fit(config(lr=0.03), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
