"""``chainer-irnn train``: train a recurrent classifier with Chainer's Trainer."""
import argparse

from chainer_irnn.cli import common, csv_args
from chainer_irnn.errors import UserError
from chainer_irnn.training import presets
from chainer_irnn.training.fitting import VIEW_OF_INPUT


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
    data, CSV data and run (``tune`` takes them too, without ``--config``)."""
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
    g = p.add_argument_group('model')
    g.add_argument('--hidden', type=common.hidden_sizes, help='units per layer, e.g. 100 or 100,50')
    g.add_argument('--input', choices=('embed', 'linear'),
                   help='embed: integer pixels through EmbedID(256, H); linear: floats '
                        'through Linear (always with --csv)')
    g.add_argument('--activation', choices=('relu', 'tanh'))
    g.add_argument('--identity-scale', type=common.finite_float,
                   help='recurrent init = scale * I')
    g.add_argument('--input-std', type=common.non_negative_float,
                   help='std of the Gaussian input weights')
    g.add_argument('--dropout', type=common.number(float, minimum=0, maximum=0.99),
                   help='dropout between layers and before the output layer')
    g.add_argument('--input-dropout', type=common.number(float, minimum=0, maximum=0.99),
                   help='dropout on the input features (float input)')
    g.add_argument('--input-noise', type=common.non_negative_float, metavar='STD',
                   help='Gaussian noise added to the (standardised) inputs in training')
    g.add_argument('--pool', choices=('last', 'mean', 'max'),
                   help="what feeds the output layer: each sequence's last state, or the "
                        'mean or maximum of its states over its steps (irnn only)')
    g.add_argument('--impl', choices=('fused', 'naive'),
                   help='recurrence: one fused graph node or a node per step')
    g = p.add_argument_group('optimisation')
    g.add_argument('--optimizer', choices=('sgd', 'momentum', 'rmsprop', 'adam'))
    g.add_argument('--lr', type=common.positive_float, help='learning rate (alpha for Adam)')
    g.add_argument('--clip', type=common.non_negative_float,
                   help='gradient norm clipping threshold; 0 = off')
    g.add_argument('--weight-decay', type=common.non_negative_float)
    g.add_argument('--batchsize', '-b', type=common.positive_int, help='examples per update')
    stop = g.add_mutually_exclusive_group()
    stop.add_argument('--epoch', '-e', type=common.positive_int, help='epochs to train')
    stop.add_argument('--iteration', type=common.positive_int,
                      help='iterations to train (instead of --epoch)')
    g.add_argument('--min-iteration', type=common.non_negative_int, metavar='ITER',
                   help='train more epochs where needed to make at least ITER updates; '
                        'plateaus (--patience, --lr-patience) count from ITER on; an '
                        'explicit --epoch sets it to 0')
    g.add_argument('--lr-decay', type=common.number(float, above=0, maximum=1), metavar='F',
                   help='factor of each learning-rate decay, on a plateau (--lr-patience) or '
                        'on a schedule (--lr-decay-every)')
    g.add_argument('--lr-decay-every', type=common.non_negative_int, metavar='ITER',
                   help='multiply the learning rate by --lr-decay every ITER updates '
                        '(continuously); 0 = off')
    g.add_argument('--warmup', type=common.non_negative_int, metavar='ITER',
                   help='linear learning-rate warm-up over ITER updates; 0 = none')
    g.add_argument('--best-by', choices=('loss', 'accuracy'),
                   help='with validation data, keep the model of the best validation loss '
                        'or accuracy')
    g.add_argument('--patience', type=common.non_negative_int, metavar='N',
                   help='stop after N evaluations without improvement; 0 = off')
    g.add_argument('--lr-patience', type=common.non_negative_int, metavar='N',
                   help='multiply the learning rate by --lr-decay after N evaluations without '
                        'improvement; 0 = off')
    g = p.add_argument_group('MNIST data (without --csv)')
    g.add_argument('--data', default='auto',
                   help="MNIST source: auto or full (the official files from the cache, "
                        "else downloaded), embedded (the 5000-image subset shipped in the "
                        "package), or a directory holding the four IDX files (default auto)")
    g.add_argument('--view', choices=('pixels', 'floats', 'rows'),
                   help='MNIST as 784 integer pixels, 784 float pixels, or 28 rows of 28')
    g.add_argument('--permute', type=int, metavar='SEED', help='fixed pixel permutation')
    g.add_argument('--n-train', type=int, help='use the first N training images')
    g.add_argument('--n-test', type=int, help='use the first N test images')
    csv_args.add_arguments(p)
    g = p.add_argument_group('run')
    common.add_device_arg(g)
    g.add_argument('--out', '-o', default='result', help='output directory (default result)')
    g.add_argument('--resume', '-r', default='auto',
                   help="snapshot to resume from: auto (newest in --out; default), none, or a path")
    g.add_argument('--seed', type=common.number(int, minimum=0, maximum=2 ** 32 - 1), default=0,
                   help='random seed')
    g.add_argument('--ensemble', type=common.number(int, minimum=1, maximum=100), metavar='K',
                   help='train K models (seeds --seed, --seed + 1, ..., on the same validation '
                        'split, each in OUT/member-i) and predict with their mean probability')
    g.add_argument('--log-interval', type=common.positive_int, metavar='ITER',
                   help='iterations between log lines')
    g.add_argument('--eval-interval', type=common.positive_int, metavar='ITER',
                   help='iterations between evaluations (none: each epoch)')
    g.add_argument('--snapshot-interval', type=common.positive_int, metavar='ITER',
                   help='iterations between snapshots (none: each epoch)')
    g.add_argument('--keep-snapshots', type=common.non_negative_int, metavar='N',
                   help='keep the newest N snapshots; 0 = all')
    g.add_argument('--no-progress', action='store_true', help='no progress bar')
    g.add_argument('--on-nan', '--on-divergence', dest='on_nan', choices=('stop', 'rollback'),
                   help='when the loss or a gradient turns NaN/Inf, or the loss relapses '
                        '(--loss-guard): stop, or reload the last good snapshot and lower the '
                        'learning rate (when the rollbacks run out, the best model is kept)')
    g.add_argument('--loss-guard', type=common.non_negative_float, metavar='F',
                   help='divergence also when the moving-average training loss climbs back '
                        'F of the way from its lowest to its starting value; 0 = off')
    g.add_argument('--max-rollbacks', type=common.non_negative_int,
                   help='rollbacks allowed before stopping')
    g.add_argument('--rollback-factor', type=common.number(float, above=0, maximum=1),
                   help='learning-rate factor applied at each rollback')
    g.add_argument('--communicator', choices=('naive', 'flat', 'pure_nccl'),
                   help='data-parallel training with ChainerMN, under mpiexec -n N: naive '
                        '(CPU or GPU), flat or pure_nccl (GPU); --batchsize is per process '
                        '(see docs/distributed.md)')
    settings_args.add_preset_notes(p)


def _flag_settings(args):
    """The TrainConfig settings the flags hold (None = not set)."""
    return dict(
        hidden=args.hidden, input=args.input, activation=args.activation,
        identity_scale=args.identity_scale, input_std=args.input_std, impl=args.impl,
        optimizer=args.optimizer, lr=args.lr, clip=args.clip, weight_decay=args.weight_decay,
        batchsize=args.batchsize, epoch=args.epoch, iteration=args.iteration,
        min_iteration=args.min_iteration, seed=args.seed, loss_guard=args.loss_guard,
        on_divergence=args.on_nan, max_rollbacks=args.max_rollbacks,
        rollback_factor=args.rollback_factor, log_interval=args.log_interval,
        eval_interval=args.eval_interval, snapshot_interval=args.snapshot_interval,
        progress=not args.no_progress, view=args.view, permute=args.permute,
        dropout=args.dropout, input_dropout=args.input_dropout, input_noise=args.input_noise,
        pool=args.pool, best_by=args.best_by, patience=args.patience, lr_patience=args.lr_patience,
        lr_decay=args.lr_decay, lr_decay_every=args.lr_decay_every, warmup=args.warmup,
        keep_snapshots=args.keep_snapshots, ensemble=args.ensemble)


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
    if result.best is None:
        why = ('the test set was evaluated for the log only'
               if result.description.get('validation') == 'test' else 'no validation data')
        return 'model (last iteration, {}) written to {}'.format(why, where) + \
            test_summary(result.test)
    b = result.best
    acc = b.get('validation/main/accuracy')
    if 'members' in b:
        text = 'ensemble of {} members (each kept by {}): validation loss {:.4f}{}; written ' \
            'to {}'.format(b['members'], b['by'], b['validation/main/loss'],
                           '' if acc is None else ', accuracy {:.4f}'.format(acc), where)
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
