"""Training-time augmentation of float input (``augment_scale``,
``augment_slice``): training only, what each does to the inputs, drawn from
the global generator, refused where it cannot act, and carried through the
config, ``model.json``, the estimator and the tune search space."""
import chainer
import numpy
import pytest

from chainer_irnn import models
from chainer_irnn.errors import ParameterError, UserError
from chainer_irnn.links import IRNN
from chainer_irnn.training.config import TrainConfig


def make(D=3, **kw):
    numpy.random.seed(0)
    return IRNN(D, (5, 4), input='linear', input_std=0.5, impl='naive', **kw)


X = numpy.random.RandomState(1).randn(6, 7, 3).astype(numpy.float32)
LENGTHS = numpy.array([7, 5, 1, 2, 7, 3], dtype=numpy.int32)
X_PADDED = X * (numpy.arange(7)[None, :, None] < LENGTHS[:, None, None])


def seen(link, xs, lengths=None, seed=0):
    """The inputs ``link``'s input map receives in training, ``(B, T, D)``."""
    got = []
    forward = link.input_map.forward

    def spy(x):
        got.append(numpy.array(x.array if isinstance(x, chainer.Variable) else x))
        return forward(x)
    link.input_map.forward = spy
    try:
        numpy.random.seed(seed)
        with chainer.using_config('train', True):
            link(xs, lengths)
    finally:
        del link.input_map.forward
    B, T, D = xs.shape
    return got[0].reshape(T, B, D).transpose(1, 0, 2)


@pytest.mark.parametrize('kw', [dict(augment_scale=0.3), dict(augment_slice=0.4),
                                dict(augment_scale=0.2, augment_slice=0.2)])
def test_augmentation_acts_in_training_only(kw):
    plain, aug = make(), make(**kw)
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(aug(X_PADDED, LENGTHS).array,
                                         plain(X_PADDED, LENGTHS).array)
        numpy.testing.assert_array_equal(aug(X).array, plain(X).array)
    a, b = aug(X).array, aug(X).array            # train mode: random each call
    assert not numpy.allclose(a, b)
    assert not numpy.allclose(a, plain(X).array)


@pytest.mark.parametrize('fraction', [0.1, 0.3, 0.6, 0.95])
def test_slice_resamples_a_window_of_each_sequence_and_keeps_the_padding(fraction):
    T, lengths = 12, numpy.array([12, 9, 5, 2, 1, 3, 12, 7])
    B = len(lengths)
    rng = numpy.random.RandomState(4)
    offset, slope = rng.randn(B), rng.uniform(0.5, 2, B) * rng.choice([-1, 1], B)
    ramp = offset[:, None] + slope[:, None] * numpy.arange(T)[None, :]
    steps = numpy.arange(T)[None, :] < lengths[:, None]
    xs = numpy.where(steps, ramp, 0)[:, :, None].astype(numpy.float32)
    xs = numpy.concatenate([xs, -2 * xs], axis=2)       # two features, one window
    link = IRNN(2, 3, input='linear', augment_slice=fraction)
    for seed in range(5):
        y = seen(link, xs, lengths, seed=seed)
        assert (y[~steps] == 0).all()                   # padding exactly as it was
        numpy.testing.assert_allclose(y[:, :, 1], -2 * y[:, :, 0], rtol=1e-5, atol=1e-5)
        for b, L in enumerate(lengths):
            mine = y[b, :L, 0]
            if L == 1:
                assert mine[0] == xs[b, 0, 0]
                continue
            w = min(L, max(2, int(round((1 - fraction) * L))))
            want = slope[b] * (w - 1) / (L - 1)         # still a ramp, of this slope
            numpy.testing.assert_allclose(numpy.diff(mine), want, rtol=1e-4, atol=1e-4)
            start = (mine[0] - offset[b]) / slope[b]    # at a whole step in [0, L - w]
            assert abs(start - round(start)) < 1e-3 and 0 <= round(start) <= L - w
            lo, hi = sorted((ramp[b, 0], ramp[b, L - 1]))
            assert lo - 1e-5 <= mine.min() and mine.max() <= hi + 1e-5


def test_slice_without_lengths_resamples_all_steps():
    xs = numpy.broadcast_to(numpy.arange(10, dtype=numpy.float32)[None, :, None], (300, 10, 1))
    y = seen(IRNN(1, 3, input='linear', augment_slice=0.3), xs)
    numpy.testing.assert_allclose(numpy.diff(y[:, :, 0], axis=1), 6 / 9, rtol=1e-5)
    assert set(numpy.round(y[:, 0, 0]).astype(int)) == {0, 1, 2, 3}   # every start drawn


