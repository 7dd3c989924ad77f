"""``chainer-irnn baseline``: majority class, 1-NN Euclidean, 1-NN DTW and
MiniRocket on the split ``train`` uses (see :mod:`chainer_irnn.baselines`)."""
import argparse

from chainer_irnn.cli import common, csv_args


def add_parser(sub):
    p = sub.add_parser(
        'baseline', help='score simple yardsticks on the split train uses',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Fit majority class, 1-NN Euclidean, 1-NN DTW (needs numba) and '
                    'MiniRocket (needs aeon: the baseline extra) on the training sequences '
                    'of --csv and score them on the validation split that train --csv makes '
                    'with the same flags and --seed (or --val FILE), and on --test FILE. '
                    'With --model DIR, the model train wrote (same file, flags and seed) is '
                    'scored beside them.')
    csv_args.add_arguments(p)
    g = p.add_argument_group('baseline')
    g.add_argument('--seed', type=common.number(int, minimum=0, maximum=2 ** 32 - 1), default=0,
                   help='seed of the validation split and of MiniRocket (default 0)')
    g.add_argument('--methods', default='majority,1nn-euclidean,1nn-dtw,minirocket',
                   help='comma-separated (default: all four)')
    g.add_argument('--model', metavar='DIR', help='a model trained on the same split, scored '
                                                  'beside the baselines')
    return p


def run(args):
    from chainer_irnn.baselines import baselines, table
    from chainer_irnn.datasets.tabular import read_csv
    from chainer_irnn.errors import UserError
    if not args.csv:
        raise UserError('--csv FILE is required: the training sequences')
    data = read_csv(args.csv, args.test, val=args.val, val_split=args.val_split, seed=args.seed,
                    **csv_args.read_kwargs(args))
    methods = [m.strip() for m in args.methods.split(',') if m.strip()]
    rows = baselines(data.train, data.val, data.test, methods=methods, seed=args.seed)
    model_row = None
    if args.model:
        from chainer_irnn.predictor import load_model
        model = load_model(args.model)
        if [str(c) for c in model.classes] != [str(c) for c in data.classes]:
            raise UserError('{}: its classes ({}) are not those of {} ({})'.format(
                args.model, ', '.join(map(str, model.classes)), args.csv,
                ', '.join(map(str, data.classes))))
        _check_same_reading(args.model, model.description.get('tabular') or {},
                            data.meta['tabular'])
        model_row = {'method': 'IRNN ({})'.format(args.model)}
        for name, part in (('validation', data.val), ('test', data.test)):
            if part is not None and len(part):
                model_row[name] = model.evaluate(part)['accuracy']
                model_row['n_' + name] = len(part)
    print('{} training sequences; validation: {}{}'.format(
        len(data.train), data.split, '' if data.test is None else
        '; test: {} (scored once, chose nothing)'.format(args.test)))
    print(table(rows, model_row))
    return 0


def _check_same_reading(path, trained, here):
    """The model reads the sequences as this run read them (the same window
    averaging and standardisation), or a :class:`UserError` saying what differs:
    its score would otherwise be of data it was never fed."""
    import numpy
    from chainer_irnn.errors import UserError
    mine, theirs = trained.get('window_mean', 1), here.get('window_mean', 1)
    if mine != theirs:
        raise UserError('{}: it averages each sequence over windows of {} step{}, this reading '
                        'of the file over {}: give baseline the --max-steps that train was '
                        'given'.format(path, mine, '' if mine == 1 else 's', theirs))
    for key in ('mean', 'std'):
        if not numpy.allclose(trained.get(key, []), here.get(key, []), rtol=1e-6, atol=1e-9):
            raise UserError('{}: its feature {}s differ from those of this reading of the '
                            'file: give baseline the file, flags and --seed that train was '
                            'given'.format(path, 'mean' if key == 'mean' else 'std'))
