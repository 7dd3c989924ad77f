"""ONNX export (:mod:`chainer_irnn.export.onnx`): onnxruntime's probabilities
are ``predict``'s, to 1e-5, for every model kind the exporter accepts."""
import json
import os
import subprocess
import sys

import numpy
import pytest

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

from chainer_irnn import models  # noqa: E402
from chainer_irnn.errors import UserError  # noqa: E402
from chainer_irnn.export import onnx as export  # noqa: E402
from chainer_irnn.predictor import Predictor, load_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOL = 1e-5


def session(proto):
    options = ort.SessionOptions()
    options.log_severity_level = 3    # the overridable default of `lengths` is logged
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=['CPUExecutionProvider'])


def random_predictor(hidden, input='linear', activation='relu', kind='irnn', in_size=3,
                     n_class=4, tabular=None, seed=0, pool=None, extra=None):
    """A model as load_model builds it, its weights moved off their
    initialisation (so biases, identity and head all matter); the same
    weights in every run (the initialisers draw from NumPy's global
    generator: seeded here, and its state put back)."""
    config = {'model': kind, 'in_size': in_size, 'hidden': list(hidden), 'input': input,
              'activation': activation, 'identity_scale': 1.0, 'input_std': 0.5,
              'n_class': n_class, 'dropout': 0.3, 'input_noise': 0.1}
    if pool is not None:
        config['pool'] = pool
    config.update(extra or {})
    if tabular is not None:
        config['tabular'] = tabular
    state = numpy.random.get_state()
    try:
        numpy.random.seed(seed)
        model = models.build_model(config)
    finally:
        numpy.random.set_state(state)
    rng = numpy.random.RandomState(seed)
    for _, p in sorted(model.namedparams()):
        p.array[...] += rng.normal(0, 0.2, p.shape).astype(numpy.float32)
    return Predictor(model, config)


def padded(seqs, fill):
    T = max(len(s) for s in seqs)
    out = numpy.full((len(seqs), T) + seqs[0].shape[1:], fill, dtype=seqs[0].dtype)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return out


def inputs(pred, rng, n=7, T=9):
    if pred.description['input'] == 'embed':
        return rng.randint(0, pred.description['in_size'], size=(n, T)).astype(numpy.int64)
    return rng.normal(0, 2, size=(n, T, pred.description['in_size'])).astype(numpy.float32)


