"""Saved models as files (issue 22): ``model.npz`` never unpickles (item 1),
the ``model.npz``/``model.json`` pair stays consistent through a crash
(item 8), and a ``model.json`` that does not describe ``model.npz`` is
refused in one line (items 13 and 15)."""
import json
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
                   '--no-progress', '--hidden', '6', '--batchsize', '8'])
    assert rc == 0
    return str(d / 'm')


@pytest.fixture
def model(trained, tmp_path):
    out = str(tmp_path / 'm')
    shutil.copytree(trained, out)
    return out


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
def test_a_crash_while_saving_leaves_one_pair_or_a_clear_refusal(model, crash_at):
    """Kill a save of a new model (same architecture, other classes order
    and feature means) at each rename: the old pair loads, or the new one,
    or the mismatch is refused in one line; never the new weights under the
    old description."""
    old_json = json.load(open(os.path.join(model, 'model.json')))
    old = npz_arrays(os.path.join(model, 'model.npz'))
    proc = subprocess.run([sys.executable, '-c', CRASH.format(root=ROOT), model,
                           str(crash_at)], capture_output=True, text=True)
    assert proc.returncode == (9 if crash_at < 3 else 0), proc.stderr
    try:
        loaded, config = models.load_model(model)
    except UserError as e:
        assert crash_at == 2
        msg = str(e)
        assert '\n' not in msg and 'model.json' in msg and 'model.npz' in msg
        assert 'different saves' in msg and 'tabular.classes ["0", "1"] in model.json' in msg
        return
    params = {n.lstrip('/'): p.array for n, p in loaded.predictor.namedparams()}
    if config == old_json:
        assert crash_at == 1
        for name, value in params.items():
            numpy.testing.assert_array_equal(value, old[name])
    else:
        assert crash_at == 3
        assert config['tabular']['classes'] == old_json['tabular']['classes'][::-1]
        assert all((value == 0.25).all() for value in params.values())


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


def test_an_edited_model_json_is_refused_naming_the_key(model):
    edit_json(model, lambda d: d['tabular'].update(classes=['1', '0']))
    with pytest.raises(UserError) as e:
        load_model(model)
    msg = str(e.value)
    assert msg.startswith(os.path.join(model, 'model.json')) and 'tabular' in msg
    assert '\n' not in msg


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
def test_a_model_json_that_does_not_describe_the_npz_is_refused(model, case, words, stored):
    if case is two_layer_npz_with_one_layer_json:
        case(model)
        if stored == 'stripped':
            strip_description(model)
    else:
        if stored == 'stripped':
            strip_description(model)
        case(model)
    with pytest.raises(UserError) as e:
        load_model(model)
    msg = str(e.value)
    assert '\n' not in msg and 'model.' in msg
    for w in words:
        assert w in msg, msg
    if stored == 'kept':       # the description inside model.npz differs
        assert 'different saves' in msg
    elif case is two_layer_npz_with_one_layer_json:
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
