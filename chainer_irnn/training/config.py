"""Typed, frozen training settings: what presets fill and callers override.

A :class:`TrainConfig` is four small frozen dataclasses — :class:`ModelConfig`,
:class:`OptimizerConfig`, :class:`RunConfig` and :class:`MnistView` — plus
the preset it came from.  Every field has a unique name, so one flat keyword
set addresses all of them::

    config = TrainConfig.from_preset('irnn', lr=3e-4, batchsize=32)
    config.optimizer.lr, config.run.batchsize      # 0.0003, 32
    config.replace(epoch=5)                        # a new, validated config

Values are checked when a config is made; a bad one raises
:class:`~chainer_irnn.errors.ParameterError` naming the parameter.
"""
import dataclasses
import math
from typing import Optional, Tuple

from chainer_irnn.errors import ParameterError
from chainer_irnn.training import presets

MODELS = ('irnn', 'hrnn', 'rows-rnn')
INPUTS = ('embed', 'linear')
ACTIVATIONS = ('relu', 'tanh')
IMPLS = ('fused', 'naive')
POOLS = ('last', 'mean', 'max')
OPTIMIZERS = ('sgd', 'momentum', 'rmsprop', 'adam')
ON_DIVERGENCE = ('stop', 'rollback')
BEST_BY = ('loss', 'accuracy')
VIEWS = ('pixels', 'floats', 'rows')


def _choice(param, value, choices):
    if value not in choices:
        raise ParameterError(param, 'must be one of {}, not {!r}'.format(
            ', '.join(choices), value))


