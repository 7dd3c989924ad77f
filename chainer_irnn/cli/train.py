"""``chainer-irnn train``: train a recurrent classifier with Chainer's Trainer."""
import argparse

from chainer_irnn.cli import common, csv_args
from chainer_irnn.errors import UserError
from chainer_irnn.training import presets, settings_table
from chainer_irnn.training.fitting import VIEW_OF_INPUT
from chainer_irnn.training.settings_table import SETTINGS


def add_parser(sub):
    from chainer_irnn.cli import settings_args
    p = sub.add_parser(
        'train', help='train a model (pixel MNIST by default)',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Train an IRNN classifier on MNIST (the default) or on CSV files '
                    '(--csv). A --preset fills every setting, --config FILE takes the '
                    "settings and data of a run's settings.json (or of a folder holding "
                    'one), and flags given on the command line override both. The notes in '
                    'brackets give each setting without a preset and in the presets that '
                    'differ.\n\npresets:\n  ' + '\n  '.join(presets.describe()))
    add_arguments(p, config=True)
    settings_args.track(p)
    return p


def add_arguments(p, config=False):
    """Every flag of ``train`` in groups: settings, model, optimisation, MNIST
    data, CSV data and run (``tune`` takes them too, without ``--config``).
    The flags of TrainConfig settings come from the settings table
    (:func:`_add_settings`)."""
    from chainer_irnn.cli import settings_args
    g = p.add_argument_group('settings')
    g.add_argument('--preset', choices=sorted(presets.PRESETS), default=None,
                   help='fill every setting from a preset (listed above); default: csv with '
                        '--csv, else none (the defaults in brackets below)')
    if config:
        g.add_argument('--config', metavar='FILE',
                       help="redo a run: the settings and data arguments of its settings.json "
                            '(FILE, or a run folder holding one); flags given override them '
                            '(--out, --resume and --device are never taken from FILE)')
    _add_settings(p.add_argument_group('model'), 'model')
    _add_settings(p.add_argument_group('optimisation'), 'optimisation')
    g = p.add_argument_group('MNIST data (without --csv)')
    g.add_argument('--data', default='auto',
                   help="MNIST source: auto or full (the official files from the cache, "
                        "else downloaded), embedded (the 5000-image subset shipped in the "
                        "package), or a directory holding the four IDX files (default auto)")
    _add_settings(g, 'mnist')
    g.add_argument('--n-train', type=int, help='use the first N training images')
    g.add_argument('--n-test', type=int, help='use the first N test images')
    csv_args.add_arguments(p)
    g = p.add_argument_group('run')
    common.add_device_arg(g)
    g.add_argument('--out', '-o', default='result', help='output directory (default result)')
    g.add_argument('--resume', '-r', default='auto',
                   help="snapshot to resume from: auto (newest in --out; default), none, or a path")
    _add_settings(g, 'run')
    g.add_argument('--communicator', choices=('naive', 'flat', 'pure_nccl'),
                   help='data-parallel training with ChainerMN, under mpiexec -n N: naive '
                        '(CPU or GPU), flat or pure_nccl (GPU); --batchsize is per process '
                        '(see docs/distributed.md)')
    settings_args.add_preset_notes(p)


#: flags of settings that are not None when not given (load_data splits with --seed)
_FLAG_DEFAULTS = {'seed': 0}
#: settings whose flags exclude each other (how long to train)
_EXCLUSIVE = ('epoch', 'iteration')


def _add_settings(g, group):
    """The flags of the settings of ``group`` in
    :data:`~chainer_irnn.training.settings_table.SETTINGS` (in its order):
    their type and bounds, choices, metavar and help come from the table."""
    exclusive = None
    for s in SETTINGS.values():
        if s.group != group:
            continue
        kw = dict(help=s.help)
        if s.kind is bool and not s.flag_value:  # --no-progress: sets the setting False
            kw['action'] = 'store_true'
        elif s.kind is bool:     # --bidirectional: sets True; not given, None (not set)
            kw.update(action='store_const', const=True, default=None)
        elif s.choices is not None:
            kw['choices'] = s.choices
        elif s.kind is settings_table.SIZES:
            kw['type'] = common.hidden_sizes
        else:
            kw['type'] = common.number(s.kind, **s.bounds)
        if s.metavar is not None:
            kw['metavar'] = s.metavar
        if s.name in _FLAG_DEFAULTS:
            kw['default'] = _FLAG_DEFAULTS[s.name]
        target = g
        if s.name in _EXCLUSIVE:
            exclusive = exclusive or g.add_mutually_exclusive_group()
            target = exclusive
        target.add_argument(*s.option_strings, **kw)


