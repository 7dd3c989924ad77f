"""``train --config FILE`` and the settings notes of ``train --help``.

A run's ``settings.json`` (or a hand-written file of some of its keys) is a
layer of settings: lowest the preset (``--preset``, else the file's, else
``csv`` with ``--csv``), then the file's settings and data arguments, then
the flags given on the command line.  ``--out``, ``--resume``, ``--device``
and ``--communicator`` belong to the new run and are never taken from the
file.

Which flags the command line gave is known without re-reading it: the
parser's non-None defaults are wrapped (:func:`track`) and unwrapped by
:func:`given`.
"""
import argparse
import logging
import os

logger = logging.getLogger('chainer_irnn')

#: the data arguments train records in settings.json (``data_args``) and reads back
MNIST_ARGS = ('data', 'n_train', 'n_test')
CSV_FILES = ('csv', 'test', 'val')
CSV_ARGS = CSV_FILES + ('val_split', 'layout', 'sep', 'header', 'label_col', 'id_col',
                        'time_col', 'feature_cols', 'features_per_step', 'window', 'stride',
                        'fill', 'standardize', 'max_steps')
MNIST_SOURCES = ('auto', 'full', 'embedded')


class _Default(object):
    """A parser default, wrapped so that a value the command line gave
    (even an equal one) can be told from it."""

    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return repr(self.value)

    def __str__(self):
        return str(self.value)


def track(parser):
    """Makes ``parser``'s results tell which flags were given (:func:`given`)."""
    for action in parser._actions:
        if not action.option_strings or action.default is argparse.SUPPRESS:
            continue
        if action.nargs != 0 and action.default is not None:
            action.default = _Default(action.default)
    parser.set_defaults(_tracked_parser=parser)


def given(args):
    """The destinations of the flags the command line gave (None when the
    parser was not :func:`track`-ed); unwraps the defaults in ``args``."""
    parser = getattr(args, '_tracked_parser', None)
    if parser is None:
        return None
    if getattr(args, '_flags_given', None) is not None:
        return args._flags_given
    out = set()
    for action in parser._actions:
        if not action.option_strings or action.default is argparse.SUPPRESS:
            continue
        value = getattr(args, action.dest, None)
        if isinstance(value, _Default):
            setattr(args, action.dest, value.value)
        elif action.nargs == 0:
            if value != action.default:
                out.add(action.dest)
        elif value is not None:
            out.add(action.dest)
    args._flags_given = out
    return out


def flag_of(args, dest):
    """The long flag that sets ``dest``."""
    for action in args._tracked_parser._actions:
        if action.dest == dest and action.option_strings:
            return next((o for o in action.option_strings if o.startswith('--')),
                        action.option_strings[0])
    return '--' + dest.replace('_', '-')


def dest_of(key):
    """The parser destination of the flat setting ``key`` (``on_divergence``:
    ``on_nan``, from the settings table)."""
    from chainer_irnn.training.settings_table import SETTINGS
    setting = SETTINGS.get(key)
    return setting.dest if setting is not None and setting.dest else key


def apply_config(args, flags_given):
    """Reads ``--config`` (None without it): sets the file's data arguments
    on ``args`` where no flag gave them, says in the log where the settings
    came from, and returns the
    :class:`~chainer_irnn.training.settings.RunSettings`."""
    from chainer_irnn.errors import UserError
    from chainer_irnn.training.config import FIELDS
    from chainer_irnn.training.settings import DATA_ARGS, read_settings
    if not getattr(args, 'config', None):
        return None
    settings = read_settings(args.config)
    data = settings.data_args or {}
    actions = {a.dest: a for a in args._tracked_parser._actions}
    for key, value in data.items():
        if key not in MNIST_ARGS + CSV_ARGS:
            raise UserError('{}: unknown key "{}.{}" (data arguments are: {})'.format(
                settings.path, DATA_ARGS, key, ', '.join(MNIST_ARGS + CSV_ARGS)))
        _check(actions[key], value, settings.path, '{}.{}'.format(DATA_ARGS, key))
    picked = {'csv', 'data'} & flags_given   # the command line names its own data
    if settings.data_args is None and not picked and settings.recorded.get('data') not in (
            None, 'mnist'):
        raise UserError('{}: records a run on {} data ({}) but not how train can read them '
                        '(no "{}": written by IRNNClassifier or tune); give the data with '
                        '--csv FILE'.format(settings.path, settings.recorded['data'],
                                            settings.recorded.get('data_source'), DATA_ARGS))
    for key, value in data.items():
        if key in flags_given or (picked and key in CSV_FILES + MNIST_ARGS) or \
                ('data' in flags_given and key in CSV_ARGS):
            continue
        setattr(args, key, value)
    over = sorted(d for d in flags_given
                  if d in {dest_of(k) for k in FIELDS} | {'preset'} | set(MNIST_ARGS + CSV_ARGS))
    logger.info('settings%s from %s%s', ' and data' if data and not picked else '',
                settings.path, '; the flags given override them: {}'.format(
                    ', '.join(flag_of(args, d) for d in over)) if over else '')
    return settings


