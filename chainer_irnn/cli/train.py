"""``chainer-irnn train``: train a recurrent classifier with Chainer's Trainer."""
import argparse
import json
import os
import time

from chainer_irnn.cli import common, csv_args
from chainer_irnn.errors import UserError
from chainer_irnn.training import presets

VIEW_OF_INPUT = {'embed': ('pixels',), 'linear': ('floats', 'rows')}


def add_parser(sub):
    p = sub.add_parser(
        'train', help='train a model (pixel MNIST by default)',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Train an IRNN classifier. A --preset fills every setting; '
                    'explicit flags override it.\n\npresets:\n  '
                    + '\n  '.join(presets.describe()))
    p.add_argument('--preset', choices=sorted(presets.PRESETS), default=None,
                   help='default: csv with --csv, else none (the defaults below)')
    g = p.add_argument_group('model')
    g.add_argument('--hidden', type=common.hidden_sizes, help='units per layer, e.g. 100 or 100,50')
    g.add_argument('--input', choices=('embed', 'linear'),
                   help='embed: integer pixels through EmbedID(256, H); linear: floats through Linear')
    g.add_argument('--activation', choices=('relu', 'tanh'))
    g.add_argument('--identity-scale', type=common.finite_float, help='recurrent init = scale * I (default 1)')
    g.add_argument('--input-std', type=common.non_negative_float, help='std of the Gaussian input weights (default 0.001)')
    g.add_argument('--impl', choices=('fused', 'naive'), default='fused',
                   help='recurrence: one fused graph node (default) or a node per step')
    g = p.add_argument_group('optimisation')
    g.add_argument('--optimizer', choices=('sgd', 'momentum', 'rmsprop', 'adam'))
    g.add_argument('--lr', type=common.positive_float, help='learning rate (alpha for Adam)')
    g.add_argument('--clip', type=common.non_negative_float, help='gradient norm clipping threshold; 0 = off')
    g.add_argument('--weight-decay', type=common.non_negative_float)
    g.add_argument('--lr-decay', type=common.number(float, above=0, maximum=1), metavar='F',
                   help='multiply the learning rate by F every --lr-decay-every updates '
                        '(continuously; default 1 = constant)')
    g.add_argument('--lr-decay-every', type=common.positive_int, metavar='ITER',
                   help='updates per learning-rate decay step (default 1000)')
    g.add_argument('--warmup', type=common.non_negative_int, metavar='ITER',
                   help='linear learning-rate warm-up over ITER updates (default 0 = none)')
    g.add_argument('--batchsize', '-b', type=common.positive_int)
    stop = g.add_mutually_exclusive_group()
    stop.add_argument('--epoch', '-e', type=common.positive_int, help='epochs to train')
    stop.add_argument('--iteration', type=common.positive_int, help='iterations to train (instead of --epoch)')
    g.add_argument('--min-iteration', type=common.non_negative_int, metavar='ITER',
                   help='train more epochs where needed to make at least ITER updates '
                        '(preset csv: 2000; an explicit --epoch sets it to 0)')
    g.add_argument('--seed', type=common.number(int, minimum=0, maximum=2 ** 32 - 1), default=0, help='random seed (default 0)')
    g = p.add_argument_group('data')
    g.add_argument('--data', default='auto',
                   help="MNIST source: auto (cache, download, else the embedded subset), "
                        "embedded, full (cache or download), or a directory holding the "
                        "four IDX files")
    g.add_argument('--view', choices=('pixels', 'floats', 'rows'),
                   help='MNIST as 784 integer pixels, 784 float pixels, or 28 rows of 28')
    g.add_argument('--permute', type=int, metavar='SEED', help='fixed pixel permutation')
    g.add_argument('--n-train', type=int, help='use the first N training images')
    g.add_argument('--n-test', type=int, help='use the first N test images')
    g = p.add_argument_group('run')
    common.add_device_arg(g)
    g.add_argument('--out', '-o', default='result', help='output directory (default result)')
    g.add_argument('--resume', '-r', default='auto',
                   help="snapshot to resume from: auto (newest in --out; default), none, or a path")
    g.add_argument('--log-interval', type=common.positive_int, metavar='ITER', help='iterations between log lines')
    g.add_argument('--eval-interval', type=common.positive_int, metavar='ITER', help='iterations between evaluations (default: each epoch)')
    g.add_argument('--snapshot-interval', type=common.positive_int, metavar='ITER',
                   help='iterations between snapshots (default: each epoch)')
    g.add_argument('--no-progress', action='store_true', help='no progress bar')
    g.add_argument('--on-nan', '--on-divergence', dest='on_nan', choices=('stop', 'rollback'),
                   default='stop',
                   help='when the loss or a gradient turns NaN/Inf, or the loss relapses '
                        '(--loss-guard): stop (default), or reload the last good snapshot '
                        'and lower the learning rate')
    g.add_argument('--loss-guard', type=common.non_negative_float, metavar='F',
                   help='divergence also when the moving-average training loss climbs back '
                        'F of the way from its lowest to its starting value (default 0.5; '
                        '0 = off)')
    g.add_argument('--max-rollbacks', type=common.non_negative_int, default=3,
                   help='rollbacks allowed before stopping (default 3)')
    g.add_argument('--rollback-factor', type=common.number(float, above=0, maximum=1), default=0.5,
                   help='learning-rate factor applied at each rollback (default 0.5)')
    g.add_argument('--communicator', choices=('naive', 'flat', 'pure_nccl'),
                   help='data-parallel training with ChainerMN, under mpiexec -n N: naive '
                        '(CPU or GPU), flat or pure_nccl (GPU); --batchsize is per process '
                        '(see docs/distributed.md)')
    csv_args.add_arguments(p)
    return p


