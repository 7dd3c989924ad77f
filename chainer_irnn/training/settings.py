"""A run's ``settings.json`` read back: the settings that redo the run.

:func:`~chainer_irnn.training.fit` writes ``settings.json`` into every run
folder: every :class:`~chainer_irnn.training.config.TrainConfig` setting
(its flat keys, ``preset`` included), the model and data description that
``model.json`` also holds (derived from the data: ``in_size``, ``n_class``,
``tabular``, ...), the run's stop trigger, device and process count, and,
from ``chainer-irnn train``, how the data were read (``data_args``).
:func:`read_settings` returns them as a validated config::

    from chainer_irnn.training.settings import read_settings

    s = read_settings('result/irnn')           # the folder or its settings.json
    s.config                                   # the run's TrainConfig
    s.config.replace(epoch=20)                 # the same run, longer

``chainer-irnn train --config FILE`` and
:meth:`chainer_irnn.IRNNClassifier.from_settings` are built on it.  A key
the file should not hold, or a value no setting takes, is a
:class:`~chainer_irnn.errors.UserError` naming the key and the file.
"""
import dataclasses
import os
from typing import Optional

from chainer_irnn.errors import ParameterError, UserError

SETTINGS_FILE = 'settings.json'

#: keys ``fit`` records that follow from the data, the machine or the run's
#: length, not from a setting: kept in :attr:`RunSettings.recorded`, never applied
RECORDED = ('data', 'data_source', 'in_size', 'n_class', 'n_train', 'n_test', 'validation',
            'permutation', 'tabular', 'label_type', 'classes', 'stop', 'device', 'processes')
#: how the data were read (``chainer-irnn train`` records its data arguments here)
DATA_ARGS = 'data_args'


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What :func:`read_settings` returns.

    Attributes:
        path (str): the file read.
        values (dict): the TrainConfig settings it holds (flat keys, with
            ``preset`` where present), as written.
        config (TrainConfig): ``values`` applied to their preset.
        data_args (dict or None): how ``chainer-irnn train`` read the data
            (its argument names: ``csv``, ``test``, ... or ``data``,
            ``n_train``, ``n_test``); None in files written otherwise.
        recorded (dict): the rest (:data:`RECORDED`): what the run derived
            from its data and machine, for information.
    """

    path: str
    values: dict
    config: object
    data_args: Optional[dict] = None
    recorded: dict = dataclasses.field(default_factory=dict)


def settings_path(path):
    """``path`` itself, or ``path/settings.json`` when ``path`` is a folder."""
    path = os.fspath(path)
    return os.path.join(path, SETTINGS_FILE) if os.path.isdir(path) else path


def read_settings(path):
    """The settings of a run from its ``settings.json`` (or a hand-written
    file holding some of its keys: the others take their preset's or the
    default values).

    Args:
        path: the file, or the run folder holding ``settings.json``.

    Returns:
        RunSettings

    Raises:
        UserError: the file is missing or not a JSON object, holds an unknown
            key, or a value no setting takes (one line naming key and file).
    """
    from chainer_irnn import io
    from chainer_irnn.training.config import FIELDS, TrainConfig
    path = settings_path(path)
    data = io.load_json(path, what='settings', hint='')
    if not isinstance(data, dict):
        raise UserError('{}: expected a JSON object of settings, not {}'.format(
            path, type(data).__name__))
    values, recorded, data_args = {}, {}, None
    for key, value in data.items():
        if key in FIELDS or key == 'preset':
            values[key] = value
        elif key in RECORDED:
            recorded[key] = value
        elif key == DATA_ARGS:
            if not isinstance(value, dict):
                raise UserError('{}: key "{}" must hold an object, not {!r}'.format(
                    path, key, value))
            data_args = dict(value)
            if 'csv' in data_args:     # recorded before max_steps existed: no averaging
                data_args.setdefault('max_steps', None)
        else:
            raise UserError('{}: unknown key "{}" (settings are the keys of '
                            'TrainConfig.flat(): {}, ...)'.format(
                                path, key, ', '.join(sorted(FIELDS)[:6])))
    try:
        config = TrainConfig.from_preset(values.get('preset'), **{
            k: v for k, v in values.items() if k != 'preset'})
    except ParameterError as e:
        raise invalid(path, e.param, values.get(e.param), e) from None
    return RunSettings(path=path, values=values, config=config, data_args=data_args,
                       recorded=recorded)


def invalid(path, key, value, error):
    """The one-line :class:`UserError` for ``key`` of the file ``path``
    whose ``value`` a setting refused with ``error`` (a ParameterError)."""
    reason = str(error).split(': ', 1)[-1]
    return UserError('{}: key "{}" has {!r}: {}'.format(path, key, value, reason))


__all__ = ['RunSettings', 'read_settings', 'settings_path', 'SETTINGS_FILE', 'RECORDED',
           'DATA_ARGS']