def test_scale_multiplies_per_sequence_and_feature():
    B, T, D = 2000, 4, 3
    link = IRNN(D, 3, input='linear', augment_scale=0.2)
    y = seen(link, numpy.ones((B, T, D), numpy.float32))
    factors = y[:, 0, :]
    numpy.testing.assert_array_equal(y, numpy.broadcast_to(factors[:, None, :], y.shape))
    assert abs(factors.mean() - 1) < 0.02 and abs(factors.std() - 0.2) < 0.02
    # one factor per (sequence, feature), independent across the features
    assert len(numpy.unique(factors)) > 0.99 * B * D
    assert numpy.abs(numpy.corrcoef(factors.T) - numpy.eye(D)).max() < 0.1
    # a padded sequence's zeros stay zeros
    z = numpy.ones((3, T, D), numpy.float32)
    z[0, 2:] = 0
    assert (seen(link, z, numpy.array([2, 4, 4]))[0, 2:] == 0).all()


def test_both_draw_from_the_global_generator():
    link = make(augment_scale=0.2, augment_slice=0.3)
    with chainer.using_config('train', True):
        numpy.random.seed(7)
        a = link(X_PADDED, LENGTHS).array
        numpy.random.seed(7)
        b = link(X_PADDED, LENGTHS).array
        numpy.random.seed(8)
        c = link(X_PADDED, LENGTHS).array
    numpy.testing.assert_array_equal(a, b)
    assert not numpy.allclose(a, c)


def test_embed_input_refuses_augmentation():
    with pytest.raises(ParameterError, match="augment_scale: augments float input"):
        IRNN(10, 4, input='embed', augment_scale=0.1)
    with pytest.raises(ParameterError, match="augment_slice: augments float input"):
        IRNN(10, 4, input='embed', augment_slice=0.1)
    IRNN(10, 4, input='embed', augment_scale=0.0, augment_slice=0.0)
    with pytest.raises(ParameterError, match=r"augment_slice: augments float input; "
                                             r"input='embed' takes integer ids"):
        TrainConfig().replace(input='embed', augment_slice=0.1)
    # other encoders have no such setting: refused, not ignored
    for model in ('rows-rnn', 'hrnn'):
        with pytest.raises(ParameterError, match=r"augment_scale: augmenting the input is an "
                                                 r"irnn setting \(model '{}'\)".format(model)):
            TrainConfig().replace(model=model, hidden=(4,) * (2 if model == 'hrnn' else 1),
                                  augment_scale=0.1)


def test_bounds_are_refused_with_a_clear_message(capsys):
    from chainer_irnn.cli import main
    linear = TrainConfig().replace(input='linear')
    assert linear.replace(augment_scale=0.3, augment_slice=0.5).model.augment_slice == 0.5
    with pytest.raises(ParameterError, match=r'augment_scale: expected a number >= 0 and '
                                             r'<= 1, not -0.1'):
        linear.replace(augment_scale=-0.1)
    with pytest.raises(ParameterError, match='augment_scale'):
        linear.replace(augment_scale=1.5)
    with pytest.raises(ParameterError, match=r'augment_slice: expected a number >= 0 and < 1, '
                                             r'not 1'):
        linear.replace(augment_slice=1)
    with pytest.raises(ParameterError, match='augment_slice'):
        linear.replace(augment_slice=float('nan'))
    with pytest.raises(ParameterError, match='augment_slice'):
        IRNN(3, 4, input='linear', augment_slice=1.0)
    with pytest.raises(ParameterError, match='augment_scale'):
        IRNN(3, 4, input='linear', augment_scale=-1)
    with pytest.raises(SystemExit):
        main(['train', '--augment-slice', '1'])
    assert 'argument --augment-slice: expected a number >= 0 and < 1, not 1' in \
        capsys.readouterr().err


@pytest.mark.parametrize('value', [1.5, 2, float('nan'), float('inf'), -0.5])
def test_the_link_takes_the_bound_of_the_settings_table(value):
    """One bound (``AUGMENT_SCALE_MAX``): the link refuses what the config
    refuses, in the config's words."""
    from chainer_irnn.links.irnn import AUGMENT_SCALE_MAX
    from chainer_irnn.training.settings_table import SETTINGS
    assert SETTINGS['augment_scale'].maximum == AUGMENT_SCALE_MAX
    with pytest.raises(ParameterError) as config_error:
        TrainConfig().replace(input='linear', augment_scale=value)
    with pytest.raises(ParameterError) as link_error:
        IRNN(3, 4, input='linear', augment_scale=value)
    assert str(link_error.value).startswith('augment_scale: expected a number >= 0 and <= 1')
    assert str(config_error.value).startswith('augment_scale: expected a number >= 0 and <= 1')
    assert IRNN(3, 4, input='linear', augment_scale=AUGMENT_SCALE_MAX).augment_scale == 1


