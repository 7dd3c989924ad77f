"""The training settings as one table: what each one is and what it may be.

Each row of :data:`SETTINGS` is one flat
:class:`~chainer_irnn.training.config.TrainConfig` setting (the keys of
``TrainConfig.replace``): where it lives (the config part and field), its
kind, its bounds or choices, the one line of help ``chainer-irnn train
--help`` shows, and how its flag looks.  From it come

* the checks of the config dataclasses (:meth:`Setting.check`),
* the ``train`` and ``tune`` flags for these settings (type, bounds,
  choices, metavar, help; :mod:`chainer_irnn.cli.train`) and which flag
  sets which setting,
* the settings :class:`~chainer_irnn.estimator.IRNNClassifier` passes on
  (its parameters of the same names).

The defaults are the dataclasses', the presets' values are in
:mod:`chainer_irnn.training.presets`.  The choice lists live with the code
that acts on them (the activations with the recurrence, the pools with the
link, the views with the MNIST data, the model kinds and inputs with the
model builder, the class weights with the loss) and are collected here.
"""
import dataclasses
import math
from typing import Optional, Tuple

from chainer_irnn.datasets.mnist.views import VIEWS
from chainer_irnn.errors import ParameterError
from chainer_irnn.functions.rnn.irnn_recurrence import ACTIVATIONS
from chainer_irnn.links.irnn import AUGMENT_SCALE_MAX, IMPLEMENTATIONS, POOLS
from chainer_irnn.models import INPUTS, MODELS
from chainer_irnn.training.class_weights import CLASS_WEIGHTS

OPTIMIZERS = ('sgd', 'momentum', 'rmsprop', 'adam')
ON_DIVERGENCE = ('stop', 'rollback')
BEST_BY = ('loss', 'accuracy')
LR_ANNEAL = ('none', 'cosine')
#: the largest seed NumPy takes (``seed``, ``permute``)
SEED_MAX = 2 ** 32 - 1
#: the kind of ``hidden``: one or more positive layer sizes
SIZES = 'sizes'


@dataclasses.dataclass(frozen=True)
class Setting:
    """One training setting.

    ``kind`` is ``int``, ``float``, ``str`` (with ``choices``), ``bool`` or
    :data:`SIZES`; a number is finite and within ``minimum`` (``>=``),
    ``above`` (``>``), ``maximum`` (``<=``) and ``below`` (``<``);
    ``optional`` lets it be None.  ``group`` is the ``train --help`` group
    of its flag (None: no flag), ``flags`` its option strings when they are
    not ``--name-with-dashes``; a ``bool`` flag sets False when it is a
    ``--no-...`` flag (``--no-progress``), else True (``--bidirectional``):
    :attr:`flag_value`.
    """

    name: str
    part: str                      #: model | optimizer | run | mnist
    kind: object
    help: Optional[str] = None
    choices: Optional[Tuple[str, ...]] = None
    minimum: Optional[float] = None
    above: Optional[float] = None
    maximum: Optional[float] = None
    below: Optional[float] = None
    optional: bool = False
    group: Optional[str] = None
    flags: Tuple[str, ...] = ()
    metavar: Optional[str] = None

    @property
    def field(self):
        """The name of the dataclass field (``optimizer`` is ``OptimizerConfig.name``)."""
        return 'name' if (self.part, self.name) == ('optimizer', 'optimizer') else self.name

    @property
    def option_strings(self):
        """The flag and its aliases (``()``: none)."""
        if self.group is None:
            return ()
        return self.flags or ('--' + self.name.replace('_', '-'),)

    @property
    def flag_value(self):
        """The value a ``bool`` setting's flag sets: False for ``--no-...``,
        else True (None: not a ``bool`` with a flag)."""
        if self.kind is not bool or not self.option_strings:
            return None
        return not any(o.startswith('--no-') for o in self.option_strings)

    @property
    def dest(self):
        """The argparse destination of the flag (None without one)."""
        if not self.option_strings:
            return None
        return next(o for o in self.option_strings if o.startswith('--'))[2:].replace('-', '_')

    @property
    def bounds(self):
        """The number bounds given, as keywords (``minimum=0``, ...)."""
        return {k: getattr(self, k) for k in ('minimum', 'above', 'maximum', 'below')
                if getattr(self, k) is not None}

    def check(self, value):
        """``value`` if it is a valid value of the setting (sizes as a
        tuple), else a :class:`ParameterError` naming the setting."""
        if self.choices is not None:
            if value not in self.choices:
                raise ParameterError(self.name, 'must be one of {}, not {!r}'.format(
                    ', '.join(self.choices), value))
        elif self.kind is SIZES:
            return _sizes(self.name, value)
        elif self.kind in (int, float):
            _number(self.name, value, self.kind, optional=self.optional, **self.bounds)
        elif self.kind is bool and not isinstance(value, bool):
            raise ParameterError(self.name, 'expected True or False, not {!r}'.format(value))
        return value