def resolve_settings(args):
    if args.preset is None and args.csv:
        args.preset = 'csv'
    return presets.resolve(
        args.preset, hidden=args.hidden, input=args.input, activation=args.activation,
        identity_scale=args.identity_scale, input_std=args.input_std,
        optimizer=args.optimizer, lr=args.lr, clip=args.clip,
        weight_decay=args.weight_decay, batchsize=args.batchsize, epoch=args.epoch,
        lr_decay=args.lr_decay, lr_decay_every=args.lr_decay_every, warmup=args.warmup,
        loss_guard=args.loss_guard,
        min_iteration=args.min_iteration if args.min_iteration is not None
        else 0 if args.epoch is not None else None,
        view=args.view, permute=args.permute)


def mnist_data(args, settings):
    """Train and test sets plus the model description for MNIST."""
    from chainer_irnn.datasets import mnist
    allowed = VIEW_OF_INPUT[settings['input']]
    if settings['view'] not in allowed:
        if args.view is not None:
            raise UserError('--view {} does not fit --input {} (use {})'.format(
                args.view, settings['input'], ' or '.join(allowed)))
        settings['view'] = allowed[0]
    data = mnist.get_mnist(view=settings['view'], permute=settings['permute'],
                           source=args.data, n_train=args.n_train, n_test=args.n_test,
                           progress=not args.no_progress)
    in_size = {'pixels': 256, 'floats': 1, 'rows': 28}[settings['view']]
    meta = {'data': 'mnist', 'data_source': data.source, 'view': settings['view'],
            'permute': settings['permute'],
            'permutation': None if data.permutation is None else [int(i) for i in data.permutation],
            'in_size': in_size, 'n_class': 10,
            'n_train': len(data.train), 'n_test': len(data.test)}
    return data.train, data.test, meta


def model_config(settings, meta):
    config = {k: settings[k] for k in ('model', 'input', 'activation', 'identity_scale',
                                        'input_std', 'preset')}
    config['hidden'] = list(settings['hidden'])
    config.update(meta)
    return config


def run(args):
    from chainer_irnn import compat
    compat.apply()
    from chainer_irnn.training import distributed

    settings = resolve_settings(args)
    device = common.parse_device(args.device)
    comm = distributed.create_communicator(args.communicator, device)
    device = distributed.device_for_rank(comm, device)
    device.use()
    common.seed_everything(args.seed)
    with distributed.guard(comm):
        return train_with(args, settings, device, comm)


def train_with(args, settings, device, comm):
    from chainer_irnn import models
    from chainer_irnn.training import distributed, trainer as trainer_mod

    load = lambda: tuple((csv_args.csv_data if args.csv else mnist_data)(args, settings)) + (settings,)  # NOQA
    train, test, meta, settings = distributed.load_and_scatter(comm, load, args.seed)
    log = distributed.log_stream(comm)
    config = model_config(settings, meta)
    config['seed'] = args.seed
    iters = lambda n: None if n is None else (n, 'iteration')  # NOQA
    stop = iters(args.iteration)
    if stop is None:
        epochs = presets.epochs_to_train(settings, len(train))  # this rank's shard
        if epochs > settings['epoch']:
            print('chainer-irnn train: {} epochs instead of {}, for at least {} updates on '
                  '{} training sequences (preset {}; --epoch N to choose)'.format(
                      epochs, settings['epoch'], settings['min_iteration'], meta['n_train'],
                      settings['preset']), file=log)
            settings['epoch'] = epochs

    def make_trainer():
        common.seed_everything(args.seed)
        model = models.build_model(config, impl=args.impl)
        model.to_device(device)
        trainer = trainer_mod.build_trainer(
            model, train, test, settings, args.out, device, stop=stop,
            log_interval=iters(args.log_interval), eval_interval=iters(args.eval_interval),
            snapshot_interval=iters(args.snapshot_interval), progress=not args.no_progress,
            seed=args.seed, comm=comm)
        return model, trainer

    resume = distributed.resolve_resume(comm, args.out, args.resume)
    if comm is not None and args.on_nan == 'rollback':
        distributed.require_shared_out(comm, args.out, '--on-nan rollback')
    if distributed.is_writer(comm):
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, 'settings.json'), 'w') as f:
            json.dump(dict(config, **{k: settings[k] for k in (
                'optimizer', 'lr', 'clip', 'weight_decay', 'batchsize', 'epoch',
                'loss_guard', 'lr_decay', 'lr_decay_every', 'warmup')},
                stop=list(stop) if stop else [settings['epoch'], 'epoch'],
                device=str(device), impl=args.impl, processes=distributed.size(comm)),
                f, indent=1, sort_keys=True)
    print('chainer-irnn train: {} ({} training / {} test sequences from {}), '
          'preset {}, {} lr {} clip {} batch {}, hidden {} on {}'.format(
              config['data'], meta['n_train'], meta['n_test'], meta['data_source'],
              settings['preset'], settings['optimizer'], settings['lr'], settings['clip'],
              settings['batchsize'], config['hidden'], device), file=log)
    if comm is not None:
        print('chainer-irnn train: {} processes ({}), batch {} per process = {} per step'.format(
            comm.size, args.communicator, settings['batchsize'],
            settings['batchsize'] * comm.size), file=log)
    start = time.time()
    model = trainer_mod.run_training(
        make_trainer, args.out, resume=resume, on_nan=args.on_nan,
        max_rollbacks=args.max_rollbacks, factor=args.rollback_factor, log=log, comm=comm)
    if distributed.is_writer(comm):
        models.save_model(model, config, args.out)
    print('chainer-irnn train: done in {:.1f} s; model written to {}'.format(
        time.time() - start, os.path.join(args.out, models.MODEL_FILE)), file=log)
    return 0