def _check(action, value, path, key):
    """A data argument of a settings file, checked as its flag would be."""
    from chainer_irnn.errors import UserError
    if value is None:
        return
    problem = None
    if action.nargs == 0:
        if not isinstance(value, bool):
            problem = 'expected true or false'
    elif isinstance(value, (bool, dict, list)):
        problem = 'expected a {}'.format('number' if action.type else 'text')
    elif action.choices is not None and value not in action.choices:
        problem = 'expected one of {}'.format(', '.join(map(str, action.choices)))
    elif action.type is not None:
        try:
            converted = action.type(str(value))
        except (argparse.ArgumentTypeError, ValueError, TypeError) as e:
            problem = str(e) or 'not a valid value'
        else:
            if converted != value:
                problem = 'expected a {}'.format(getattr(action.type, '__name__', 'value'))
    if problem:
        raise UserError('{}: key "{}" has {!r}: {}'.format(path, key, value, problem))


def data_args(args):
    """How this run reads its data, for ``settings.json`` (file paths made
    absolute, so that the run can be redone from another folder)."""
    if args.csv:
        out = {k: getattr(args, k, None) for k in CSV_ARGS}
        out['max_steps'] = out['max_steps'] or None     # --max-steps 0: never (null)
        for k in CSV_FILES:
            if isinstance(out[k], str):
                out[k] = os.path.abspath(out[k])
        return out
    out = {k: getattr(args, k, None) for k in MNIST_ARGS}
    if isinstance(out['data'], str) and out['data'] not in MNIST_SOURCES:
        out['data'] = os.path.abspath(out['data'])
    return out


# ------------------------------------------------------------------ help

def _shown(value):
    if isinstance(value, (tuple, list)):
        return ','.join(str(v) for v in value)
    if value is None:
        return 'none'
    if isinstance(value, float):
        return '{:g}'.format(value)
    return str(value)


def preset_note(key):
    """``'default 0; preset csv: 0.1'``: the value of the flat setting
    ``key`` without a preset and in each preset where it differs (from
    :mod:`chainer_irnn.training.presets`)."""
    from chainer_irnn.training import presets
    from chainer_irnn.training.config import TrainConfig
    default = TrainConfig().flat()[key]
    if isinstance(default, list):
        default = tuple(default)
    by_value = {}
    for name, p in presets.PRESETS.items():
        if key in p and p[key] != default:
            text = _shown(p[key])
            if key == 'batchsize' and p.get('auto_batchsize'):
                text += ' (at most the training set)'
            by_value.setdefault(text, []).append(name)
    parts = ['default {}'.format(_shown(default))]
    parts += ['preset{} {}: {}'.format('s' if len(names) > 1 else '', ', '.join(names), text)
              for text, names in by_value.items()]
    return '; '.join(parts)


def add_preset_notes(parser):
    """Appends :func:`preset_note` to the help of each flag that sets a
    TrainConfig setting."""
    from chainer_irnn.training.config import FIELDS
    dests = {dest_of(k): k for k in FIELDS if k != 'progress'}
    for action in parser._actions:
        key = dests.get(action.dest)
        if key is None or action.help is argparse.SUPPRESS:
            continue
        note = preset_note(key)
        action.help = '{} [{}]'.format(action.help, note) if action.help else '[{}]'.format(note)
