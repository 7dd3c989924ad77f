"""Saved models as files (issue 22): ``model.npz`` never unpickles (item 1),
the ``model.npz``/``model.json`` pair stays consistent through a crash
(item 8: the description saved inside ``model.npz`` wins and rewrites
``model.json``), a ``model.json`` that does not describe a ``model.npz``
without that description is refused in one line (items 13 and 15), and
nothing is read on a header's word (a decompression bomb)."""
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import numpy
import pytest

import chainer_irnn  # noqa: F401  (the shims, before chainer)
from chainer_irnn import IRNNClassifier, load_model, models
from chainer_irnn.errors import UserError
from tests.npz_bomb import peak_bytes, write_bomb
from tests.pickle_payload import poison, unpickled

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_csv(path, n=40, steps=4, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, steps, 2).round(3)
    y = (x[:, :, 0].sum(1) > 0).astype(int)
    lines = ['label,' + ','.join('{}{}'.format(c, t) for t in range(1, steps + 1) for c in 'xy')]
    lines += ['{},'.format(y[i]) + ','.join('{:g}'.format(v) for v in x[i].ravel())
              for i in range(n)]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A model folder written by training on a small CSV file."""
    from chainer_irnn import cli
    d = tmp_path_factory.mktemp('trained')
    csv = write_csv(d / 'd.csv')
    rc = cli.main(['train', '--csv', csv, '--out', str(d / 'm'), '--iteration', '4',
                   '--no-progress', '--hidden', '6', '--batchsize', '8', '--ensemble', '1'])
    assert rc == 0
    return str(d / 'm')


@pytest.fixture
def model(trained, tmp_path):
    out = str(tmp_path / 'm')
    shutil.copytree(trained, out)
    return out


@pytest.fixture
def warnings_logged():
    """The lines ``chainer_irnn.models`` logs (the CLI's logging setup stops
    them from reaching pytest's own capture)."""
    lines = []

    class Handler(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())
    handler = Handler(logging.WARNING)
    logger = logging.getLogger('chainer_irnn.models')
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def npz_arrays(path):
    with numpy.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def strip_description(folder):
    """Makes ``folder`` a model as saved before model.npz held its model.json."""
    path = os.path.join(folder, 'model.npz')
    arrays = npz_arrays(path)
    arrays.pop(models.DESCRIPTION_ENTRY, None)
    numpy.savez(path, **arrays)


def edit_json(folder, change):
    path = os.path.join(folder, 'model.json')
    d = json.load(open(path))
    change(d)
    json.dump(d, open(path, 'w'))


# item 1 ------------------------------------------------------- no pickle

@pytest.mark.parametrize('key', ['head/b', 'encoder/rec0/W', 'extra'])
def test_load_model_never_unpickles(model, tmp_path, key):
    marker = tmp_path / 'MARKER'
    npz = os.path.join(model, 'model.npz')
    poison(npz, key, marker)
    with pytest.raises(UserError) as e:
        load_model(model)
    assert not unpickled(marker)
    msg = str(e.value)
    assert msg.startswith(npz) and 'object array' in msg and '\n' not in msg


def test_an_unpickled_estimator_loads_its_parameters_safely(trained, tmp_path):
    """Unpickling an estimator is the user's own choice of trusting a pickle;
    the parameters inside it still go through the safe loader."""
    clf = IRNNClassifier.load(trained)
    state = clf.__getstate__()
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'p.npz'
    path.write_bytes(state['_model_npz'])
    poison(str(path), 'head/b', marker)
    state['_model_npz'] = path.read_bytes()
    with pytest.raises(UserError, match='object array'):
        IRNNClassifier.__new__(IRNNClassifier).__setstate__(state)
    assert not unpickled(marker)
    again = pickle.loads(pickle.dumps(clf))
    X = numpy.random.RandomState(1).randn(5, 4, 2)
    numpy.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_models_does_not_import_training():
    code = ('import sys, chainer_irnn.models; '
            'print([m for m in sys.modules if m.startswith("chainer_irnn.training")])')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'


# item 8 --------------------------------------------- the pair after a crash

CRASH = textwrap.dedent('''
    import json, os, sys
    sys.path.insert(0, {root!r})
    import chainer_irnn
    from chainer_irnn import models
    folder, crash_at = sys.argv[1], int(sys.argv[2])
    config = json.load(open(os.path.join(folder, 'model.json')))
    config['tabular']['classes'] = config['tabular']['classes'][::-1]
    config['tabular']['mean'] = [m + 1.0 for m in config['tabular']['mean']]
    model = models.build_model(config)
    for _, p in model.namedparams():
        p.array[...] = 0.25
    real, calls = os.replace, []
    def replace(src, dst):
        calls.append(dst)
        if len(calls) == crash_at:
            os._exit(9)          # as a SIGKILL: nothing after this runs
        return real(src, dst)
    os.replace = replace
    models.save_model(model, config, folder)
''')


@pytest.mark.parametrize('crash_at', [1, 2, 3])
def test_a_crash_while_saving_leaves_the_old_pair_or_the_new_model(model, crash_at,
                                                                   warnings_logged):
    """Kill a save of a new model (same architecture, other classes order
    and feature means) at each rename: the old pair loads, or the new model
    with its own description (killed between the renames: model.json is
    rewritten from the copy inside model.npz, with one warning); never the
    new weights under the old description."""
    json_path = os.path.join(model, 'model.json')
    old_json = json.load(open(json_path))
    old = npz_arrays(os.path.join(model, 'model.npz'))
    proc = subprocess.run([sys.executable, '-c', CRASH.format(root=ROOT), model,
                           str(crash_at)], capture_output=True, text=True)
    assert proc.returncode == (9 if crash_at < 3 else 0), proc.stderr
    assert (json.load(open(json_path)) == old_json) == (crash_at < 3)
    loaded, config = models.load_model(model)
    params = {n.lstrip('/'): p.array for n, p in loaded.predictor.namedparams()}
    if crash_at == 1:
        assert config == old_json and warnings_logged == []
        for name, value in params.items():
            numpy.testing.assert_array_equal(value, old[name])
        return
    assert config['tabular']['classes'] == old_json['tabular']['classes'][::-1]
    assert config['tabular']['mean'] == [m + 1.0 for m in old_json['tabular']['mean']]
    assert all((value == 0.25).all() for value in params.values())
    if crash_at == 3:
        assert warnings_logged == []
        return
    assert len(warnings_logged) == 1, warnings_logged
    line = warnings_logged[0]
    assert '\n' not in line and line.startswith(json_path) and 'model.npz' in line
    assert 'tabular.classes ["0", "1"] in model.json, ["1", "0"] in model.npz' in line
    assert 'rewrote model.json' in line
    assert json.load(open(json_path)) == config                  # repaired on disk ...
    assert models.load_model(model)[1] == config and len(warnings_logged) == 1  # ... once


def test_a_pair_that_cannot_be_repaired_still_loads_the_npz_description(
        model, monkeypatch, warnings_logged):
    """A read-only folder: the model loads with the description inside
    model.npz, model.json stays, and the warning says so."""
    json_path = os.path.join(model, 'model.json')
    edit_json(model, lambda d: d['tabular'].update(classes=['1', '0']))
    edited = open(json_path).read()

    def read_only(path, data):
        raise OSError(30, 'Read-only file system')
    monkeypatch.setattr(models.irnn_io, 'write_file', read_only)
    config = models.load_model(model)[1]
    assert config['tabular']['classes'] == ['0', '1'] and open(json_path).read() == edited
    assert len(warnings_logged) == 1 and 'Read-only file system' in warnings_logged[0]
    assert 'left as it is' in warnings_logged[0]
    models.load_model(model)
    assert len(warnings_logged) == 1                            # once


@pytest.mark.parametrize('damage', ['missing', 'nested', 'not JSON', 'a list'])
def test_a_lost_or_damaged_model_json_is_rewritten_from_the_npz(model, damage,
                                                                warnings_logged):
    """A first save killed between the renames leaves no model.json."""
    json_path = os.path.join(model, 'model.json')
    before = open(json_path).read()
    if damage == 'missing':
        os.remove(json_path)
    else:
        open(json_path, 'w').write({'nested': '[' * 200000 + ']' * 200000,
                                    'not JSON': '{"hidden": [6', 'a list': '[]'}[damage])
    models.load_model(model)
    assert open(json_path).read() == before
    assert len(warnings_logged) == 1 and warnings_logged[0].startswith(json_path)
    assert '\n' not in warnings_logged[0]


def test_a_description_inside_the_npz_that_does_not_fit_its_arrays_is_refused(model):
    """model.npz must agree with itself; model.json cannot rescue it."""
    npz = os.path.join(model, 'model.npz')
    arrays = npz_arrays(npz)
    inside = json.loads(arrays[models.DESCRIPTION_ENTRY].tobytes())
    inside['hidden'] = [7]
    arrays[models.DESCRIPTION_ENTRY] = numpy.frombuffer(json.dumps(inside).encode(), 'u1')
    numpy.savez(npz, **arrays)
    with pytest.raises(UserError) as e:
        load_model(model)
    msg = str(e.value)
    assert msg.startswith(npz) and 'the description saved inside it' in msg and '\n' not in msg
    assert open(os.path.join(model, 'model.json')).read() != json.dumps(inside)


def test_a_huge_description_inside_the_npz_is_refused_unread(model):
    """1 GiB of description in a 1 MB model.npz (a deflate bomb's ratio)
    peaked at 3.1 GB; now its header is refused before it is read."""
    npz = os.path.join(model, 'model.npz')
    arrays = npz_arrays(npz)
    del arrays[models.DESCRIPTION_ENTRY]
    write_bomb(npz, arrays, models.DESCRIPTION_ENTRY, (2 ** 30,), 'u1')
    assert os.path.getsize(npz) < 2 * 2 ** 20
    peak, e = peak_bytes(load_model, model)
    assert isinstance(e, UserError), e
    msg = str(e)
    assert msg.startswith(npz) and models.DESCRIPTION_ENTRY in msg and '1 GiB' in msg, msg
    assert '\n' not in msg and peak < 16 * 2 ** 20, peak


def test_a_huge_parameter_in_a_pickled_estimator_is_refused_unread(trained, tmp_path):
    clf = IRNNClassifier.load(trained)
    state = clf.__getstate__()
    path = tmp_path / 'p.npz'
    path.write_bytes(state['_model_npz'])
    arrays = npz_arrays(str(path))
    del arrays['head/b']
    write_bomb(path, arrays, 'head/b', (2 ** 28,))
    state['_model_npz'] = path.read_bytes()
    peak, e = peak_bytes(IRNNClassifier.__new__(IRNNClassifier).__setstate__, state)
    assert isinstance(e, UserError), e
    assert 'the pickled IRNNClassifier' in str(e) and 'head/b' in str(e), str(e)
    assert peak < 16 * 2 ** 20, peak


def test_a_save_removes_what_a_killed_save_left(model):
    proc = subprocess.run([sys.executable, '-c', CRASH.format(root=ROOT), model, '2'],
                          capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    left = [n for n in os.listdir(model) if n.endswith('.tmp')]
    assert len(left) == 1 and left[0].startswith('.model.json.')   # the killed save's
    config = json.load(open(os.path.join(model, 'model.json')))
    models.save_model(models.build_model(config), config, model)    # the next save ...
    assert [n for n in os.listdir(model) if n.endswith('.tmp')] == []  # ... removes it
    models.load_model(model)


@pytest.mark.parametrize('stored', ['kept', 'stripped'])
def test_an_edited_model_json_that_contradicts_the_arrays(model, stored, warnings_logged):
    """Kept: the description inside model.npz wins (named in one warning).
    Stripped (a model saved before it held one): refused naming the key."""
    if stored == 'stripped':
        strip_description(model)
    edit_json(model, lambda d: d.update(n_class=3))
    json_path = os.path.join(model, 'model.json')
    if stored == 'kept':
        assert load_model(model).description['n_class'] == 2
        assert json.load(open(json_path))['n_class'] == 2
        assert len(warnings_logged) == 1 and 'n_class 3 in model.json, 2 in model.npz' in \
            warnings_logged[0]
        return
    with pytest.raises(UserError) as e:
        load_model(model)
    msg = str(e.value)
    assert 'n_class' in msg and '\n' not in msg and 'model.json' in msg


def test_a_model_saved_without_the_description_entry_still_loads(model):
    """Models saved before model.npz held its model.json (the ones in
    models/ among them) load as before, checked array by array."""
    strip_description(model)
    load_model(model)
    pixel = os.path.join(ROOT, 'models', 'irnn-pixel')
    if os.path.exists(os.path.join(pixel, 'model.npz')):
        loaded, config = models.load_model(pixel)
        assert config['hidden'] == [100]


def test_chainers_own_loader_reads_a_saved_model(model):
    import chainer
    m, config = models.load_model(model)
    fresh = models.build_model(config)
    chainer.serializers.load_npz(os.path.join(model, 'model.npz'), fresh.predictor)
    numpy.testing.assert_array_equal(fresh.predictor.head.W.array, m.predictor.head.W.array)


# items 13 and 15 ---------------------------------- description vs arrays

def two_layer_npz_with_one_layer_json(folder):
    config = json.load(open(os.path.join(folder, 'model.json')))
    models.save_model(models.build_model(dict(config, hidden=[6, 6])),
                      dict(config, hidden=[6, 6]), folder)
    edit_json(folder, lambda d: d.update(hidden=[6]))


@pytest.mark.parametrize('stored', ['kept', 'stripped'])
@pytest.mark.parametrize('case, words', [
    (two_layer_npz_with_one_layer_json, ['hidden']),
    (lambda f: edit_json(f, lambda d: d.update(hidden=[8])), ['hidden']),
    (lambda f: edit_json(f, lambda d: d['tabular'].update(mean=[0.0, 0.0, 0.0])),
     ['tabular']),
    (lambda f: edit_json(f, lambda d: d['tabular'].update(classes=['a', 'b', 'c'])),
     ['classes']),
    (lambda f: edit_json(f, lambda d: d.update(hidden=[-8])), ['hidden']),
    (lambda f: edit_json(f, lambda d: d['tabular'].pop('mean')), ['tabular']),
    (lambda f: edit_json(f, lambda d: d.update(hidden=[2000000])), ['hidden']),
    (lambda f: edit_json(f, lambda d: d.update(n_class=3)), ['n_class']),
    (lambda f: edit_json(f, lambda d: d.update(in_size=3)), ['in_size']),
])
def test_a_model_json_that_does_not_describe_the_npz_is_refused(model, case, words, stored,
                                                                warnings_logged):
    """Stripped (no description inside model.npz): refused in one line.
    Kept: model.json is rewritten from the description inside model.npz."""
    if case is two_layer_npz_with_one_layer_json:
        case(model)
        if stored == 'stripped':
            strip_description(model)
    else:
        if stored == 'stripped':
            strip_description(model)
        case(model)
    if stored == 'kept':
        loaded, config = models.load_model(model)
        assert json.load(open(os.path.join(model, 'model.json'))) == config
        assert len(warnings_logged) == 1 and '\n' not in warnings_logged[0]
        for w in words:
            assert w in warnings_logged[0], warnings_logged
        return
    with pytest.raises(UserError) as e:
        load_model(model)
    msg = str(e.value)
    assert '\n' not in msg and 'model.' in msg
    for w in words:
        assert w in msg, msg
    if case is two_layer_npz_with_one_layer_json:
        assert 'encoder/proj1/W' in msg


@pytest.mark.parametrize('config', [
    dict(model='irnn', in_size=3, hidden=[4, 5], input='linear', n_class=2),
    dict(model='irnn', in_size=256, hidden=[7], input='embed', n_class=10),
    dict(model='irnn', in_size=5, hidden=[3, 4, 2], input='embed', n_class=3),
    dict(model='hrnn', in_size=28, hidden=[4, 5], input='linear', n_class=3),
    dict(model='rows-rnn', in_size=28, hidden=[4], input='linear', n_class=3),
])
def test_expected_shapes_are_the_built_models(config):
    config = dict(config, activation='relu', identity_scale=1.0, input_std=0.001)
    built = models.build_model(config).predictor
    assert models.expected_shapes(config) == {n.lstrip('/'): p.shape
                                              for n, p in built.namedparams()}
