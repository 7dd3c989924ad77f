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


# ---------------------------------------------------------------- reviewed (issue 22.5)

def one_line(error):
    text = str(error)
    assert len(text.splitlines()) == 1 and 'Traceback' not in text, text
    return text


@pytest.mark.parametrize('resume', ['none', 'auto'])
def test_a_folder_with_run_names_but_no_run_json_is_refused_not_emptied(tmp_path, resume):
    """Files or folders that merely bear a run's names are not a run: never
    removed (a folder named log, a test.json of the user's)."""
    (tmp_path / 'log' / 'keep').mkdir(parents=True)
    (tmp_path / 'log' / 'keep' / 'a.txt').write_text('x')
    (tmp_path / 'test.json').write_text('x')
    (tmp_path / 'snapshot_iter_3').write_text('not ours')
    with pytest.raises(UserError) as e:
        fit(config(), toy(seed=1), toy(16, seed=2), out=str(tmp_path), meta=meta(),
            resume=resume)
    text = one_line(e.value)
    assert 'log, snapshot_iter_3, test.json' in text and 'run.json' in text
    assert 'another folder' in text and 'remove them' in text
    assert (tmp_path / 'log' / 'keep' / 'a.txt').read_text() == 'x'
    assert (tmp_path / 'test.json').read_text() == 'x'
    assert (tmp_path / 'snapshot_iter_3').read_text() == 'not ours'
    assert not (tmp_path / 'run.json').exists()


def test_starting_over_removes_only_the_run_files_never_a_folder(tmp_path):
    out = str(tmp_path)
    fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    (tmp_path / 'snapshot_iter_99').mkdir()
    (tmp_path / 'snapshot_iter_99' / 'mine.txt').write_text('x')
    (tmp_path / 'snapshot_iter_7.npz').write_text('x')
    (tmp_path / 'loss.png.bak').write_text('x')
    removed = run_folder.start_over(out)
    assert removed >= 5
    left = sorted(os.listdir(out))
    assert 'snapshot_iter_99' in left and 'snapshot_iter_7.npz' in left and \
        'loss.png.bak' in left, left
    assert (tmp_path / 'snapshot_iter_99' / 'mine.txt').read_text() == 'x'
    assert not snapshots.find_snapshots(out)
    assert not {'run.json', 'settings.json', 'log', 'model.npz', 'model.json'} & set(left)


@pytest.mark.parametrize('text, named', [
    ('{"version": 1, "data": {}, "settings": ["lr"]}', '"settings" is list'),
    ('{"version": 1, "data": [1], "settings": {}}', '"data" is list'),
    ('{"version": 1, "settings": {}}', '"data" is missing'),
    ('[]', 'not a JSON object'),
    ('{"data": {', 'damaged')])
@pytest.mark.parametrize('resume', ['none', 'auto'])
def test_a_damaged_run_json_is_one_line_naming_it(tmp_path, text, named, resume):
    out = str(tmp_path)
    fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta())
    (tmp_path / 'run.json').write_text(text)
    with pytest.raises(UserError) as e:
        fit(config(), toy(seed=1), toy(16, seed=2), out=out, meta=meta(), resume=resume)
    message = one_line(e.value)
    assert os.path.join(out, 'run.json') in message and named in message, message
    assert snapshots.find_snapshots(out)       # nothing removed


def copy_snapshot(src, dst_folder, name=None):
    os.makedirs(dst_folder, exist_ok=True)
    dst = os.path.join(dst_folder, name or os.path.basename(src))
    with open(src, 'rb') as f, open(dst, 'wb') as g:
        g.write(f.read())
    return dst