def _number(param, value, kind=float, minimum=None, above=None, maximum=None, below=None,
            optional=False):
    if value is None and optional:
        return
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok_type = ok_type and float(value).is_integer()
    if not ok_type or not math.isfinite(value) or \
            (minimum is not None and value < minimum) or \
            (above is not None and value <= above) or \
            (maximum is not None and value > maximum) or \
            (below is not None and value >= below):
        bounds = [b for b in ('>= {}'.format(minimum) if minimum is not None else None,
                              '> {}'.format(above) if above is not None else None,
                              '<= {}'.format(maximum) if maximum is not None else None,
                              '< {}'.format(below) if below is not None else None) if b]
        raise ParameterError(param, 'expected {}{}, not {!r}'.format(
            'an integer' if kind is int else 'a number',
            ' ' + ' and '.join(bounds) if bounds else '', value))


def _sizes(param, value):
    hidden = (value,) if isinstance(value, int) else value
    try:
        hidden = tuple(hidden)
    except TypeError:
        raise ParameterError(param, 'expected sizes like (100,) or (100, 50), not '
                                    '{!r}'.format(value))
    if not hidden or any(isinstance(h, bool) or not isinstance(h, int) or h < 1
                         for h in hidden):
        raise ParameterError(param, 'expected positive integer sizes like (100,) or '
                                    '(100, 50), not {!r}'.format(value))
    return hidden


