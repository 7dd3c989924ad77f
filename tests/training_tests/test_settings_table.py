"""The settings table: one row per TrainConfig setting, and the config
checks, the train flags and the estimator agree with it."""
import argparse

import pytest

from chainer_irnn.cli import main, train as train_cli
from chainer_irnn.errors import ParameterError
from chainer_irnn.estimator import IRNNClassifier
from chainer_irnn.training import config as config_mod
from chainer_irnn.training.config import FIELDS, TrainConfig
from chainer_irnn.training.settings_table import SETTINGS


def test_a_row_for_each_setting_where_it_lives():
    assert set(SETTINGS) == set(FIELDS)
    for name, (part, field) in FIELDS.items():
        assert (SETTINGS[name].part, SETTINGS[name].field) == (part, field)


def test_one_definition_of_each_choice_list():
    from chainer_irnn import models
    from chainer_irnn.datasets.mnist import views
    from chainer_irnn.functions.rnn import irnn_recurrence
    from chainer_irnn.links import irnn
    assert config_mod.ACTIVATIONS is irnn_recurrence.ACTIVATIONS
    assert config_mod.POOLS is irnn.POOLS and config_mod.IMPLS is irnn.IMPLEMENTATIONS
    assert config_mod.VIEWS is views.VIEWS
    assert config_mod.MODELS is models.MODELS and config_mod.INPUTS is models.INPUTS


def _parser():
    p = argparse.ArgumentParser()
    train_cli.add_arguments(p, config=True)
    return p


def _numbers():
    return [s for s in SETTINGS.values() if s.kind in (int, float) and s.option_strings]


def _edges(s):
    """Values at and around each bound of ``s``."""
    out = [0, 1, -1]
    for bound in s.bounds.values():
        out += [bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5, bound - 0.001]
    return [v for v in out if s.kind is float or float(v).is_integer()]


@pytest.mark.parametrize('setting', _numbers(), ids=lambda s: s.name)
def test_flag_and_config_take_the_same_numbers(setting):
    actions = {a.dest: a for a in _parser()._actions}
    parse = actions[setting.dest].type
    for value in _edges(setting):
        value = setting.kind(value)
        try:
            parse(str(value))
            flag_ok = True
        except argparse.ArgumentTypeError:
            flag_ok = False
        try:
            setting.check(value)
            config_ok = True
        except ParameterError:
            config_ok = False
        assert flag_ok == config_ok, (setting.name, value)


def test_dropout_has_one_bound_below_1(capsys):
    args = _parser().parse_args(['--dropout', '0.995', '--input-dropout', '0.5'])
    assert (args.dropout, args.input_dropout) == (0.995, 0.5)
    assert TrainConfig().replace(dropout=0.995).model.dropout == 0.995
    with pytest.raises(ParameterError, match=r'dropout: expected a number >= 0 and < 1, not 1'):
        TrainConfig().replace(dropout=1)
    with pytest.raises(SystemExit):
        main(['train', '--dropout', '1'])
    assert 'argument --dropout: expected a number >= 0 and < 1, not 1' in capsys.readouterr().err


def test_each_flagged_setting_reaches_the_config():
    args = _parser().parse_args(['--on-divergence', 'rollback', '--no-progress', '-b', '7',
                                 '--permute', '3', '--hidden', '4,2', '--pool', 'max'])
    flags = train_cli._flag_settings(args)
    assert set(flags) == {k for k, s in SETTINGS.items() if s.option_strings}
    assert (flags['on_divergence'], flags['progress'], flags['batchsize'], flags['permute'],
            flags['hidden'], flags['pool']) == ('rollback', False, 7, 3, (4, 2), 'max')
    assert flags['seed'] == 0 and flags['lr'] is None


def test_the_estimator_passes_on_its_parameters_named_as_settings():
    config = IRNNClassifier(hidden=7, lr=0.02, pool='mean', ensemble=2, patience=1,
                            batchsize=64)._config(n_train=40)
    assert (config.model.hidden, config.optimizer.lr, config.model.pool, config.run.ensemble,
            config.run.patience, config.run.batchsize) == ((7,), 0.02, 'mean', 2, 1, 40)
    assert config.run.on_divergence == 'rollback' and config.mnist.view == 'floats'
    annealed = IRNNClassifier(lr_anneal='cosine', lr_patience=0)._config(n_train=40).run
    assert (annealed.lr_anneal, annealed.lr_patience) == ('cosine', 0)
    assert IRNNClassifier()._config(n_train=40).run.lr_anneal == 'cosine'


def test_errors_name_the_flags_of_the_table():
    """``common.FLAGS`` (how messages name a parameter; kept free of the
    table so that the CLI package imports light) agrees with the table."""
    from chainer_irnn.cli import common
    for s in SETTINGS.values():
        if s.option_strings and s.kind is not bool:
            assert common.FLAGS.get(s.name, '--' + s.name.replace('_', '-')) == \
                s.option_strings[0], s.name


def test_a_bool_flag_sets_what_its_name_says():
    """``--no-progress`` sets False; ``--bidirectional`` sets True; a flag not
    given sets nothing (the preset's or the file's value stands)."""
    assert SETTINGS['progress'].flag_value is False
    assert SETTINGS['bidirectional'].flag_value is True
    assert SETTINGS['plots'].flag_value is None        # no flag
    assert SETTINGS['bidirectional'].option_strings == ('--bidirectional',)
    flags = train_cli._flag_settings(_parser().parse_args(['--bidirectional']))
    assert flags['bidirectional'] is True and flags['progress'] is True
    flags = train_cli._flag_settings(_parser().parse_args([]))
    assert flags['bidirectional'] is None
    args = _parser().parse_args(['--bidirectional'])
    args.csv = None
    assert train_cli.train_config(args).model.bidirectional is True
    args = _parser().parse_args([])
    args.csv = None
    assert train_cli.train_config(args).model.bidirectional is False


def test_bidirectional_for_another_model_kind_is_one_line(capsys):
    assert main(['train', '--preset', 'rows-rnn', '--bidirectional']) == 2
    err = capsys.readouterr().err
    assert "--bidirectional: reading both ways is an irnn setting; model 'rows-rnn' reads " \
        'one way' in err
    assert 'Traceback' not in err


def test_tune_prints_a_bool_as_its_flag_or_leaves_it_out():
    from chainer_irnn.cli import tune
    assert tune._unflagged('bidirectional', False)
    assert not tune._unflagged('bidirectional', True)
    assert not tune._unflagged('lr', 0.1) and not tune._unflagged('pool', 'last')
    from chainer_irnn.cli import common
    from chainer_irnn.errors import Setting, naming
    with naming(common.FLAGS):
        assert str(Setting('bidirectional', True)) == '--bidirectional'