CASES = {
    'linear-1-layer': dict(hidden=(5,)),
    'linear-2-layers': dict(hidden=(6, 4)),
    'linear-3-layers-tanh': dict(hidden=(4, 5, 3), activation='tanh'),
    'embed': dict(hidden=(5,), input='embed', in_size=11),
    'embed-2-layers': dict(hidden=(5, 4), input='embed', in_size=11),
    'rows-rnn': dict(hidden=(6,), kind='rows-rnn', activation='tanh'),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_equal_lengths(case):
    pred = random_predictor(**CASES[case])
    proto = pred.to_onnx()
    X = inputs(pred, numpy.random.RandomState(1))
    expected = pred.predict_proba(X)
    got = session(proto).run(None, {'x': X})[0]
    assert got.shape == expected.shape == (7, 4)
    assert got.dtype == numpy.float32
    numpy.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    # the weights matter: another draw of them gives other probabilities
    other = session(random_predictor(seed=7, **CASES[case]).to_onnx()).run(None, {'x': X})[0]
    assert numpy.abs(other - expected).max() > 1e-2


@pytest.mark.parametrize('case', sorted(CASES))
def test_variable_lengths_with_padding(case):
    pred = random_predictor(**CASES[case])
    rng = numpy.random.RandomState(2)
    X = inputs(pred, rng)
    lengths = numpy.array([9, 3, 1, 5, 9, 2, 7], dtype=numpy.int64)
    seqs = [x[:n] for x, n in zip(X, lengths)]
    expected = pred.predict_proba(seqs)          # predict pads and masks itself
    # the padding holds anything: ONNX's RNN ignores steps past `lengths`
    garbage = 3 if pred.description['input'] == 'embed' else 1e3
    got = session(pred.to_onnx()).run(None, {'x': padded(seqs, garbage), 'lengths': lengths})[0]
    numpy.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    # without `lengths` the padding would be read: the input is honoured
    unmasked = session(pred.to_onnx()).run(None, {'x': padded(seqs, garbage)})[0]
    assert numpy.abs(unmasked - expected)[lengths < 9].max() > 1e-3


def test_training_augmentation_is_not_in_the_graph():
    """augment_scale and augment_slice (model.json) act in training only:
    the graph is that of the plain network, as predict is."""
    aug = random_predictor((5,), extra=dict(augment_scale=0.3, augment_slice=0.4))
    plain = random_predictor((5,))
    X = inputs(plain, numpy.random.RandomState(3))
    got = session(aug.to_onnx()).run(None, {'x': X})[0]
    numpy.testing.assert_array_equal(got, session(plain.to_onnx()).run(None, {'x': X})[0])
    numpy.testing.assert_allclose(got, aug.predict_proba(X), rtol=0, atol=TOL)


def tabular(fill, standardize=True, names=None):
    return {'classes': ['cat', 'dog', 'eel', 'fox'], 'mean': [1.5, -2.0, 30.0],
            'std': [2.0, 0.25, 10.0], 'fill': fill, 'standardize': standardize,
            'feature_names': names}


@pytest.mark.parametrize('fill', [None, 'zero', 'mean', 'ffill'])
def test_raw_features_in_standardisation_and_fill_inside(fill):
    pred = random_predictor((5, 3), tabular=tabular(fill, names=['a', 'b', 'c']))
    rng = numpy.random.RandomState(3)
    X = (rng.normal(size=(6, 8, 3)) * [2, 0.25, 10] + [1.5, -2, 30]).astype(numpy.float32)
    if fill is not None:      # missing cells: first step, middle, a run, the last step
        X[0, 0, 0] = X[1, 3, 1] = X[1, 4, 1] = X[2, 7, 2] = X[3, :3, 2] = numpy.nan
    expected = pred.predict_proba(X)
    proto = pred.to_onnx()
    got = session(proto).run(None, {'x': X})[0]
    numpy.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    assert numpy.isfinite(got).all()
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta['classes']) == ['cat', 'dog', 'eel', 'fox']
    assert json.loads(meta['feature_names']) == ['a', 'b', 'c']
    assert meta['input'] == 'features'
    # standardisation happens in the graph: the same model without it differs
    plain = random_predictor((5, 3), tabular=tabular(fill, standardize=False))
    if fill is None:
        assert numpy.abs(session(plain.to_onnx()).run(None, {'x': X})[0] - got).max() > 1e-2


def test_checker_opset_ir_version_and_file(tmp_path):
    pred = random_predictor((5, 3))
    path = tmp_path / 'm.onnx'
    proto = pred.to_onnx(str(path))
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert loaded.SerializeToString() == proto.SerializeToString()
    assert [(o.domain, o.version) for o in loaded.opset_import] == [('', export.OPSET)]
    assert export.OPSET == 17 and loaded.ir_version == export.IR_VERSION == 8
    assert [i.name for i in loaded.graph.input] == ['x', 'lengths']
    assert [o.name for o in loaded.graph.output] == ['probabilities']
    assert sorted({n.op_type for n in loaded.graph.node}) == [
        'Cast', 'Expand', 'Gemm', 'Min', 'RNN', 'Shape', 'Softmax', 'Squeeze', 'Transpose']
    assert not [f for f in os.listdir(str(tmp_path)) if f != 'm.onnx']
    # another opset that onnxruntime runs gives the same probabilities
    X = inputs(pred, numpy.random.RandomState(4))
    a = session(proto).run(None, {'x': X})[0]
    b = session(pred.to_onnx(opset=15)).run(None, {'x': X})[0]
    numpy.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('opset', [14, 0, 10 ** 6, '17', True])
def test_bad_opset_is_a_parameter_error(opset):
    with pytest.raises(UserError, match=r'^opset: must be an integer from 15 to'):
        random_predictor((3,)).to_onnx(opset=opset)


def test_shipped_pixel_model_equals_predict():
    """models/irnn-pixel: EmbedID(256, 100), 100 ReLU units over 784 steps."""
    from chainer_irnn.datasets import mnist
    pred = load_model(os.path.join(ROOT, 'models', 'irnn-pixel'))
    images = mnist.load_mnist('embedded', progress=False).test_images[:256]
    X = images.reshape(len(images), 784).astype(numpy.int64)
    expected = pred.predict_proba(X)            # one batch of 256, predict's default
    proto = pred.to_onnx()
    got = session(proto).run(None, {'x': X})[0]
    numpy.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    assert (got.argmax(1) == expected.argmax(1)).all()
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta['classes']) == [str(i) for i in range(10)]
    assert meta['input'] == 'tokens' and 'feature_names' not in meta
    assert json.loads(meta['model.json'])['hidden'] == [100]


