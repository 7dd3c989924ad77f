"""Typed, frozen training settings: what presets fill and callers override.

A :class:`TrainConfig` is four small frozen dataclasses — :class:`ModelConfig`,
:class:`OptimizerConfig`, :class:`RunConfig` and :class:`MnistView` — plus
the preset it came from.  Every field has a unique name, so one flat keyword
set addresses all of them::

    config = TrainConfig.from_preset('irnn', lr=3e-4, batchsize=32)
    config.optimizer.lr, config.run.batchsize      # 0.0003, 32
    config.replace(epoch=5)                        # a new, validated config

Values are checked when a config is made, against the bounds and choices
of :mod:`~chainer_irnn.training.settings_table`; a bad one raises
:class:`~chainer_irnn.errors.ParameterError` naming the parameter.
"""
import dataclasses
from typing import Optional, Tuple

from chainer_irnn.errors import ParameterError, Setting
from chainer_irnn.training import presets, settings_table
from chainer_irnn.training.settings_table import (  # NOQA: the choices, also here
    ACTIVATIONS, BEST_BY, CLASS_WEIGHTS, INPUTS, MODELS, ON_DIVERGENCE, OPTIMIZERS, POOLS,
    VIEWS)

IMPLS = settings_table.IMPLEMENTATIONS


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
    #: magnitude scaling of float inputs in training: factors N(1, scale^2)
    #: per (sequence, feature); 0 = off (embed: refused)
    augment_scale: float = 0.0
    #: window slicing of float inputs in training: a random window of
    #: (1 - slice) of each sequence, resampled to its length; 0 = off
    augment_slice: float = 0.0
    #: what feeds the output layer: each sequence's last state, or the mean
    #: or maximum of its states over its steps (irnn only)
    pool: str = 'last'
    #: also read each sequence backwards with a second stack; the output
    #: layer reads both directions' pooled states (irnn only)
    bidirectional: bool = False

    def __post_init__(self):
        settings_table.check('model', self)      # the bounds and choices of each field
        if self.pool != 'last' and self.model != 'irnn':
            raise ParameterError('pool', 'pooling the states is an irnn setting; model {!r} '
                                 'reads its last state'.format(self.model))
        if self.bidirectional and self.model != 'irnn':
            raise ParameterError('bidirectional', 'reading both ways is an irnn setting; model '
                                                  '{!r} reads one way'.format(self.model))
        for key in ('augment_scale', 'augment_slice'):
            if getattr(self, key) and self.model != 'irnn':
                raise ParameterError(key, 'augmenting the input is an irnn setting (model '
                                          '{!r})'.format(self.model))
            if getattr(self, key) and self.input == 'embed':
                raise ParameterError(key, 'augments float input; {} takes integer ids'.format(
                    Setting('input', 'embed')))


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """The optimiser and the hooks applied to its gradients."""

    name: str = 'sgd'              #: sgd | momentum | rmsprop | adam  (flat key: optimizer)
    lr: float = 0.01               #: learning rate (Adam's alpha)
    clip: float = 1.0              #: gradient-norm clipping threshold; 0 = off
    weight_decay: float = 0.0

    def __post_init__(self):
        settings_table.check('optimizer', self)


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
    #: 'cosine': the rate falls along a half cosine from lr to 0 over the
    #: planned run (:meth:`planned_updates`); 'none': it stays (plateaus and
    #: the exponential schedule aside)
    lr_anneal: str = 'none'
    keep_snapshots: int = 5            #: snapshots kept (the newest); 0 = all
    #: train this many models (seeds seed, seed + 1, ...) and predict with
    #: their mean probability (:mod:`chainer_irnn.training.ensemble`)
    ensemble: int = 1
    #: ``'balanced'``: the loss weighs class ``c`` by ``n / (k * n_c)`` of the
    #: training split (:mod:`chainer_irnn.training.class_weights`); ``'none'``
    class_weight: str = 'none'
    #: 0: the members share one training/validation split; F >= 2: the
    #: training and validation data pooled into F stratified folds, member
    #: i validating on fold i (:mod:`chainer_irnn.training.ensemble`); a
    #: single model (``ensemble`` 1) has no members and ignores it
    ensemble_folds: int = 0

    def __post_init__(self):
        settings_table.check('run', self)
        if self.ensemble_folds == 1 and self.ensemble > 1:
            raise ParameterError('ensemble_folds', 'expected 0 (the members share one split) '
                                 'or at least 2 folds, not 1')
        # (more members than folds: those past the folds validate on them again, in
        # turn, as on a pool of fewer sequences than folds; ensemble.member_data)
        if self.lr_patience and self.annealed:
            # both would set the rate: the schedule each update, plateaus at evaluations
            raise ParameterError('lr_patience', 'halving the learning rate on plateaus needs '
                                 'a constant rate, and {} anneals it (the csv preset does '
                                 'since 0.3.0); give {} with it, or leave {}'.format(
                                     Setting('lr_anneal', self.lr_anneal),
                                     Setting('lr_anneal', 'none'), Setting('lr_patience', 0)))
        if self.lr_patience and (self.lr_decay_every or self.warmup):
            raise ParameterError('lr_decay_every', 'a learning-rate schedule (lr_decay_every, '
                                 'warmup) and decay on plateaus (lr_patience) exclude each '
                                 'other; set lr_patience to 0 or drop the schedule')
        if self.annealed and self.lr_decay_every:
            raise ParameterError('lr_anneal', 'the cosine annealing and the exponential '
                                 'schedule (lr_decay_every) exclude each other; give {} for '
                                 'the exponential one'.format(Setting('lr_anneal', 'none')))

    @property
    def annealed(self):
        return self.lr_anneal != 'none'

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

    def planned_updates(self, n_train):
        """The updates the run makes unless stopped early: ``iteration``, or
        :meth:`epochs_for` epochs of ``n_train`` examples (the annealing's
        length)."""
        if self.iteration is not None:
            return self.iteration
        return -(-self.epochs_for(n_train) * max(1, n_train) // self.batchsize)

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
        settings_table.check('mnist', self)


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
