"""IRNN(bidirectional=True): a second stack reads each sequence from its own
last step to its first, padding untouched; both directions pooled and
concatenated; for both recurrences, both inputs, stacked layers, with
gradients checked numerically; the one-way IRNN unchanged."""
import chainer
import numpy
import pytest

from chainer import gradient_check

from chainer_irnn.errors import ParameterError
from chainer_irnn.links import IRNN, RecurrentClassifier
from chainer_irnn.links.irnn import reverse_within_lengths

REDUCE = {'last': lambda hs: hs[-1], 'mean': lambda hs: hs.mean(0), 'max': lambda hs: hs.max(0)}
LENGTHS = numpy.array([6, 2, 4, 1], 'i')


def make(input='linear', seed=0, **kw):
    numpy.random.seed(seed)
    kw.setdefault('identity_scale', 0.9)
    kw.setdefault('input_std', 0.5)
    return IRNN(3 if input == 'linear' else 9, kw.pop('hidden', (5, 4)), input=input, **kw)


def data(input, B=4, T=6, seed=1):
    rng = numpy.random.RandomState(seed)
    if input == 'linear':
        return rng.randn(B, T, 3).astype('f')
    return rng.randint(0, 9, (B, T)).astype('i')


def one_way(link, stack):
    """A one-way IRNN of ``link``'s sizes holding the parameters of
    ``stack`` (``link`` itself or ``link.reverse``)."""
    plain = IRNN(link.in_size, link.hidden, input=link.input, impl=link.impl,
                 activation=link.activation, pool=link.pool)
    for name, p in plain.namedparams():
        source = stack
        for part in name.strip('/').split('/'):
            source = getattr(source, part)
        p.array[...] = source.array
    return plain


def test_reverse_within_lengths_keeps_the_padding_and_is_its_own_inverse():
    x = numpy.arange(4 * 6).reshape(4, 6)
    got = reverse_within_lengths(x, LENGTHS)
    for i, n in enumerate(LENGTHS):
        numpy.testing.assert_array_equal(got[i, :n], x[i, :n][::-1])
        numpy.testing.assert_array_equal(got[i, n:], x[i, n:])
    numpy.testing.assert_array_equal(reverse_within_lengths(got, LENGTHS), x)
    numpy.testing.assert_array_equal(reverse_within_lengths(x), x[:, ::-1])
    # lengths past T read as T, a length 0 leaves the row alone
    numpy.testing.assert_array_equal(reverse_within_lengths(x, [9, 0, 6, 6]),
                                     numpy.stack([x[0, ::-1], x[1], x[2, ::-1], x[3, ::-1]]))
    # a float Variable stays in the graph (its gradient is the inverse reordering)
    v = chainer.Variable(numpy.random.RandomState(0).randn(4, 6, 2))
    r = reverse_within_lengths(v, LENGTHS)
    assert isinstance(r, chainer.Variable)
    numpy.testing.assert_array_equal(r.array, reverse_within_lengths(v.array, LENGTHS))
    gy = numpy.random.RandomState(1).randn(4, 6, 2)
    r.grad = gy
    r.backward()
    numpy.testing.assert_array_equal(v.grad, reverse_within_lengths(gy, LENGTHS))


def test_the_default_is_the_one_way_irnn_and_its_parameter_names():
    a, b = make(), make(bidirectional=False)
    names = sorted(n for n, _ in a.namedparams())
    assert names == sorted(n for n, _ in b.namedparams())
    assert not any('reverse' in n for n in names) and a.out_size == 4
    c = make(bidirectional=True)
    both = sorted(n for n, _ in c.namedparams())
    assert [n for n in both if not n.startswith('/reverse/')] == names
    assert [n for n in both if n.startswith('/reverse/')] == ['/reverse' + n for n in names]
    assert c.out_size == 8
    # the forward stack is drawn first: the same seed gives a one-way IRNN's weights
    params = dict(a.namedparams())
    for name, p in c.namedparams():
        if not name.startswith('/reverse/'):
            numpy.testing.assert_array_equal(p.array, params[name].array)
    # the reverse stack starts as the forward one does: identity, zero bias
    numpy.testing.assert_array_equal(c.reverse.rec0.W.array,
                                     numpy.float32(0.9) * numpy.eye(5, dtype='f'))
    assert not c.reverse.rec1.b.array.any()
    assert not numpy.array_equal(c.reverse.input_map.W.array, c.input_map.W.array)