def test_classifier_to_onnx(tmp_path):
    from chainer_irnn import IRNNClassifier
    pred = random_predictor((5,), tabular=tabular(None))
    models.save_model(pred.model, pred.description, str(tmp_path / 'm'))
    clf = IRNNClassifier.load(str(tmp_path / 'm'))
    X = inputs(pred, numpy.random.RandomState(6))
    got = session(clf.to_onnx(str(tmp_path / 'c.onnx'))).run(None, {'x': X})[0]
    numpy.testing.assert_allclose(got, clf.predict_proba(X), rtol=0, atol=TOL)
    assert (tmp_path / 'c.onnx').stat().st_size > 0


def test_unfitted_classifier_is_refused():
    from sklearn.exceptions import NotFittedError

    from chainer_irnn import IRNNClassifier
    with pytest.raises(NotFittedError):
        IRNNClassifier().to_onnx()


def test_hrnn_is_refused_in_one_line():
    pred = Predictor(models.build_model({'model': 'hrnn', 'in_size': 28, 'hidden': [8, 8],
                                         'input': 'linear', 'activation': 'tanh',
                                         'n_class': 10}), {'model': 'hrnn', 'n_class': 10})
    with pytest.raises(UserError) as e:
        pred.to_onnx()
    assert "cannot export to ONNX: model 'hrnn'" in str(e.value)
    assert 'LSTM' in str(e.value) and '\n' not in str(e.value)


def test_extra_parameters_are_refused():
    import chainer.links as L
    pred = random_predictor((4,))
    with pred.model.predictor.init_scope():
        pred.model.predictor.attention = L.Linear(4, 1)
    with pytest.raises(UserError, match=r'parameters outside the IRNN and its head: '
                                        r'/attention/W, /attention/b'):
        pred.to_onnx()


POOL_TOL = 1e-6


def unsaturated(pred, X):
    """Shifts and scales the head of a random ReLU model so that its class
    scores on ``X`` have mean 0 in each column and standard deviation 1: the
    softmax is not saturated and no class wins every row, so the
    probabilities and classes show any difference in the pooled states."""
    import chainer
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        scores = pred.model.predictor(X).array
    c = 1 / float(scores.std())
    head = pred.model.predictor.head
    head.W.array *= c
    head.b.array[...] = (head.b.array - scores.mean(axis=0)) * c
    return pred


@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
@pytest.mark.parametrize('hidden', [(5,), (6, 4)])
@pytest.mark.parametrize('variable', [False, True])
def test_pooled_heads_equal_predict(pool, hidden, variable):
    """pool='mean'/'max': the mean or maximum over each sequence's own steps,
    the padding (filled with 1e3) excluded; the same classes as predict."""
    pred = random_predictor(hidden, pool=pool)
    assert pred.model.predictor.encoder.pool == pool
    X = inputs(pred, numpy.random.RandomState(8))
    unsaturated(pred, X)
    feed = {'x': X}
    if variable:
        lengths = numpy.array([9, 3, 1, 5, 9, 2, 7], dtype=numpy.int64)
        seqs = [x[:n] for x, n in zip(X, lengths)]
        expected = pred.predict_proba(seqs)
        feed = {'x': padded(seqs, 1e3), 'lengths': lengths}
    else:
        expected = pred.predict_proba(X)
    got = session(pred.to_onnx()).run(None, feed)[0]
    numpy.testing.assert_allclose(got, expected, rtol=0, atol=POOL_TOL)
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert expected.max(1).mean() < 0.95 and len(set(expected.argmax(1))) > 1
    if variable:    # the lengths are honoured: one sequence alone gives its row
        alone = session(pred.to_onnx()).run(None, {'x': seqs[1][None]})[0]
        numpy.testing.assert_allclose(alone[0], got[1], rtol=0, atol=POOL_TOL)