_S = Setting
#: name -> :class:`Setting`, in the order of the ``train --help`` flags
SETTINGS = {s.name: s for s in (
    # the network
    _S('model', 'model', str, 'the network: irnn, hrnn or rows-rnn (set by --preset)',
       choices=MODELS),
    _S('hidden', 'model', SIZES, 'units per layer, e.g. 100 or 100,50', group='model'),
    _S('input', 'model', str, 'embed: integer pixels through EmbedID(256, H); linear: floats '
                              'through Linear (always with --csv)',
       choices=INPUTS, group='model'),
    _S('activation', 'model', str, choices=ACTIVATIONS, group='model'),
    _S('identity_scale', 'model', float, 'recurrent init = scale * I', group='model'),
    _S('input_std', 'model', float, 'std of the Gaussian input weights', minimum=0,
       group='model'),
    _S('dropout', 'model', float, 'dropout between layers and before the output layer',
       minimum=0, below=1, group='model'),
    _S('input_dropout', 'model', float, 'dropout on the input features (float input)',
       minimum=0, below=1, group='model'),
    _S('input_noise', 'model', float,
       'Gaussian noise added to the (standardised) inputs in training', minimum=0,
       group='model', metavar='STD'),
    _S('augment_scale', 'model', float,
       'in training, scale each sequence\'s features by factors from N(1, STD^2) (float input)',
       minimum=0, maximum=AUGMENT_SCALE_MAX, group='model', metavar='STD'),
    _S('augment_slice', 'model', float,
       'in training, resample a random window of (1 - F) of each sequence to its length '
       '(float input)', minimum=0, below=1, group='model', metavar='F'),
    _S('pool', 'model', str, "what feeds the output layer: each sequence's last state, or "
                             'the mean or maximum of its states over its steps (irnn only)',
       choices=POOLS, group='model'),
    _S('bidirectional', 'model', bool, 'also read each sequence backwards, from its last step '
                                       'to its first, with a second stack of layers; the '
                                       "output layer reads both directions' pooled states "
                                       '(irnn only)', group='model'),
    _S('impl', 'model', str, 'recurrence: one fused graph node or a node per step',
       choices=IMPLEMENTATIONS, group='model'),
    # optimisation
    _S('optimizer', 'optimizer', str, choices=OPTIMIZERS, group='optimisation'),
    _S('lr', 'optimizer', float, 'learning rate (alpha for Adam)', above=0,
       group='optimisation'),
    _S('clip', 'optimizer', float, 'gradient norm clipping threshold; 0 = off', minimum=0,
       group='optimisation'),
    _S('weight_decay', 'optimizer', float, minimum=0, group='optimisation'),
    _S('class_weight', 'run', str, 'balanced: weight each class in the loss by n / (k n_c), '
                                   'from its share of the training data (for imbalanced '
                                   'classes); none: every sequence counts the same',
       choices=CLASS_WEIGHTS, group='optimisation'),
    _S('batchsize', 'run', int, 'examples per update', minimum=1, group='optimisation',
       flags=('--batchsize', '-b')),
    _S('auto_batchsize', 'run', bool, 'batchsize is a ceiling: never more than the training '
                                      'set'),
    _S('epoch', 'run', int, 'epochs to train', minimum=1, group='optimisation',
       flags=('--epoch', '-e')),
    _S('iteration', 'run', int, 'iterations to train (instead of --epoch)', minimum=1,
       optional=True, group='optimisation'),
    _S('min_iteration', 'run', int, 'train more epochs where needed to make at least ITER '
                                    'updates; plateaus (--patience, --lr-patience) count from '
                                    'ITER on; an explicit --epoch sets it to 0',
       minimum=0, group='optimisation', metavar='ITER'),
    _S('lr_decay', 'run', float, 'factor of each learning-rate decay, on a plateau '
                                 '(--lr-patience) or on a schedule (--lr-decay-every)',
       above=0, maximum=1, group='optimisation', metavar='F'),
    _S('lr_decay_every', 'run', int, 'multiply the learning rate by --lr-decay every ITER '
                                     'updates (continuously); 0 = off',
       minimum=0, group='optimisation', metavar='ITER'),
    _S('warmup', 'run', int, 'linear learning-rate warm-up over ITER updates; 0 = none',
       minimum=0, group='optimisation', metavar='ITER'),
    _S('lr_anneal', 'run', str, 'cosine: lower the learning rate along a half cosine from '
                                '--lr to 0 over the planned run (--epoch, --min-iteration '
                                'or --iteration; times any --warmup ramp); none: keep it',
       choices=LR_ANNEAL, group='optimisation'),
    _S('best_by', 'run', str, 'with validation data, keep the model of the best validation '
                              'loss or accuracy',
       choices=BEST_BY, group='optimisation'),
    _S('patience', 'run', int, 'stop after N evaluations without improvement; 0 = off',
       minimum=0, group='optimisation', metavar='N'),
    _S('lr_patience', 'run', int, 'multiply the learning rate by --lr-decay after N '
                                  'evaluations without improvement; 0 = off',
       minimum=0, group='optimisation', metavar='N'),
    # MNIST
    _S('view', 'mnist', str, 'MNIST as 784 integer pixels, 784 float pixels, or 28 rows of 28',
       choices=VIEWS, group='mnist'),
    _S('permute', 'mnist', int, 'fixed pixel permutation', minimum=0, maximum=SEED_MAX,
       optional=True, group='mnist', metavar='SEED'),
    # the run
    _S('seed', 'run', int, 'random seed', minimum=0, maximum=SEED_MAX, group='run'),
    _S('ensemble', 'run', int, 'train K models (seeds --seed, --seed + 1, ..., on the same '
                               'validation split unless --ensemble-folds, each in '
                               'OUT/member-i) and predict with their mean probability',
       minimum=1, maximum=100, group='run', metavar='K'),
    _S('ensemble_folds', 'run', int, 'with --ensemble K >= 2: pool the training and '
                                     'validation data into F stratified folds; member i '
                                     'trains on all folds but fold i and keeps its model by '
                                     'fold i (the validation figures are out-of-fold); 0 = '
                                     'every member on the same split',
       minimum=0, maximum=100, group='run', metavar='F'),
    _S('log_interval', 'run', int, 'iterations between log lines', minimum=1, optional=True,
       group='run', metavar='ITER'),
    _S('eval_interval', 'run', int, 'iterations between evaluations (none: each epoch)',
       minimum=1, optional=True, group='run', metavar='ITER'),
    _S('snapshot_interval', 'run', int, 'iterations between snapshots (none: each epoch)',
       minimum=1, optional=True, group='run', metavar='ITER'),
    _S('keep_snapshots', 'run', int, 'keep the newest N snapshots; 0 = all', minimum=0,
       group='run', metavar='N'),
    _S('progress', 'run', bool, 'no progress bar', group='run', flags=('--no-progress',)),
    _S('on_divergence', 'run', str, 'when the loss or a gradient turns NaN/Inf, or the loss '
                                    'relapses (--loss-guard): stop, or reload the last good '
                                    'snapshot and lower the learning rate (when the rollbacks '
                                    'run out, the best model is kept)',
       choices=ON_DIVERGENCE, group='run', flags=('--on-nan', '--on-divergence')),
    _S('loss_guard', 'run', float, 'divergence also when the moving-average training loss '
                                   'climbs back F of the way from its lowest to its starting '
                                   'value; 0 = off',
       minimum=0, group='run', metavar='F'),
    _S('max_rollbacks', 'run', int, 'rollbacks allowed before stopping', minimum=0,
       group='run'),
    _S('rollback_factor', 'run', float, 'learning-rate factor applied at each rollback',
       above=0, maximum=1, group='run'),
    _S('plots', 'run', bool, 'loss.png and accuracy.png (needs matplotlib)'),
    _S('report', 'run', bool, "print the log table (Chainer's PrintReport)"),
)}


def check(part, config):
    """Checks each field of ``config`` (a dataclass of ``part``) against its
    row, setting the normalised value (``hidden`` as a tuple)."""
    for f in dataclasses.fields(config):
        name = 'optimizer' if (part, f.name) == ('optimizer', 'name') else f.name
        value = SETTINGS[name].check(getattr(config, f.name))
        object.__setattr__(config, f.name, value)


__all__ = ['Setting', 'SETTINGS', 'check', 'MODELS', 'INPUTS', 'ACTIVATIONS',
           'IMPLEMENTATIONS', 'POOLS', 'OPTIMIZERS', 'ON_DIVERGENCE', 'BEST_BY', 'VIEWS',
           'CLASS_WEIGHTS']
