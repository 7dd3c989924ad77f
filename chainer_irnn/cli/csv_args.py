"""``--csv`` flags of ``chainer-irnn train`` and the CSV training data.

:func:`add_arguments` adds the flag group; :func:`csv_data` returns
``(train, test, meta)`` like ``train.mnist_data``: lists of ``(x, label)``
with ``x`` ``(T, F)`` float32, and the model description, which carries the
reading spec, the label mapping and the feature statistics (under
``'tabular'``) so that ``chainer-irnn predict`` reads new files the same way.
"""
import sys

from chainer_irnn.errors import DataError, UserError


def add_read_arguments(g, training=True):
    """Flags that say how to read a table (shared by train and predict)."""
    from chainer_irnn.datasets.tabular import LAYOUTS
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
    g.add_argument('--features-per-step', type=int, default=1, metavar='K',
                   help='wide layout: K consecutive columns form one step (default 1)')
    g.add_argument('--window', type=int, metavar='N', help='series layout: rows per window')
    g.add_argument('--stride', type=int, default=1, metavar='S',
                   help='series layout: rows between window starts (default 1)')
    g.add_argument('--fill', choices=('zero', 'ffill', 'mean'),
                   help='missing cells: error (default), zero, previous step, training mean')
    g.add_argument('--no-standardize', dest='standardize', action='store_false',
                   help='keep raw feature values (default: standardise each feature with the '
                        "training split's mean and std)")


def add_arguments(parser):
    """Adds the 'CSV data' group to the train parser."""
    g = parser.add_argument_group(
        'CSV data (instead of MNIST; see docs/csv.md)')
    g.add_argument('--csv', metavar='FILE', help='train on sequences from this CSV file')
    g.add_argument('--test', metavar='FILE', help='evaluate on this CSV file (same columns)')
    g.add_argument('--val-split', type=float, metavar='F',
                   help='without --test: hold out this fraction, stratified by label and '
                        'seeded by --seed (default 0.1; 0 = no evaluation)')
    add_read_arguments(g, training=True)
    return g


def options(args):
    from chainer_irnn.datasets import tabular
    return tabular.Options(
        layout=args.layout, sep=args.sep, header=args.header, label_col=args.label_col,
        id_col=args.id_col, time_col=args.time_col, feature_cols=args.feature_cols,
        features_per_step=args.features_per_step, window=args.window, stride=args.stride,
        fill=args.fill, standardize=args.standardize)


def _log(text):
    print('chainer-irnn train: ' + text, file=sys.stderr)


def csv_data(args, settings):
    """Train and test sets plus the model description for ``--csv``."""
    import numpy
    from chainer_irnn.datasets import tabular

    if settings.get('input') == 'embed' and args.input == 'embed':
        raise UserError('--input embed takes integer tokens (MNIST pixels); CSV features go '
                        'through --input linear (the default with --csv)')
    if settings.get('model', 'irnn') != 'irnn':
        raise UserError('--csv trains the irnn model; preset {} builds a {} model'.format(
            settings.get('preset'), settings.get('model')))
    settings['input'] = 'linear'
    if args.test and args.val_split:
        raise UserError('give --test or --val-split, not both')
    fraction = 0.1 if args.val_split is None else args.val_split
    if not 0 <= fraction < 1:
        raise UserError('--val-split must be in [0, 1), not {}'.format(fraction))

    opts = options(args)
    table = tabular.Table(args.csv, opts)
    seqs = table.read()
    _log(table.summary())
    roles = table.roles
    label_column = roles.position(roles.label)
    tabular.Preprocessor.fit(seqs, path=args.csv, label_column=label_column)  # >= 2 classes
    split = 'test file {}'.format(args.test)
    if args.test:
        test_table = tabular.Table(args.test, tabular.options_from_spec(
            tabular.spec_to_json(table)), expect_features=table.n_features)
        test_seqs = test_table.read()
        _log(test_table.summary())
        train_seqs, test_path = seqs, args.test
        test_column = test_table.roles.position(test_table.roles.label)
    elif fraction == 0:
        train_seqs, test_seqs, test_path, test_column = seqs, [], None, None
        split = 'no validation (--val-split 0)'
    elif roles.layout == 'series':
        tr, va, dropped = tabular.chronological_split(len(seqs), fraction, opts.window,
                                                      opts.stride)
        train_seqs, test_seqs = [seqs[i] for i in tr], [seqs[i] for i in va]
        test_path, test_column = args.csv, label_column
        split = ('validation = the last {:g}% of the windows; {} training window{} '
                 'overlapping them left out').format(100 * fraction, dropped,
                                                     '' if dropped == 1 else 's')
    else:
        classes = {c: i for i, c in enumerate(tabular.class_order(s.label for s in seqs))}
        tr, va = tabular.stratified_split([classes[s.label] for s in seqs], fraction, args.seed)
        train_seqs, test_seqs = [seqs[i] for i in tr], [seqs[i] for i in va]
        test_path, test_column = args.csv, label_column
        split = 'validation = {:g}% stratified by label, seed {}'.format(100 * fraction,
                                                                         args.seed)
    if not train_seqs:
        raise DataError('no training sequences left after the validation split', path=args.csv)
    prep = tabular.Preprocessor.fit(train_seqs, fill=opts.fill, standardize=opts.standardize,
                                    path=args.csv, label_column=label_column)
    y_train = prep.encode(train_seqs, args.csv, label_column)
    y_test = prep.encode(test_seqs, test_path, test_column)
    train = [(prep.transform(s.x), y) for s, y in zip(train_seqs, y_train)]
    test = [(prep.transform(s.x), y) for s, y in zip(test_seqs, y_test)]
    counts = numpy.bincount(y_train, minlength=len(prep.classes))
    _log('{} training / {} validation sequences ({}); classes {}'.format(
        len(train), len(test), split, ', '.join(
            '{}: {}'.format(c, int(n)) for c, n in zip(prep.classes, counts))))
    meta = {'data': 'csv', 'data_source': args.csv, 'in_size': table.n_features,
            'n_class': len(prep.classes), 'n_train': len(train), 'n_test': len(test),
            'tabular': dict(tabular.spec_to_json(table), **prep.to_json())}
    return train, (test or None), meta