def test_the_pool_is_in_the_graph():
    """The same weights pooled three ways give three sets of probabilities
    (tanh: bounded states, so the softmax is not saturated)."""
    X = inputs(random_predictor((6, 4)), numpy.random.RandomState(9))
    got = {}
    for pool in ('last', 'mean', 'max'):
        proto = random_predictor((6, 4), activation='tanh', pool=pool).to_onnx()
        got[pool] = session(proto).run(None, {'x': X})[0]
        ops = {n.op_type for n in proto.graph.node}
        assert ({'Range', 'Less', 'Where'} <= ops) == (pool != 'last')
        assert ('ReduceMax' in ops) == (pool == 'max') and ('Div' in ops) == (pool == 'mean')
        assert json.loads({p.key: p.value for p in proto.metadata_props}['model.json']).get(
            'pool', 'last') == pool
    for a, b in [('last', 'mean'), ('last', 'max'), ('mean', 'max')]:
        assert numpy.abs(got[a] - got[b]).max() > 1e-2, (a, b)
    assert max(p.max(1).mean() for p in got.values()) < 0.9


@pytest.mark.parametrize('pool', ['mean', 'max'])
@pytest.mark.parametrize('opset', [15, 18])
def test_pooled_tanh_and_opsets(pool, opset):
    """tanh states are negative too: the masked maximum is not the zero fill
    of RNN's Y; ReduceMax takes its axes as an attribute before opset 18."""
    pred = random_predictor((5, 3), activation='tanh', pool=pool)
    X = inputs(pred, numpy.random.RandomState(10))
    lengths = numpy.array([2, 9, 4, 1, 6, 9, 3], dtype=numpy.int64)
    seqs = [x[:n] for x, n in zip(X, lengths)]
    got = session(pred.to_onnx(opset=opset)).run(
        None, {'x': padded(seqs, -1e3), 'lengths': lengths})[0]
    numpy.testing.assert_allclose(got, pred.predict_proba(seqs), rtol=0, atol=POOL_TOL)


def test_pooled_csv_model_exports_from_the_cli(tmp_path):
    """A saved CSV model with "pool": "mean" in model.json (standardised
    inside the graph) exports with the command and agrees with predict."""
    from chainer_irnn.cli import main
    pred = random_predictor((5, 3), tabular=tabular('mean'), pool='mean')
    models.save_model(pred.model, pred.description, str(tmp_path / 'm'))
    loaded = load_model(str(tmp_path / 'm'))
    assert loaded.description['pool'] == 'mean'
    assert loaded.model.predictor.encoder.pool == 'mean'
    out = tmp_path / 'm.onnx'
    assert main(['export', '--model', str(tmp_path / 'm'), '--onnx', str(out)]) == 0
    X = inputs(pred, numpy.random.RandomState(11)) * 2 + 1
    X[0, 2, 1] = numpy.nan
    got = session(onnx.load(str(out))).run(None, {'x': X})[0]
    numpy.testing.assert_allclose(got, loaded.predict_proba(X), rtol=0, atol=POOL_TOL)


def test_ensembles_and_inconsistent_pools_are_refused():
    pred = random_predictor((4,))
    pred.description['ensemble'] = True
    with pytest.raises(UserError, match='cannot export to ONNX: an ensemble'):
        pred.to_onnx()
    # model.json says one pool, the model computes another: neither is trusted
    pred = random_predictor((4,))
    pred.description['pool'] = 'mean'
    with pytest.raises(UserError, match="cannot export to ONNX: model.json's pool 'mean', "
                                        "where the model pools 'last'"):
        pred.to_onnx()
    pred = random_predictor((4,), pool='max')
    pred.model.predictor.encoder.pool = 'attention'
    with pytest.raises(UserError, match=r"cannot export to ONNX: the pooled head "
                                        r"\(pool='attention'\)"):
        pred.to_onnx()


def test_missing_onnx_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnx', None)
    with pytest.raises(UserError, match=r"needs the onnx package .*chainer-irnn\[onnx\]"):
        random_predictor((3,)).to_onnx()


