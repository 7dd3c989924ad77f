"""The command line on planted and mismatched model files (issue 22): a
pickle in ``model.npz`` or in a snapshot never runs (item 1), and a
``model.json`` that does not describe a ``model.npz`` without its own
description ends in one line with exit status 2 (items 13 and 15); with
that description the model loads, model.json is rewritten and one warning
says so (item 8); JSON nested too deeply is one line too."""
import json
import os
import shutil

import numpy
import pytest

from chainer_irnn import cli
from chainer_irnn.models import DESCRIPTION_ENTRY
from tests.pickle_payload import poison, unpickled

FAST = ['--no-progress', '--ensemble', '1', '--hidden', '6', '--batchsize', '8', '--iteration', '4',
        '--snapshot-interval', '2']


def write_csv(path, n=40, steps=4):
    rng = numpy.random.RandomState(0)
    x = rng.randn(n, steps, 2).round(3)
    y = (x[:, :, 0].sum(1) > 0).astype(int)
    lines = ['label,' + ','.join('{}{}'.format(c, t) for t in range(1, steps + 1) for c in 'xy')]
    lines += ['{},'.format(y[i]) + ','.join('{:g}'.format(v) for v in x[i].ravel())
              for i in range(n)]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert 'Traceback' not in err
    return rc, out, err


def error_lines(err):
    return [line for line in err.splitlines() if 'error' in line]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp('trained')
    csv = write_csv(d / 'd.csv')
    assert cli.main(['train', '--csv', csv, '--out', str(d / 'run')] + FAST) == 0
    return d


@pytest.fixture
def run_dir(trained, tmp_path):
    """A copy of a training run (model, snapshots, settings) and its CSV file."""
    shutil.copytree(str(trained / 'run'), str(tmp_path / 'run'))
    shutil.copy(str(trained / 'd.csv'), str(tmp_path / 'd.csv'))
    return tmp_path


def use(capsys, command, base):
    model = str(base / 'run')
    if command == 'predict':
        return run(capsys, 'predict', '--model', model, '--csv', base / 'd.csv',
                   '--out', base / 'p.csv')
    return run(capsys, 'evaluate', '--model', model, '--csv', base / 'd.csv')


@pytest.mark.parametrize('command', ['predict', 'evaluate'])
@pytest.mark.parametrize('key', ['head/b', 'encoder/rec0/W'])
def test_a_pickle_in_the_model_never_runs(run_dir, capsys, command, key):
    marker = run_dir / 'MARKER'
    npz = str(run_dir / 'run' / 'model.npz')
    poison(npz, key, marker)
    rc, _, err = use(capsys, command, run_dir)
    assert not unpickled(marker)
    assert rc == 2 and len(error_lines(err)) == 1, err
    assert npz in err and 'object array' in err
    assert not os.path.exists(str(run_dir / 'p.csv'))


@pytest.mark.parametrize('how', ['auto', 'named'])
def test_a_pickle_in_a_snapshot_never_runs_on_resume(run_dir, capsys, how):
    """A planted snapshot_iter_* (the newest, and the only one) is refused
    whether resume finds it or is given it."""
    marker = run_dir / 'MARKER'
    out = run_dir / 'run'
    snap = str(out / 'snapshot_iter_4')
    os.remove(str(out / 'snapshot_iter_2'))
    poison(snap, 'updater/iteration', marker)
    args = ['train', '--csv', run_dir / 'd.csv', '--out', out] + FAST
    if how == 'named':
        args += ['--resume', snap]
    rc, _, err = run(capsys, *args)
    assert not unpickled(marker)
    assert rc == 2 and snap in err and 'object array' in err, err
    assert len([line for line in error_lines(err) if snap in line]) == 1, err


def test_a_pickle_in_the_newest_snapshot_never_runs(run_dir, capsys):
    marker = run_dir / 'MARKER'
    out = run_dir / 'run'
    poison(str(out / 'snapshot_iter_4'), 'updater/model:main/predictor/head/b', marker)
    run(capsys, 'train', '--csv', run_dir / 'd.csv', '--out', out, *FAST)
    assert not unpickled(marker)


def edit_json(folder, change):
    path = os.path.join(str(folder), 'model.json')
    d = json.load(open(path))
    change(d)
    json.dump(d, open(path, 'w'))


def strip_description(folder):
    path = os.path.join(str(folder), 'model.npz')
    with numpy.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files if k != DESCRIPTION_ENTRY}
    numpy.savez(path, **arrays)


@pytest.mark.parametrize('stored', ['kept', 'stripped'])
@pytest.mark.parametrize('change, word', [
    (lambda d: d['tabular'].update(classes=['0', '1', '2']), 'classes'),
    (lambda d: d.update(hidden=[-8]), 'hidden'),
    (lambda d: d['tabular'].pop('mean'), 'mean'),
    (lambda d: d.update(hidden=[2000000]), 'hidden'),
    (lambda d: d.update(hidden=[8]), 'hidden'),
    (lambda d: d['tabular'].update(mean=[0.0] * 3), 'mean'),
    (lambda d: d['tabular'].update(std=[1.0, 0.0]), 'std'),
    (lambda d: d.update(n_class=3), 'n_class'),
])
@pytest.mark.parametrize('command', ['predict', 'evaluate'])
def test_a_model_json_that_does_not_fit_is_one_line(run_dir, capsys, change, word, stored,
                                                    command):
    folder = run_dir / 'run'
    if stored == 'stripped':     # as saved before model.npz held its model.json
        strip_description(folder)
    edit_json(folder, change)
    rc, _, err = use(capsys, command, run_dir)
    if stored == 'kept':         # the description inside model.npz wins, once
        assert rc == 0 and error_lines(err) == [], err
        warned = [line for line in err.splitlines() if 'rewrote model.json' in line]
        assert len(warned) == 1 and str(folder / 'model.json') in warned[0], err
        assert word in warned[0]
        assert (command == 'predict') == os.path.exists(str(run_dir / 'p.csv'))
        rc, _, err = use(capsys, command, run_dir)
        assert rc == 0 and 'model.json' not in err, err
        return
    assert rc == 2 and len(error_lines(err)) == 1, err
    assert 'model.json' in err and word in err, err
    assert not os.path.exists(str(run_dir / 'p.csv'))


DEEP = '[' * 200000 + ']' * 200000


@pytest.mark.parametrize('stored', ['kept', 'stripped'])
def test_a_model_json_nested_too_deeply(run_dir, capsys, stored):
    """A RecursionError escaped as a traceback."""
    folder = run_dir / 'run'
    if stored == 'stripped':
        strip_description(folder)
    (folder / 'model.json').write_text(DEEP)
    rc, _, err = use(capsys, 'evaluate', run_dir)
    if stored == 'kept':
        assert rc == 0 and 'nested too deeply' in err and 'rewrote model.json' in err, err
        return
    assert rc == 2 and len(error_lines(err)) == 1, err
    assert str(folder / 'model.json') in err and 'nested too deeply' in err, err


def test_a_train_config_nested_too_deeply_is_one_line(run_dir, capsys):
    config = run_dir / 'deep.json'
    config.write_text(DEEP)
    rc, _, err = run(capsys, 'train', '--config', config, '--csv', run_dir / 'd.csv',
                     '--out', run_dir / 'new', *FAST)
    assert rc == 2 and len(error_lines(err)) == 1, err
    assert str(config) in err and 'nested too deeply' in err, err