def _flag_settings(args):
    """The TrainConfig settings the flags hold (None = not set)."""
    out = {}
    for s in SETTINGS.values():
        if s.option_strings:
            value = getattr(args, s.dest)
            out[s.name] = not value if s.flag_value is False else value
    return out


def train_config(args, settings=None):
    """The :class:`~chainer_irnn.training.config.TrainConfig` the flags
    describe; with ``settings`` (``--config``), the file's settings with the
    flags given on the command line over them."""
    from chainer_irnn.cli import settings_args
    from chainer_irnn.training.config import TrainConfig
    flags = _flag_settings(args)
    if settings is None:
        preset = args.preset if args.preset is not None or not args.csv else 'csv'
        if flags['min_iteration'] is None and args.epoch is not None:
            flags['min_iteration'] = 0   # an explicit --epoch is what the user wants
        config = TrainConfig.from_preset(
            preset, auto_batchsize=False if args.batchsize is not None else None, **flags)
    else:
        given = settings_args.given(args)
        preset = args.preset if 'preset' in given else settings.values.get(
            'preset', 'csv' if args.csv else None)
        values = {k: v for k, v in settings.values.items() if k != 'preset'}
        flags = {k: v for k, v in flags.items() if settings_args.dest_of(k) in given}
        if 'epoch' in given:
            values.pop('iteration', None)   # --epoch replaces the file's run length
            if 'min_iteration' not in given:
                flags['min_iteration'] = 0
        if 'batchsize' in given:
            flags['auto_batchsize'] = False
        values.update(flags)
        config = TrainConfig.from_preset(preset, **values)
    if args.csv:
        if args.input == 'embed':
            raise UserError('--input embed takes integer tokens (MNIST pixels); CSV features '
                            'go through --input linear (the default with --csv)')
        if config.model.model != 'irnn':
            raise UserError('--csv trains the irnn model; preset {} builds a {} model'.format(
                config.preset, config.model.model))
        config = config.replace(input='linear')
    elif config.mnist.view not in VIEW_OF_INPUT[config.model.input]:
        if args.view is not None:
            raise UserError('--view {} does not fit --input {} (use {})'.format(
                args.view, config.model.input,
                ' or '.join(VIEW_OF_INPUT[config.model.input])))
        config = config.replace(view=VIEW_OF_INPUT[config.model.input][0])
    return config


def load_data(args, config):
    """``(train, val, meta, test)`` from ``--csv`` or MNIST; ``test`` (the
    ``--test`` file, or None) chooses nothing: it is scored after training."""
    from chainer_irnn.training import mnist_data
    if args.csv:
        from chainer_irnn.datasets.tabular import read_csv
        data = read_csv(args.csv, args.test, val=args.val, val_split=args.val_split,
                        seed=args.seed, **csv_args.read_kwargs(args))
        return data.train, data.val, data.meta, data.test
    return mnist_data(config, source=args.data, n_train=args.n_train, n_test=args.n_test,
                      progress=not args.no_progress) + (None,)