def test_cli_export(tmp_path, capsys):
    from chainer_irnn.cli import main
    pred = random_predictor((5, 3), tabular=tabular('mean'))
    models.save_model(pred.model, pred.description, str(tmp_path / 'm'))
    out = tmp_path / 'm.onnx'
    assert main(['export', '--model', str(tmp_path / 'm'), '--onnx', str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith('wrote {} ('.format(out)) and 'opset 17' in printed
    assert 'inputs x float(batch, steps, 3), lengths int64(?); output probabilities ' \
           'float(batch, 4)' in printed
    X = inputs(pred, numpy.random.RandomState(7))
    got = session(onnx.load(str(out))).run(None, {'x': X})[0]
    numpy.testing.assert_allclose(got, pred.predict_proba(X), rtol=0, atol=TOL)


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys):
    from chainer_irnn.cli import main
    config = {'model': 'hrnn', 'in_size': 28, 'hidden': [4, 4], 'input': 'linear',
              'activation': 'tanh', 'n_class': 10, 'identity_scale': 1.0, 'input_std': 0.001}
    models.save_model(models.build_model(config), config, str(tmp_path / 'h'))
    # as a user runs it: a process, one line on stderr, no traceback
    r = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'export', '--model',
                        str(tmp_path / 'h'), '--onnx', str(tmp_path / 'h.onnx')],
                       env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("chainer-irnn export: error: cannot export to ONNX: model "
                               "'hrnn': its HierarchicalRNN encoder is made of LSTM layers")
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    irnn = os.path.join(ROOT, 'models', 'irnn-pixel')
    for args, message in [
            (['--onnx', str(tmp_path / 'no' / 'x.onnx')],
             '--onnx: {}: the folder'.format(tmp_path / 'no' / 'x.onnx')),
            (['--onnx', str(tmp_path)], '--onnx: {}: is a directory'.format(tmp_path)),
            (['--onnx', str(tmp_path / 'x.onnx'), '--opset', '12'],
             '--opset: must be an integer from 15')]:
        assert main(['export', '--model', irnn] + args) == 2
        err = capsys.readouterr().err
        assert err.startswith('chainer-irnn export: error: ' + message), err
        assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / 'h.onnx').exists() and not (tmp_path / 'x.onnx').exists()


@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
@pytest.mark.parametrize('fill', [None, 'ffill'])
@pytest.mark.parametrize('opset', [15, 17])
def test_window_mean_is_in_the_graph(pool, fill, opset):
    """A model trained with max_steps ("window_mean": 3 in model.json): the
    graph averages each sequence's own steps (t < lengths) over windows of
    3, the last one partial, and the RNN reads ceil(lengths / 3) steps, as
    predict does; the padding (1e3, or NaN) is never read."""
    tab = dict(tabular(fill), window_mean=3)
    pred = random_predictor((5, 3), tabular=tab, pool=pool)
    rng = numpy.random.RandomState(12)
    X = (rng.normal(size=(7, 10, 3)) * [2, 0.25, 10] + [1.5, -2, 30]).astype(numpy.float32)
    if fill is not None:
        X[0, 0, 0] = X[1, 2, 1] = X[4, 9, 2] = numpy.nan
    lengths = numpy.array([10, 3, 1, 5, 9, 2, 7], dtype=numpy.int64)
    seqs = [x[:n] for x, n in zip(X, lengths)]
    assert [len(x) for x in pred.prepare(seqs)] == [4, 1, 1, 2, 3, 1, 3]
    proto = pred.to_onnx(opset=opset)
    expected = pred.predict_proba(seqs)
    for garbage in (1e3, numpy.nan):
        got = session(proto).run(None, {'x': padded(seqs, garbage), 'lengths': lengths})[0]
        numpy.testing.assert_allclose(got, expected, rtol=0, atol=POOL_TOL)
    full = session(proto).run(None, {'x': X})[0]       # no lengths: all 10 steps
    numpy.testing.assert_allclose(full, pred.predict_proba(X), rtol=0, atol=POOL_TOL)
    # the averaging matters: the same weights without it give other probabilities
    plain = random_predictor((5, 3), tabular=tabular(fill), pool=pool).to_onnx(opset=opset)
    assert numpy.abs(session(plain).run(None, {'x': X})[0] - full).max() > 1e-3
    assert {'Pad', 'Reshape', 'ReduceSum'} <= {n.op_type for n in proto.graph.node}


BIDIRECTIONAL = {
    'linear-1-layer': dict(hidden=(5,)),
    'linear-2-layers': dict(hidden=(6, 4)),
    'linear-3-layers-tanh': dict(hidden=(4, 5, 3), activation='tanh'),
    'embed-2-layers': dict(hidden=(5, 4), input='embed', in_size=11),
}


def forward_half(pred):
    """A one-way model with ``pred``'s forward weights and the half of its
    head that reads them."""
    config = {k: v for k, v in pred.description.items() if k != 'bidirectional'}
    one = models.build_model(config)
    params = dict(pred.model.predictor.namedparams())
    for name, p in one.predictor.namedparams():
        p.array[...] = params[name].array[:, :p.shape[1]] if name == '/head/W' else \
            params[name].array
    return Predictor(one, config)