def test_a_snapshot_outside_any_run_folder_resumes_only_its_own_run(tmp_path):
    a = str(tmp_path / 'a')
    first = fit(config(), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    loose = copy_snapshot(snapshots.find_snapshots(a)[-1][1], str(tmp_path / 'loose'))
    with pytest.raises(UserError) as e:
        fit(config(), toy(seed=1, swap=True), toy(16, seed=2), out=str(tmp_path / 'b'),
            meta=meta(), resume=loose)
    assert not snapshots.find_snapshots(str(tmp_path / 'b'))
    assert 'a snapshot of another run (other training data)' in one_line(e.value)
    assert loose in str(e.value)
    with pytest.raises(UserError, match=r'another run \(lr 0.01 there, 0.02 here\)'):
        fit(config(lr=0.02), toy(seed=1), toy(16, seed=2), out=str(tmp_path / 'c'),
            meta=meta(), resume=loose)
    # its own run resumes from it
    result = fit(config(iteration=10), toy(seed=1), toy(16, seed=2), out=str(tmp_path / 'd'),
                 meta=meta(), resume=loose)
    assert result.log[-1]['iteration'] == 10 and result.log[:4] == first.log


def test_a_snapshot_copied_into_another_run_folder_is_refused(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    fit(config(), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    fit(config(), toy(seed=1, swap=True), toy(16, seed=2), out=b, meta=meta())
    copy_snapshot(snapshots.find_snapshots(a)[-1][1], b, 'snapshot_iter_100')
    with pytest.raises(UserError) as e:
        fit(config(iteration=12), toy(seed=1, swap=True), toy(16, seed=2), out=b, meta=meta())
    assert 'snapshot_iter_100: a snapshot of another run' in one_line(e.value)


def test_a_snapshot_copied_into_a_folder_without_run_json_is_refused(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    fit(config(), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    copy_snapshot(snapshots.find_snapshots(a)[-1][1], b)
    with pytest.raises(UserError) as e:
        fit(config(iteration=12), toy(seed=1, swap=True), toy(16, seed=2), out=b, meta=meta())
    assert 'run.json' in one_line(e.value)


def strip_identity(path):
    """The snapshot as versions before snapshots carried their run wrote it."""
    with numpy.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if 'run_identity' not in k}
    assert len(arrays) < len(numpy.load(path).files)
    with open(path, 'wb') as f:
        numpy.savez(f, **arrays)


def test_a_snapshot_without_its_identity_resumes_only_where_its_folder_records_the_run(tmp_path):
    a = str(tmp_path / 'a')
    fit(config(), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    for _, path in snapshots.find_snapshots(a):
        strip_identity(path)
    loose = copy_snapshot(snapshots.find_snapshots(a)[-1][1], str(tmp_path / 'loose'))
    # outside its folder nothing says which run it is: refused, even for other data
    with pytest.raises(UserError) as e:
        fit(config(), toy(seed=1, swap=True), toy(16, seed=2), out=str(tmp_path / 'b'),
            meta=meta(), resume=loose)
    assert 'records no run' in one_line(e.value)
    # in its own folder (run.json matches) it resumes
    result = fit(config(iteration=10), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    assert result.log[-1]['iteration'] == 10


@pytest.mark.parametrize('payload', [b'[1, 2]', b'{"data": {}}', b'\xff\xfe', b'"text"'])
def test_a_snapshot_with_a_damaged_identity_is_one_line(tmp_path, payload):
    a = str(tmp_path / 'a')
    fit(config(), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    path = snapshots.find_snapshots(a)[-1][1]
    with numpy.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays['extensions/run_identity/identity'] = numpy.frombuffer(payload, numpy.uint8)
    with open(path, 'wb') as f:
        numpy.savez(f, **arrays)
    with pytest.raises(UserError) as e:
        fit(config(iteration=10), toy(seed=1), toy(16, seed=2), out=a, meta=meta())
    assert 'its run identity is damaged' in one_line(e.value) and path in str(e.value)


# ------------------------------------------------------------------ max_steps (issue: window)

def _long_csv(path, n=24, steps=300):
    rng = numpy.random.RandomState(0)
    with open(path, 'w') as f:
        f.write('label,' + ','.join('t{}'.format(i + 1) for i in range(steps)) + '\n')
        for i in range(n):
            values = ','.join('{:.3f}'.format(v) for v in rng.randn(steps))
            f.write('{},{}\n'.format(i % 2, values))


def test_a_run_read_without_max_steps_names_the_window_as_the_likely_cause(tmp_path):
    """A run of an older release read long series as they are; the default
    max_steps now averages them, so the training data differ: the refusal
    says so, and how to resume (max_steps=None)."""
    from chainer_irnn import read_csv
    from chainer_irnn.training import TrainConfig, fit
    _long_csv(str(tmp_path / 'long.csv'))
    cfg = TrainConfig.from_preset('csv', iteration=2, ensemble=1, progress=False,
                                  report=False, plots=False, hidden=(4,))
    out = str(tmp_path / 'run')
    old = read_csv(str(tmp_path / 'long.csv'), max_steps=None)     # as before max_steps
    fit(cfg, old.train, old.val, out=out, meta=old.meta)
    new = read_csv(str(tmp_path / 'long.csv'))                     # the default: 256
    assert new.meta['tabular']['window_mean'] == 2
    with pytest.raises(run_folder.RunMismatch) as e:
        fit(cfg, new.train, new.val, out=out, meta=new.meta)
    message = str(e.value)
    assert 'other training data' in message
    assert 'likely cause: the series were read here averaged over windows of 2 steps' in message
    assert 'records no averaging' in message and 'max_steps=None resumes it' in message
    # in the CLI's words
    from chainer_irnn.cli import common
    from chainer_irnn.errors import naming
    with naming(common.FLAGS):
        assert '--max-steps 0 resumes it' in run_folder.window_hint(out, new.meta)
    # read as that run read them, it resumes
    fit(cfg.replace(iteration=3), old.train, old.val, out=out, meta=old.meta)


def test_no_window_hint_where_the_data_differ_otherwise(tmp_path):
    from chainer_irnn import read_csv
    from chainer_irnn.training import TrainConfig, fit
    _long_csv(str(tmp_path / 'a.csv'))
    _long_csv(str(tmp_path / 'b.csv'), n=30)
    cfg = TrainConfig.from_preset('csv', iteration=1, ensemble=1, progress=False,
                                  report=False, plots=False, hidden=(4,))
    out = str(tmp_path / 'run')
    a = read_csv(str(tmp_path / 'a.csv'), max_steps=None)
    fit(cfg, a.train, a.val, out=out, meta=a.meta)
    b = read_csv(str(tmp_path / 'b.csv'))
    assert run_folder.window_hint(out, b.meta) is None          # other sequences too
    same = read_csv(str(tmp_path / 'a.csv'), max_steps=None)
    assert run_folder.window_hint(out, same.meta) is None       # the same window
    assert run_folder.window_hint(str(tmp_path / 'nowhere'), a.meta) is None