def _number(param, value, kind=float, minimum=None, above=None, maximum=None,
            optional=False):
    if value is None and optional:
        return
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok_type = ok_type and float(value).is_integer()
    if not ok_type or not math.isfinite(value) or \
            (minimum is not None and value < minimum) or \
            (above is not None and value <= above) or \
            (maximum is not None and value > maximum):
        bounds = [b for b in ('>= {}'.format(minimum) if minimum is not None else None,
                              '> {}'.format(above) if above is not None else None,
                              '<= {}'.format(maximum) if maximum is not None else None) if b]
        raise ParameterError(param, 'expected {}{}, not {!r}'.format(
            'an integer' if kind is int else 'a number',
            ' ' + ' and '.join(bounds) if bounds else '', value))


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The network: encoder kind, input map, layer sizes, initialisation."""

    model: str = 'irnn'            #: irnn | hrnn | rows-rnn
    input: str = 'embed'           #: embed (integer tokens 0..255) | linear (floats)
    hidden: Tuple[int, ...] = (100,)
    activation: str = 'relu'       #: relu | tanh
    identity_scale: float = 1.0    #: recurrent weights start as this times I
    input_std: float = 0.001       #: std of the Gaussian input weights
    impl: str = 'fused'            #: fused (one graph node) | naive (a node per step)
    dropout: float = 0.0           #: dropout between layers and before the output layer
    input_dropout: float = 0.0     #: dropout on the input features (linear input; embed: unused)
    #: std of Gaussian noise on float inputs in training (embed: unused)
    input_noise: float = 0.0
    #: what feeds the output layer: each sequence's last state, or the mean
    #: or maximum of its states over its steps (irnn only)
    pool: str = 'last'

    def __post_init__(self):
        _choice('model', self.model, MODELS)
        _choice('pool', self.pool, POOLS)
        if self.pool != 'last' and self.model != 'irnn':
            raise ParameterError('pool', 'pooling the states is an irnn setting; model {!r} '
                                 'reads its last state'.format(self.model))
        _choice('input', self.input, INPUTS)
        _choice('activation', self.activation, ACTIVATIONS)
        _choice('impl', self.impl, IMPLS)
        hidden = self.hidden
        if isinstance(hidden, int):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise ParameterError('hidden', 'expected sizes like (100,) or (100, 50), not '
                                 '{!r}'.format(self.hidden))
        if not hidden or any(isinstance(h, bool) or not isinstance(h, int) or h < 1
                             for h in hidden):
            raise ParameterError('hidden', 'expected positive integer sizes like (100,) or '
                                 '(100, 50), not {!r}'.format(self.hidden))
        object.__setattr__(self, 'hidden', hidden)
        _number('identity_scale', self.identity_scale)
        _number('input_std', self.input_std, minimum=0)
        for name in ('dropout', 'input_dropout'):
            value = getattr(self, name)
            _number(name, value, minimum=0)
            if value >= 1:
                raise ParameterError(name, 'expected a fraction below 1, not {!r}'.format(value))
        _number('input_noise', self.input_noise, minimum=0)


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """The optimiser and the hooks applied to its gradients."""

    name: str = 'sgd'              #: sgd | momentum | rmsprop | adam  (flat key: optimizer)
    lr: float = 0.01               #: learning rate (Adam's alpha)
    clip: float = 1.0              #: gradient-norm clipping threshold; 0 = off
    weight_decay: float = 0.0

    def __post_init__(self):
        _choice('optimizer', self.name, OPTIMIZERS)
        _number('lr', self.lr, above=0)
        _number('clip', self.clip, minimum=0)
        _number('weight_decay', self.weight_decay, minimum=0)


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """How long and how safely to train, and what to record."""

    batchsize: int = 16
    #: ``batchsize`` is a ceiling: never more than the training set
    #: (:meth:`batch_for`), so that small sets never fail on the default
    auto_batchsize: bool = False
    epoch: int = 1
    iteration: Optional[int] = None    #: stop after this many updates instead of epochs
    min_iteration: int = 0             #: raise the epochs to make at least this many updates
    seed: int = 0
    loss_guard: float = 0.5            #: divergence when the loss relapses this far; 0 = off
    on_divergence: str = 'stop'        #: stop | rollback
    max_rollbacks: int = 3
    rollback_factor: float = 0.5       #: learning-rate factor at each rollback
    log_interval: Optional[int] = None       #: iterations between log lines
    eval_interval: Optional[int] = None      #: iterations between evaluations
    snapshot_interval: Optional[int] = None  #: iterations between snapshots
    progress: bool = True              #: a progress bar on the terminal
    plots: bool = True                 #: loss.png and accuracy.png (needs matplotlib)
    report: bool = True                #: print the log table (Chainer's PrintReport)
    # validation-driven training (where there is validation data)
    best_by: str = 'loss'              #: keep the model of the best validation loss | accuracy
    #: stop after this many evaluations without improvement; 0 = off
    patience: int = 0
    #: scale the lr after this many evaluations without improvement; 0 = off
    lr_patience: int = 0
    lr_decay: float = 0.5              #: the factor of each learning-rate decay
    # a schedule instead of plateaus: lr * lr_decay ** (t / lr_decay_every), after a warm-up
    lr_decay_every: int = 0            #: updates per scheduled decay (continuous); 0 = off
    warmup: int = 0                    #: linear learning-rate warm-up over this many updates
    keep_snapshots: int = 5            #: snapshots kept (the newest); 0 = all
    #: train this many models (seeds seed, seed + 1, ...) and predict with
    #: their mean probability (:mod:`chainer_irnn.training.ensemble`)
    ensemble: int = 1

    def __post_init__(self):
        _number('batchsize', self.batchsize, int, minimum=1)
        _number('epoch', self.epoch, int, minimum=1)
        _number('iteration', self.iteration, int, minimum=1, optional=True)
        _number('min_iteration', self.min_iteration, int, minimum=0)
        _number('seed', self.seed, int, minimum=0, maximum=2 ** 32 - 1)
        _number('loss_guard', self.loss_guard, minimum=0)
        _choice('on_divergence', self.on_divergence, ON_DIVERGENCE)
        _number('max_rollbacks', self.max_rollbacks, int, minimum=0)
        _number('rollback_factor', self.rollback_factor, above=0, maximum=1)
        _choice('best_by', self.best_by, BEST_BY)
        _number('patience', self.patience, int, minimum=0)
        _number('lr_patience', self.lr_patience, int, minimum=0)
        _number('lr_decay', self.lr_decay, above=0, maximum=1)
        _number('keep_snapshots', self.keep_snapshots, int, minimum=0)
        _number('lr_decay_every', self.lr_decay_every, int, minimum=0)
        _number('warmup', self.warmup, int, minimum=0)
        _number('ensemble', self.ensemble, int, minimum=1, maximum=100)
        if self.lr_patience and (self.lr_decay_every or self.warmup):
            # both would set the rate: the schedule each update, plateaus at evaluations
            raise ParameterError('lr_decay_every', 'a learning-rate schedule (lr_decay_every, '
                                 'warmup) and decay on plateaus (lr_patience) exclude each '
                                 'other; set lr_patience to 0 or drop the schedule')
        for name in ('log_interval', 'eval_interval', 'snapshot_interval'):
            _number(name, getattr(self, name), int, minimum=1, optional=True)

    def batch_for(self, n_train):
        """The batch size for ``n_train`` training examples: ``batchsize``,
        or with ``auto_batchsize`` ``min(batchsize, n_train)``.  (Measured
        on UnitTest, ArrowHead, ItalyPowerDemand and GunPoint, two seeds
        each: a quarter of the set, and half of it, scored lower.)"""
        if not self.auto_batchsize:
            return self.batchsize
        return max(1, min(self.batchsize, int(n_train)))

    def epochs_for(self, n_train):
        """``epoch``, raised where needed so that training on ``n_train``
        examples makes ``min_iteration`` updates at least (small data sets
        need more passes)."""
        needed = -(-self.min_iteration * self.batchsize // max(1, n_train))
        return max(self.epoch, needed)

    def stop_trigger(self, n_train):
        """The trainer's stop trigger: ``(iteration, 'iteration')`` or
        ``(epochs, 'epoch')`` with :meth:`epochs_for` applied."""
        if self.iteration is not None:
            return (self.iteration, 'iteration')
        return (self.epochs_for(n_train), 'epoch')


@dataclasses.dataclass(frozen=True)
class MnistView:
    """How MNIST images become sequences (ignored for other data)."""

    view: str = 'pixels'           #: pixels (784 integers) | floats (784 floats) | rows (28 x 28)
    permute: Optional[int] = None  #: seed of a fixed pixel permutation

    def __post_init__(self):
        _choice('view', self.view, VIEWS)
        _number('permute', self.permute, int, minimum=0, maximum=2 ** 32 - 1, optional=True)


_PARTS = (('model', ModelConfig), ('optimizer', OptimizerConfig), ('run', RunConfig),
          ('mnist', MnistView))
# flat keyword -> (part, field)
FIELDS = {}
for _part, _cls in _PARTS:
    for _f in dataclasses.fields(_cls):
        FIELDS['optimizer' if (_part, _f.name) == ('optimizer', 'name') else _f.name] = \
            (_part, _f.name)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides its data and output folder."""

    model: ModelConfig = ModelConfig()
    optimizer: OptimizerConfig = OptimizerConfig()
    run: RunConfig = RunConfig()
    mnist: MnistView = MnistView()
    preset: Optional[str] = None

    @classmethod
    def from_preset(cls, preset=None, **overrides):
        """The settings of ``preset`` (see :mod:`chainer_irnn.training.presets`)
        with flat keyword ``overrides`` applied (``None`` values are ignored)."""
        values = presets.values(preset)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().replace(preset=preset, **values)

    def replace(self, **flat):
        """A copy with flat keyword settings changed (``lr=``, ``hidden=``, ...)."""
        parts = {name: {} for name, _ in _PARTS}
        top = {}
        for key, value in flat.items():
            if key == 'preset':
                top['preset'] = value
                continue
            if key not in FIELDS:
                raise ParameterError(key, 'no such setting; settings are: {}'.format(
                    ', '.join(sorted(FIELDS))))
            part, field = FIELDS[key]
            parts[part][field] = value
        for name, _ in _PARTS:
            if parts[name]:
                top[name] = dataclasses.replace(getattr(self, name), **parts[name])
        return dataclasses.replace(self, **top)

    def flat(self):
        """All settings as one flat dict (JSON-safe; the keys of :meth:`replace`)."""
        out = {'preset': self.preset}
        for key, (part, field) in FIELDS.items():
            value = getattr(getattr(self, part), field)
            out[key] = list(value) if isinstance(value, tuple) else value
        return out


__all__ = ['ModelConfig', 'OptimizerConfig', 'RunConfig', 'MnistView', 'TrainConfig',
           'FIELDS']