@pytest.mark.parametrize('case', sorted(BIDIRECTIONAL))
@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
def test_bidirectional_equals_predict(case, pool):
    """bidirectional: RNN's reverse direction reads each sequence from its
    own last step (sequence_lens) down to its first, through the reverse
    stack's weights; the padding (1e3, or a token) is never read; the
    probabilities and classes are predict's, with lengths or without."""
    pred = random_predictor(pool=pool, extra={'bidirectional': True}, **BIDIRECTIONAL[case])
    assert pred.model.predictor.encoder.bidirectional
    X = inputs(pred, numpy.random.RandomState(13))
    unsaturated(pred, X)
    lengths = numpy.array([9, 3, 1, 5, 9, 2, 7], dtype=numpy.int64)
    seqs = [x[:n] for x, n in zip(X, lengths)]
    proto = pred.to_onnx()
    rnns = [n for n in proto.graph.node if n.op_type == 'RNN']
    directions = [a.s.decode() for n in rnns for a in n.attribute if a.name == 'direction']
    n_layers = len(BIDIRECTIONAL[case]['hidden'])
    assert directions == ['forward'] * n_layers + ['reverse'] * n_layers
    garbage = 3 if pred.description['input'] == 'embed' else 1e3
    expected = pred.predict_proba(seqs)
    got = session(proto).run(None, {'x': padded(seqs, garbage), 'lengths': lengths})[0]
    numpy.testing.assert_allclose(got, expected, rtol=0, atol=POOL_TOL)
    assert (got.argmax(1) == expected.argmax(1)).all()
    full = session(proto).run(None, {'x': X})[0]
    numpy.testing.assert_allclose(full, pred.predict_proba(X), rtol=0, atol=POOL_TOL)
    alone = session(proto).run(None, {'x': seqs[3][None]})[0]
    numpy.testing.assert_allclose(alone[0], got[3], rtol=0, atol=POOL_TOL)
    # the backward half matters: the forward half alone scores otherwise
    one_way = session(forward_half(pred).to_onnx()).run(None, {'x': X})[0]
    assert numpy.abs(one_way - full).max() > 1e-3


@pytest.mark.parametrize('opset', [15, 18])
def test_bidirectional_csv_model_with_windows_exports_from_the_cli(tmp_path, opset):
    """A saved CSV model (fill, standardisation and window averaging inside
    the graph) read both ways exports with the command and agrees with
    predict on padded sequences of several lengths."""
    from chainer_irnn.cli import main
    tab = dict(tabular('ffill'), window_mean=2)
    pred = random_predictor((5, 3), tabular=tab, pool='max', activation='tanh',
                            extra={'bidirectional': True})
    models.save_model(pred.model, pred.description, str(tmp_path / 'm'))
    loaded = load_model(str(tmp_path / 'm'))
    assert loaded.description['requires'] == ['pool', 'bidirectional', 'window_mean']
    out = tmp_path / 'm.onnx'
    assert main(['export', '--model', str(tmp_path / 'm'), '--onnx', str(out),
                 '--opset', str(opset)]) == 0
    rng = numpy.random.RandomState(14)
    X = (rng.normal(size=(7, 10, 3)) * [2, 0.25, 10] + [1.5, -2, 30]).astype(numpy.float32)
    X[1, 1, 0] = numpy.nan
    lengths = numpy.array([10, 3, 1, 5, 9, 2, 7], dtype=numpy.int64)
    seqs = [x[:n] for x, n in zip(X, lengths)]
    got = session(onnx.load(str(out))).run(None, {'x': padded(seqs, -1e3), 'lengths': lengths})[0]
    numpy.testing.assert_allclose(got, loaded.predict_proba(seqs), rtol=0, atol=POOL_TOL)


def test_a_description_that_disagrees_on_the_direction_is_refused():
    pred = random_predictor((4,))
    pred.description['bidirectional'] = True
    with pytest.raises(UserError, match="cannot export to ONNX: model.json's bidirectional "
                                        'true, where the model reads one way'):
        pred.to_onnx()
    pred = random_predictor((4,), extra={'bidirectional': True})
    del pred.description['bidirectional']
    with pytest.raises(UserError, match="cannot export to ONNX: model.json's bidirectional "
                                        'false, where the model reads both ways'):
        pred.to_onnx()