@pytest.mark.parametrize('impl', ['fused', 'naive'])
@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
@pytest.mark.parametrize('input', ['linear', 'embed'])
def test_a_padded_batch_reads_each_sequence_both_ways(pool, impl, input):
    """The forward half is a one-way IRNN with the forward weights; the
    backward half is a one-way IRNN with the reverse weights run on each
    sequence alone, reversed; the padding (anything) is never read."""
    m = make(input, impl=impl, pool=pool, bidirectional=True)
    x = data(input)
    x_padded = x.copy()
    for i, n in enumerate(LENGTHS):
        x_padded[i, n:] = 1e3 if input == 'linear' else 8
    got = m(x_padded, LENGTHS).array
    assert got.shape == (4, 8)
    forward, backward = one_way(m, m), one_way(m, m.reverse)
    for i, n in enumerate(LENGTHS):
        alone = x[i:i + 1, :n]
        numpy.testing.assert_allclose(got[i, :4], forward(alone).array[0], rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(got[i, 4:], backward(alone[:, ::-1].copy()).array[0],
                                      rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(got[i], m(alone).array[0], rtol=1e-5, atol=1e-6)
        hs = backward(alone[:, ::-1].copy(), return_sequences=True).array[0]
        numpy.testing.assert_allclose(got[i, 4:], REDUCE[pool](hs), rtol=1e-5, atol=1e-6)
    # without lengths the whole rows are read, backwards from step T-1
    numpy.testing.assert_allclose(m(x).array[:, 4:], backward(x[:, ::-1].copy()).array,
                                  rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('impl', ['fused', 'naive'])
def test_return_sequences_aligns_the_backward_states_with_the_steps(impl):
    m = make(impl=impl, bidirectional=True)
    x = data('linear')
    hs = m(x, LENGTHS, return_sequences=True).array
    assert hs.shape == (4, 6, 8)
    backward = one_way(m, m.reverse)
    for i, n in enumerate(LENGTHS):
        alone = x[i:i + 1, :n]
        numpy.testing.assert_allclose(hs[i, :n], m(alone, return_sequences=True).array[0],
                                      rtol=1e-5, atol=1e-6)
        # at step t: the state after reading steps n-1 down to t
        states = backward(alone[:, ::-1].copy(), return_sequences=True).array[0][::-1]
        numpy.testing.assert_allclose(hs[i, :n, 4:], states, rtol=1e-5, atol=1e-6)
        # past its length each half holds its final state
        numpy.testing.assert_array_equal(hs[i, n:], numpy.broadcast_to(
            numpy.concatenate([hs[i, n - 1, :4], hs[i, 0, 4:]]), hs[i, n:].shape))


@pytest.mark.parametrize('impl', ['fused', 'naive'])
@pytest.mark.parametrize('pool', ['last', 'mean', 'max'])
def test_gradient_check_of_the_bidirectional_classifier(impl, pool):
    numpy.random.seed(4)
    enc = IRNN(3, (4, 3), input='linear', input_std=0.5, identity_scale=0.8, impl=impl,
               pool=pool, bidirectional=True)
    model = RecurrentClassifier(enc, 2)
    assert model.head.W.shape == (2, 6)
    for p in model.params():
        p.array = p.array.astype(numpy.float64)
        p.array += numpy.random.uniform(-0.05, 0.05, p.shape)
    x = numpy.random.randn(3, 4, 3)
    lens = numpy.array([4, 2, 1])
    gy = numpy.random.randn(3, 2)
    gradient_check.check_backward(lambda x: model(x, lens), x, gy, params=tuple(model.params()),
                                  dtype=numpy.float64, atol=1e-5, rtol=1e-4, eps=1e-4)


def scaled(f):
    """``s -> s f()``: integer ids take no gradient, so a scale of the
    output is the input that ``check_backward`` differentiates (besides
    every parameter)."""
    import chainer.functions as F

    def g(s):
        y = f()
        return F.broadcast_to(F.reshape(s, (1,) * y.ndim), y.shape) * y
    return g


@pytest.mark.parametrize('impl', ['fused', 'naive'])
@pytest.mark.parametrize('sequences', [False, True])
def test_gradient_check_of_embed_input(impl, sequences):
    numpy.random.seed(5)
    enc = IRNN(6, (3, 2), input='embed', input_std=0.5, identity_scale=0.8, impl=impl,
               pool='mean', bidirectional=True)
    for p in enc.params():
        p.array = p.array.astype(numpy.float64)
        p.array += numpy.random.uniform(-0.05, 0.05, p.shape)
    ids = numpy.random.randint(0, 6, (3, 5)).astype('i')
    lens = numpy.array([5, 3, 1])
    gy = numpy.random.randn(*((3, 5, 4) if sequences else (3, 4)))
    gradient_check.check_backward(
        scaled(lambda: enc(ids, lens, return_sequences=sequences)), numpy.ones(1), gy,
        params=tuple(enc.params()), dtype=numpy.float64, atol=1e-5, rtol=1e-4, eps=1e-4)


def test_both_directions_read_one_draw_of_the_training_perturbations():
    """Augmentation, noise and input dropout are drawn once per batch: the
    reverse input map sees the forward one's input, each row reversed within
    its length."""
    m = make(bidirectional=True, impl='naive', augment_scale=0.3, augment_slice=0.3,
             input_noise=0.2, input_dropout=0.3, dropout=0.2)
    x = data('linear')
    seen = {}
    for name, link in (('forward', m.input_map), ('backward', m.reverse.input_map)):
        def spy(v, name=name, forward=link.forward):
            seen[name] = numpy.array(v.array if isinstance(v, chainer.Variable) else v)
            return forward(v)
        link.forward = spy
    numpy.random.seed(2)
    with chainer.using_config('train', True):
        a = m(x, LENGTHS).array
    B, T, D = x.shape
    fwd = seen['forward'].reshape(T, B, D).transpose(1, 0, 2)
    bwd = seen['backward'].reshape(T, B, D).transpose(1, 0, 2)
    assert not numpy.allclose(fwd, x)                      # perturbed
    numpy.testing.assert_array_equal(bwd, reverse_within_lengths(fwd, LENGTHS))
    with chainer.using_config('train', True):
        assert not numpy.allclose(m(x, LENGTHS).array, a)     # a new draw each call
    with chainer.using_config('train', False):
        plain = make(bidirectional=True, impl='naive')
        numpy.testing.assert_array_equal(m(x, LENGTHS).array, plain(x, LENGTHS).array)


def test_a_bidirectional_link_is_one_that_says_so():
    with pytest.raises(ParameterError, match="bidirectional: expected True or False, not 'yes'"):
        make(bidirectional='yes')
    m = make(bidirectional=True)
    with pytest.raises(ValueError, match='h0 starts the forward direction only'):
        m(data('linear'), h0=[numpy.zeros((4, 5), 'f'), numpy.zeros((4, 4), 'f')])
    with pytest.raises(ValueError, match='needs every sequence to have a step'):
        make(bidirectional=True, pool='mean')(data('linear'), numpy.array([6, 0, 1, 1]))


# ------------------------------------------------------------------ model files

def _description(**over):
    d = {'model': 'irnn', 'in_size': 3, 'hidden': [5, 4], 'input': 'linear',
         'activation': 'relu', 'identity_scale': 1.0, 'input_std': 0.5, 'n_class': 3}
    d.update(over)
    return d


def test_model_json_says_bidirectional_only_when_on():
    from chainer_irnn.training.config import TrainConfig
    from chainer_irnn.training.fitting import describe_model
    meta = {'in_size': 3, 'n_class': 2}
    cfg = TrainConfig().replace(input='linear', hidden=(4,))
    assert 'bidirectional' not in describe_model(cfg, meta)       # as before: old files stay
    assert describe_model(cfg.replace(bidirectional=True), meta)['bidirectional'] is True


@pytest.mark.parametrize('input', ['linear', 'embed'])
def test_a_bidirectional_model_file_round_trips(tmp_path, input):
    from chainer_irnn import load_model, models
    d = _description(input=input, bidirectional=True, in_size=3 if input == 'linear' else 9)
    numpy.random.seed(0)
    model = models.build_model(d)
    encoder = model.predictor.encoder
    assert encoder.bidirectional and model.predictor.head.W.shape == (3, 8)
    shapes = {name.lstrip('/'): p.shape for name, p in model.predictor.namedparams()}
    assert shapes == models.expected_shapes(d)
    models.save_model(model, d, str(tmp_path))
    loaded = load_model(str(tmp_path))
    assert loaded.description['bidirectional'] is True
    assert loaded.description['requires'] == ['bidirectional']
    for name, p in model.predictor.namedparams():
        numpy.testing.assert_array_equal(
            dict(loaded.model.predictor.namedparams())[name].array, p.array)
    x = data(input)
    seqs = [row[:n] for row, n in zip(x, LENGTHS)]
    with chainer.using_config('train', False):
        direct = chainer.functions.softmax(model.predictor(x, LENGTHS)).array
    numpy.testing.assert_allclose(loaded.predict_proba(seqs), direct, rtol=1e-5, atol=1e-6)


def test_model_files_that_disagree_on_the_direction_are_refused(tmp_path):
    from chainer_irnn import models
    from chainer_irnn.errors import UserError
    d = _description(bidirectional=True)
    models.save_model(models.build_model(d), d, str(tmp_path))
    with numpy.load(str(tmp_path / 'model.npz')) as f:
        arrays = {k: f[k] for k in f.files if k != models.DESCRIPTION_ENTRY}
    numpy.savez(str(tmp_path / 'model.npz'), **arrays)        # an older file: no copy inside
    one_way = _description()
    import json
    (tmp_path / 'model.json').write_text(json.dumps(one_way))
    with pytest.raises(UserError, match=r'model.npz: holds encoder/reverse/input_map/W of shape '
                                        r'\(5, 3\), which .*model.json .* does not describe'):
        models.load_model(str(tmp_path))


@pytest.mark.parametrize('value, message', [
    ('yes', "bidirectional \"yes\" must be true or false"),
    (1, 'bidirectional 1 must be true or false'),
])
def test_check_description_refuses_a_bad_bidirectional(value, message):
    from chainer_irnn.errors import UserError
    from chainer_irnn.models import check_description
    check_description(_description(bidirectional=False))
    with pytest.raises(UserError, match='model.json: ' + message):
        check_description(_description(bidirectional=value))


@pytest.mark.parametrize('kind, hidden', [('rows-rnn', [4]), ('hrnn', [4, 3])])
def test_other_model_kinds_read_one_way(kind, hidden):
    from chainer_irnn.errors import UserError
    from chainer_irnn.models import check_description
    from chainer_irnn.training.config import TrainConfig
    d = _description(model=kind, hidden=hidden, activation='tanh')
    check_description(d)
    check_description(dict(d, bidirectional=False))
    with pytest.raises(UserError, match="bidirectional true is an irnn setting; model '{}' "
                                        'reads one way'.format(kind)):
        check_description(dict(d, bidirectional=True))
    with pytest.raises(ParameterError, match="bidirectional: reading both ways is an irnn "
                                             "setting; model '{}' reads one way".format(kind)):
        TrainConfig.from_preset(kind, bidirectional=True)
    assert not TrainConfig.from_preset(kind).model.bidirectional


def test_the_config_takes_a_bool_only():
    from chainer_irnn.training.config import TrainConfig
    assert TrainConfig().replace(bidirectional=True).model.bidirectional is True
    for bad in ('true', 1, None):
        with pytest.raises(ParameterError, match='bidirectional: expected True or False'):
            TrainConfig().replace(bidirectional=bad)


def test_a_run_recorded_before_bidirectional_read_one_way():
    """A run folder whose run.json predates the setting resumes one way, and
    is refused (in words, not as a snapshot of other shapes) both ways."""
    from chainer_irnn.training import run_folder
    old = {'data': {}, 'settings': {'lr': 0.1}}
    assert run_folder.differences(old, {'data': {}, 'settings': {
        'lr': 0.1, 'bidirectional': False}}) == []
    assert run_folder.differences(old, {'data': {}, 'settings': {
        'lr': 0.1, 'bidirectional': True}}) == ['bidirectional False there, True here']


# ------------------------------------------------------------------ estimator, tune

def test_the_estimator_parameter_reaches_the_model_and_its_files(tmp_path):
    from sklearn.base import clone

    from chainer_irnn import IRNNClassifier, load_model
    assert IRNNClassifier().get_params()['bidirectional'] is False
    clf = IRNNClassifier(bidirectional=True)
    assert clone(clf).get_params()['bidirectional'] is True
    assert clf._config(n_train=40).model.bidirectional is True
    assert IRNNClassifier()._config(n_train=40).model.bidirectional is False
    rng = numpy.random.RandomState(0)
    X = rng.randn(24, 6, 2).astype(numpy.float32)
    y = (X[:, :, 0].sum(1) > 0).astype(int)
    clf = IRNNClassifier(hidden=(4,), epoch=1, min_iteration=0, ensemble=1, batchsize=8,
                         validation_fraction=0, bidirectional=True, out=str(tmp_path / 'm'))
    clf.fit(X, y)
    assert clf.predictor_.model.predictor.encoder.bidirectional
    assert clf.predictor_.description['bidirectional'] is True
    loaded = load_model(str(tmp_path / 'm'))
    numpy.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    assert IRNNClassifier.from_settings(str(tmp_path / 'm')).bidirectional is True
    import pickle
    numpy.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X),
                                     clf.predict_proba(X))


def test_the_estimator_refuses_a_bad_value():
    from chainer_irnn import IRNNClassifier
    X = numpy.zeros((8, 3, 1), numpy.float32)
    y = numpy.arange(8) % 2
    with pytest.raises(ParameterError, match="bidirectional: expected True or False, not 'no'"):
        IRNNClassifier(bidirectional='no').fit(X, y)


def test_tune_draws_one_way_or_both_for_irnns(recording_trial):
    from chainer_irnn.training.config import TrainConfig
    from chainer_irnn.tuning.space import SEARCHED, suggest
    assert 'bidirectional' in SEARCHED
    for base in (TrainConfig(), TrainConfig().replace(input='linear')):
        trial = recording_trial(pick={'bidirectional': True})
        values = suggest(trial, base, 40)
        assert trial.drawn['bidirectional'] == (False, True)
        assert values['bidirectional'] is True
        assert base.replace(**values).model.bidirectional     # a valid config
    trial = recording_trial()
    assert suggest(trial, TrainConfig(), 40)['bidirectional'] is False
    trial = recording_trial()
    assert 'bidirectional' not in suggest(trial, TrainConfig(), 40, fixed=('bidirectional',))
    assert 'bidirectional' not in trial.drawn
    for base in (TrainConfig.from_preset('rows-rnn'), TrainConfig.from_preset('hrnn')):
        trial = recording_trial()
        values = suggest(trial, base, 40)
        assert 'bidirectional' not in trial.drawn and 'bidirectional' not in values
