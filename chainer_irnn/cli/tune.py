"""``chainer-irnn tune``: search hyperparameters with Optuna (see docs/csv.md)."""
import argparse

from chainer_irnn.cli import common, train
from chainer_irnn.errors import Setting


def add_parser(sub):
    p = sub.add_parser(
        'tune', help='search hyperparameters with Optuna and keep the best model',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Search hyperparameters with Optuna (TPE sampler, median pruning) on '
                    'the data train reads: hidden sizes and layers, optimizer, learning rate, '
                    'clipping, batch size, identity scale, dropout, input dropout, weight '
                    'decay, pooling, reading one way or both, the augmentations. A flag '
                    'that sets one of these fixes it; the other train flags set what every '
                    'trial shares (run length, patience, ...). The study is '
                    'kept in OUT/study.db: run the same command again to resume a killed '
                    'search, or in several shells (or with --jobs) to search together. OUT '
                    'holds one study (another --study there is refused: tune it into another '
                    'folder) and ends with its best model (model.npz + model.json, for '
                    'predict), trials.csv, trials.md, study.png and trials/NNNN. Without '
                    '--csv it tunes MNIST from the irnn preset (give --epoch or --iteration, '
                    'and --n-train/--n-test, to size the trials).')
    g = p.add_argument_group('search')
    g.add_argument('--trials', type=common.positive_int, metavar='N',
                   help='trials in all, counting those of earlier runs and other processes '
                        '(default 30 unless --timeout is given)')
    g.add_argument('--timeout', '--time', type=common.duration, metavar='DURATION',
                   help='stop starting trials after this long: seconds, or e.g. 90s, 10m, 1h30m')
    g.add_argument('--jobs', type=common.positive_int, default=1, metavar='N',
                   help='processes searching together (default 1)')
    g.add_argument('--folds', type=common.number(int, minimum=2, maximum=100), metavar='K',
                   help='cross-validate each trial: train and validation data pooled into K '
                        'stratified folds, the trial an ensemble of K runs (member i validating '
                        'on fold i), judged by its out-of-fold validation figure; a trial costs '
                        'K runs (default: one run judged on the validation data)')
    g.add_argument('--study', default='chainer-irnn',
                   help='study name in OUT/study.db (default chainer-irnn; a folder holds '
                        'one study)')
    train.add_arguments(p)
    p.set_defaults(out='tune')
    return p


def run(args):
    from chainer_irnn import tuning
    if args.preset is None and not args.csv:
        args.preset = 'irnn'      # MNIST: the blog's SGD at lr 1e-8 is no place to start
    config = train.train_config(args)
    device = str(args.device)
    train_set, val, meta, test = train.load_data(args, config)
    fixed = [name for name in tuning.SEARCHED + ('ensemble', 'ensemble_folds')
             if getattr(args, name, None) is not None]
    n_trials = args.trials if args.trials is not None or args.timeout is not None else 30
    result = tuning.tune(train_set, val, meta, args.out, n_trials=n_trials,
                         timeout=args.timeout, jobs=args.jobs, base=config, fixed=fixed,
                         seed=args.seed, device=device, study_name=args.study, test=test,
                         folds=args.folds)
    best = result.study.best_trial
    acc = best.user_attrs.get('accuracy')
    print('best trial {} of {} ({} complete, {} pruned, {} failed): {}validation {} {:.4f}{}; '
          'model written to {}/model.npz'.format(
              best.number, len(result.study.trials), result.n_complete, result.n_pruned,
              result.n_failed, '' if args.folds is None else
              '{}-fold out-of-fold '.format(args.folds), config.run.best_by, result.best_value,
              '' if acc is None else ', accuracy {:.4f}'.format(acc), args.out))
    # the flags that repeat the best trial (Setting renders parameters as flags here)
    print('settings: ' + ' '.join(
        str(Setting(k, ','.join(map(str, v)) if isinstance(v, list) else v))
        for k, v in result.best_params.items() if not _unflagged(k, v)))
    if result.test:
        print(train.test_summary(result.test).strip())
    return 0


def _unflagged(key, value):
    """True for a bool setting at the value its flag does not set (False
    for ``--bidirectional``): leaving the flag out repeats it."""
    from chainer_irnn.training.settings_table import SETTINGS
    setting = SETTINGS.get(key)
    return isinstance(value, bool) and setting is not None and \
        setting.flag_value is not None and value != setting.flag_value