def test_a_model_file_past_the_bound_is_refused_naming_it():
    with pytest.raises(UserError, match=r'augment_scale.*<= 1'):
        models.check_description(_description(augment_scale=1.5))
    models.check_description(_description(augment_scale=1.0))


def _description(**over):
    d = {'model': 'irnn', 'in_size': 3, 'hidden': [4], 'input': 'linear',
         'activation': 'relu', 'identity_scale': 1.0, 'input_std': 0.001, 'n_class': 2}
    d.update(over)
    return d


def test_model_json_keeps_them_and_check_description_refuses_bad_values(tmp_path):
    from chainer_irnn.training.fitting import describe_model
    meta = {'in_size': 3, 'n_class': 2}
    cfg = TrainConfig().replace(input='linear', hidden=(4,))
    d = describe_model(cfg, meta)
    assert 'augment_scale' not in d and 'augment_slice' not in d   # off: as before
    d = describe_model(cfg.replace(augment_scale=0.2, augment_slice=0.1), meta)
    assert (d['augment_scale'], d['augment_slice']) == (0.2, 0.1)
    assert 'input_noise' not in d
    model = models.build_model(d)
    models.save_model(model, d, str(tmp_path))
    loaded, config = models.load_model(str(tmp_path))
    assert (config['augment_scale'], config['augment_slice']) == (0.2, 0.1)
    encoder = loaded.predictor.encoder
    assert (encoder.augment_scale, encoder.augment_slice) == (0.2, 0.1)
    # an older description reads them as off
    encoder = models.build_model(_description()).predictor.encoder
    assert (encoder.augment_scale, encoder.augment_slice) == (0.0, 0.0)
    for key, value in (('augment_scale', -0.1), ('augment_slice', -0.5),
                       ('augment_scale', 'big'), ('augment_slice', 1.0)):
        with pytest.raises(UserError, match='model.json: {} .* must be a number >= 0'.format(
                key)):
            models.check_description(_description(**{key: value}))
    with pytest.raises(UserError, match="augment_scale 0.1 augments float input"):
        models.check_description(_description(input='embed', augment_scale=0.1))
    models.check_description(_description(input='embed', augment_scale=0.0))


def test_the_estimator_parameters_reach_the_model():
    from chainer_irnn.estimator import IRNNClassifier
    config = IRNNClassifier(augment_scale=0.2, augment_slice=0.1)._config(n_train=40)
    assert (config.model.augment_scale, config.model.augment_slice) == (0.2, 0.1)
    assert IRNNClassifier()._config(n_train=40).model.augment_slice == 0.0
    rng = numpy.random.RandomState(0)
    X = rng.randn(24, 6, 2).astype(numpy.float32)
    y = (X[:, :, 0].sum(1) > 0).astype(int)
    clf = IRNNClassifier(hidden=(4,), epoch=1, min_iteration=0, ensemble=1, batchsize=8,
                         validation_fraction=0, augment_scale=0.2, augment_slice=0.1).fit(X, y)
    encoder = clf.predictor_.model.predictor.encoder
    assert (encoder.augment_scale, encoder.augment_slice) == (0.2, 0.1)
    assert clf.predictor_.description['augment_slice'] == 0.1
    assert clf.predict(X).shape == (24,)


def test_tune_searches_them_for_float_input_irnns(recording_trial):
    from chainer_irnn.tuning.space import SEARCHED, suggest
    assert {'augment_scale', 'augment_slice'} <= set(SEARCHED)
    # off or on first, then the strength
    trial = recording_trial()
    values = suggest(trial, TrainConfig().replace(input='linear'), 40)
    assert trial.drawn['augment_scale_on'] == (False, True) == trial.drawn['augment_slice_on']
    assert 'augment_scale' not in trial.drawn and 'augment_slice' not in trial.drawn
    assert values['augment_scale'] == 0.0 == values['augment_slice']
    trial = recording_trial(pick={'augment_scale_on': True, 'augment_slice_on': True})
    values = suggest(trial, TrainConfig().replace(input='linear'), 40)
    assert trial.drawn['augment_scale'] == (0.02, 0.3) == trial.drawn['augment_slice']
    assert values['augment_scale'] == 0.02 == values['augment_slice']
    TrainConfig().replace(input='linear', **values)          # a valid config
    trial = recording_trial(pick={'augment_scale_on': True})
    suggest(trial, TrainConfig().replace(input='linear'), 40, fixed=('augment_slice',))
    assert 'augment_scale' in trial.drawn and 'augment_slice_on' not in trial.drawn
    for base in (TrainConfig(), TrainConfig().replace(model='rows-rnn', hidden=(4,),
                                                      input='linear')):
        trial = recording_trial()
        suggest(trial, base, 40)
        assert 'augment_scale' not in trial.drawn and 'augment_slice' not in trial.drawn