def run(args):
    import logging

    from chainer_irnn.training import distributed, fit
    from chainer_irnn.training.fitting import TrainingInterrupted, get_device

    from chainer_irnn.cli import settings_args
    settings = settings_args.apply_config(args, settings_args.given(args) or set())
    config = train_config(args, settings)
    device = get_device(args.device)
    dist = distributed.create(args.communicator, device)   # one process without the flag
    if not dist.is_writer:
        logging.getLogger('chainer_irnn').setLevel(logging.WARNING)
    if dist.size > 1 and config.run.ensemble > 1 and args.ensemble is None and \
            args.ensemble_folds is None:      # asked folds: fit_ensemble refuses ChainerMN
        # a preset's ensemble (csv, with its folds) trains in one process; ChainerMN
        # trains one model (which ignores the folds)
        logging.getLogger('chainer_irnn').info(
            'one model across the %d processes, not the preset\'s ensemble of %d (an ensemble '
            'trains in one process)', dist.size, config.run.ensemble)
        config = config.replace(ensemble=1)
    recorded = settings.values if settings is not None else {}   # --config's settings
    preset_folds = (args.ensemble_folds is None and config.run.ensemble > 1 and
                    config.run.ensemble_folds and 'ensemble_folds' not in recorded)
    if preset_folds and getattr(args, 'val', None):
        # folds the preset brings give way to validation data the user chose to judge
        # by (a validation file); --ensemble-folds pools it, when asked
        logging.getLogger('chainer_irnn').info(
            'validation file %s: the %d members each choose on it (no folds; '
            '--ensemble-folds F pools it with the training data)', args.val,
            config.run.ensemble)
        config = config.replace(ensemble_folds=0)
    with dist.guard():
        train, val, meta, test = dist.load(lambda: load_data(args, config), args.seed)
        try:
            result = fit(config, train, val, out=args.out, meta=meta, device=device,
                         resume=args.resume, distribution=dist, test=test,
                         record={'data_args': settings_args.data_args(args)})
        except TrainingInterrupted as e:     # Ctrl-C: the best model so far is kept
            import sys
            print('chainer-irnn train: interrupted at iteration {}; {}; {}'.format(
                e.iteration, e.kept, 'run the same command again to continue from {}'.format(
                    e.snapshot) if e.snapshot else 'nothing to resume from yet'),
                  file=sys.stderr)
            return 130
    if dist.is_writer:
        print(end_summary(result))
        if result.stopped == 'diverged':    # a kept model, but no success
            import sys
            print('chainer-irnn train: error: {}'.format(result.message), file=sys.stderr)
            return 2
    return 0


def end_summary(result):
    """The last line of a run on stdout: the model kept and how the run ended."""
    import os
    where = os.path.join(result.out, 'model.npz')
    if result.best is None and result.description.get('ensemble'):
        why = ('the test set was evaluated for the log only'
               if result.description.get('validation') == 'test' else 'no validation data')
        return 'ensemble of {} members (each its run\'s last iteration, {}) written to ' \
            '{}'.format(result.description['ensemble'], why, where) + test_summary(result.test)
    if result.best is None:
        why = ('the test set was evaluated for the log only'
               if result.description.get('validation') == 'test' else 'no validation data')
        return 'model (last iteration, {}) written to {}'.format(why, where) + \
            test_summary(result.test)
    b = result.best
    acc = b.get('validation/main/accuracy')
    if 'members' in b:
        text = 'ensemble of {} members (each kept by {}): {}validation loss {:.4f}{}; ' \
            'written to {}'.format(b['members'], b['by'],
                                   'out-of-fold ' if b.get('out_of_fold') else '',
                                   b['validation/main/loss'],
                                   '' if acc is None else ', accuracy {:.4f}'.format(acc),
                                   where)
        if result.stopped != 'completed':
            text += ' ({})'.format(result.stopped)
        return text + test_summary(result.test)
    text = 'best model: epoch {:.4g}, iteration {}: validation loss {:.4f}{}; written to {}'.format(
        b['epoch'], b['iteration'], b['validation/main/loss'],
        '' if acc is None else ', accuracy {:.4f}'.format(acc), where)
    if result.stopped != 'completed':
        text += ' ({})'.format(result.stopped)
    return text + test_summary(result.test)


def test_summary(scored):
    """A second line on the test file's score ('' without one)."""
    if not scored:
        return ''
    acc = scored.get('accuracy')
    return '\ntest (scored once with the kept model; it chose nothing): loss {:.4f}{} on {} ' \
           'sequences of {}'.format(scored['loss'], '' if acc is None else
                                    ', accuracy {:.4f}'.format(acc), scored['n'],
                                    scored.get('source'))
