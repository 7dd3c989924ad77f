"""``--csv`` flags of ``chainer-irnn train`` and ``predict``.

:func:`add_arguments` adds the flag group; :func:`read_kwargs` turns the
flags into the parameters of :func:`chainer_irnn.read_csv`.
"""


def add_read_arguments(g, training=True):
    """Flags that say how to read a table (shared by train and predict)."""
    from chainer_irnn.cli.common import non_negative_int
    from chainer_irnn.datasets.tabular import LAYOUTS
    from chainer_irnn.datasets.tabular.preprocess import DEFAULT_MAX_STEPS
    g.add_argument('--label-col', metavar='COL',
                   help='label column: a header name or a 1-based number (default: a column '
                        'named label/class/target/y, else the first column in the wide layout)'
                        + ('' if training else '; none: the file has no labels'))
    g.add_argument('--id-col', metavar='COL',
                   help='sequence-id column (default: one named id/sequence_id/seq; it makes '
                        'the layout long)')
    if not training:
        return
    g.add_argument('--layout', choices=LAYOUTS, default='auto',
                   help='wide: a row per sequence; long: a row per step with a sequence id; '
                        'series: one series cut into windows (default auto: long when there is '
                        'an id column, series with --window, else wide)')
    g.add_argument('--sep', default=',', help='field separator (default ,)')
    g.add_argument('--no-header', dest='header', action='store_false',
                   help='the first line is data; columns are then numbered from 1')
    g.add_argument('--time-col', metavar='COL',
                   help='long layout: order of the steps within a sequence (default: a column '
                        'named time/t/step/order; else file order)')
    g.add_argument('--feature-cols', metavar='COLS',
                   help='feature columns, e.g. a,b,c or 2-785 (default: all other columns)')
    g.add_argument('--features-per-step', type=int, default=None, metavar='K',
                   help='wide layout: K consecutive columns form one step (default: read '
                        'from step-numbered column names like a1,b1,c1,a2,... or x_0,y_0,'
                        'x_1,...; else 1, and the log says so)')
    g.add_argument('--window', type=int, metavar='N', help='series layout: rows per window')
    g.add_argument('--stride', type=int, default=1, metavar='S',
                   help='series layout: rows between window starts (default 1)')
    g.add_argument('--fill', choices=('zero', 'ffill', 'mean'),
                   help='missing cells: error (default), zero, previous step, training mean')
    g.add_argument('--no-standardize', dest='standardize', action='store_false',
                   help='keep raw feature values (default: standardise each feature with the '
                        "training split's mean and std)")
    g.add_argument('--max-steps', type=non_negative_int, default=DEFAULT_MAX_STEPS,
                   metavar='N',
                   help='average every sequence over consecutive windows of k steps, k = '
                        'ceil(longest training sequence / N), when the longest has more than '
                        'N steps (k is kept with the model; long series learn better so); '
                        '0: never (default: {})'.format(
                            0 if DEFAULT_MAX_STEPS is None else DEFAULT_MAX_STEPS))


def add_arguments(parser):
    """Adds the 'CSV data' group to the train parser."""
    g = parser.add_argument_group(
        'CSV data (instead of MNIST; see docs/csv.md)')
    g.add_argument('--csv', metavar='FILE', help='train on sequences from this CSV file')
    g.add_argument('--test', metavar='FILE',
                   help='score the kept model on this CSV file (same columns) once, after '
                        'training; it chooses nothing (written to OUT/test.json)')
    g.add_argument('--val', metavar='FILE',
                   help='validation data (same columns) that choose the kept model, early '
                        'stopping and learning-rate decay (default: a --val-split of --csv)')
    g.add_argument('--val-split', type=float, metavar='F',
                   help='without --val: hold out this fraction of --csv for validation, '
                        'stratified by label and seeded by --seed (default 0.1; 0 = no '
                        'validation)')
    add_read_arguments(g, training=True)
    return g


def read_kwargs(args):
    """:func:`chainer_irnn.read_csv`'s reading parameters from the flags."""
    return dict(layout=args.layout, sep=args.sep, header=args.header,
                label_col=args.label_col, id_col=args.id_col, time_col=args.time_col,
                feature_cols=args.feature_cols, features_per_step=args.features_per_step,
                window=args.window, stride=args.stride, fill=args.fill,
                standardize=args.standardize,
                max_steps=getattr(args, 'max_steps', None) or None)     # 0: never
