"""``read_csv``: labelled sequences from CSV files, ready for training.

::

    from chainer_irnn import read_csv

    data = read_csv('train.csv', test='test.csv')       # validation: 10% of train.csv
    data.train[0]          # (x (T, F) float32, class index) -- a Chainer dataset
    data.train.X, data.train.y                          # arrays and label texts
    data.meta              # what the model stores to read new files the same way
"""
import dataclasses
import logging
from typing import Optional

import numpy

from chainer_irnn.datasets.description import data_description
from chainer_irnn.datasets.tabular import layouts, preprocess
from chainer_irnn.errors import DataError, ParameterError

logger = logging.getLogger(__name__)


class SequenceDataset(object):
    """Labelled sequences: a dataset of ``(x, class index)`` examples, as
    Chainer's iterators, ``fit`` and the estimator take it.

    Attributes:
        X (list of ndarray): ``(T_i, F)`` float32 sequences (already
            preprocessed as the training file was).
        y (ndarray): the label of each sequence, or None for unlabelled
            data: integers (int64) when every class is an integer, else the
            texts as written in the file.
        ids (list): each sequence's id in its file.
        classes (list): the class labels (integers or texts, as ``y``);
            ``x``'s class index is the position of its label here.
        source (str): where the sequences came from.
        meta (dict): how they were read (:attr:`CsvData.meta`), or None.
    """

    def __init__(self, X, y, classes, ids=None, source=None, codes=None, meta=None):
        self.X = list(X)
        self.y = None if y is None else y if isinstance(y, numpy.ndarray) else \
            numpy.asarray(y, dtype=object)
        self.classes = list(classes)
        self.ids = list(range(len(self.X))) if ids is None else list(ids)
        self.source = source
        self.meta = meta
        self._codes = codes

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [(self.X[j], self._codes[j]) for j in range(*i.indices(len(self)))]
        return self.X[i], self._codes[i]


@dataclasses.dataclass
class CsvData:
    """What :func:`read_csv` returns.

    Attributes:
        train (SequenceDataset): training sequences.
        val (SequenceDataset or None): validation sequences (the held-out
            split of the training file, or the ``val`` file): what chooses the
            kept model, early stopping and learning-rate decay; None with
            ``val_split=0``.
        meta (dict): the data description :func:`~chainer_irnn.training.fit`
            stores with the model (``in_size``, ``n_class``, and under
            ``'tabular'`` the reading spec, label mapping and feature
            statistics, so that new files are read the same way).
        split (str): how the validation set was made, in words.
    """

    train: SequenceDataset
    val: Optional[SequenceDataset]
    meta: dict
    split: str
    #: the test file's sequences (``test=``), or None: scored once, at the
    #: end, with the kept model; it chooses nothing
    test: Optional[SequenceDataset] = None

    @property
    def classes(self):
        return self.train.classes


def _class_counts(classes, counts, shown=20):
    """``'a: 10, b: 12'``; past ``shown`` classes, their number and the first ones."""
    text = ', '.join('{}: {}'.format(c, int(n)) for c, n in zip(classes[:shown], counts[:shown]))
    if len(classes) > shown:
        text = '({} in all) {}, ...'.format(len(classes), text)
    return text


def read_csv(path, test=None, *, val=None, val_split=None, seed=0, layout='auto', sep=',',
             header=True, label_col=None, id_col=None, time_col=None, feature_cols=None,
             features_per_step=None, window=None, stride=1, fill=None, standardize=True,
             max_steps=preprocess.DEFAULT_MAX_STEPS):
    """Reads labelled sequences from a CSV file (plain or ``.gz``).

    Args:
        path: the training file: a path, a file object (``open(...)``,
            ``io.StringIO``) or a pandas DataFrame (read as that table
            written to a file: the column names are the header).
        test (str): a test file with the same columns (``CsvData.test``): it
            chooses nothing; training scores it once, with the kept model.
        val (str): a validation file with the same columns, instead of a
            split of ``path``.
        val_split (float): without ``val``: the fraction of ``path`` held
            out for validation, stratified by label and seeded by ``seed``
            (the last windows, for the series layout); default 0.1; 0 = none.
        seed (int): seed of the stratified split.
        layout (str): ``'wide'`` (a row per sequence), ``'long'`` (a row per
            step, with a sequence-id column), ``'series'`` (one series cut
            into windows), or ``'auto'`` (long with an id column, series
            with ``window``, else wide).
        sep (str): the field separator.
        header (bool): whether the first line names the columns.
        label_col, id_col, time_col: a column name or 1-based number.
        feature_cols (str): e.g. ``'a,b,c'`` or ``'2-785'``; default all
            other columns.
        features_per_step (int): wide layout: consecutive feature columns
            that form one step; None (default): read from step-indexed column
            names (``a1,b1,c1,a2,..``), else 1 (the log says which).
        window, stride (int): series layout: rows per window, rows between
            window starts.
        fill (str): missing cells: None (an error), ``'zero'``, ``'ffill'``
            or ``'mean'``.
        standardize (bool): standardise each feature with the training
            split's mean and standard deviation.
        max_steps (int): when the longest training sequence (of the
            training split) has more steps, every sequence (training,
            validation, test, and later at prediction) is averaged over
            consecutive windows of ``k = ceil(longest / max_steps)`` steps,
            after standardising (with the mean and std of the averaged
            training steps, the steps the model reads); the last window of a
            sequence averages the steps it has.  ``k`` is stored with the
            model (``window_mean``).
            Default 256 (:data:`~chainer_irnn.datasets.tabular.preprocess.DEFAULT_MAX_STEPS`):
            long series (ACSF1, 1460 steps) learn much better averaged to a
            few hundred steps (docs/csv.md); None: no averaging.

    Returns:
        CsvData

    Raises:
        DataError: a cell, row or column is wrong (file, line, column).
        ParameterError: a parameter is wrong.
    """
    from chainer_irnn.datasets.tabular import table as tabular
    if val is not None and val_split:
        raise ParameterError('val_split', 'give a validation file or a validation split, '
                             'not both')
    fraction = 0.1 if val_split is None else val_split
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0 <= fraction < 1:
        raise ParameterError('val_split', 'must be in [0, 1), not {!r}'.format(fraction))
    opts = layouts.Options(
        layout=layout, sep=sep, header=header, label_col=label_col, id_col=id_col,
        time_col=time_col, feature_cols=feature_cols, features_per_step=features_per_step,
        window=window, stride=stride, fill=fill, standardize=standardize, max_steps=max_steps)
    table = tabular.Table(path, opts)
    path = table.path           # a path, or the name of in-memory data ('<DataFrame>')
    seqs = table.read()
    logger.info(table.summary())
    if table.roles.guess:
        logger.warning('%s: %s', path, table.roles.guess)
    roles = table.roles
    label_column = roles.position(roles.label)
    preprocess.Preprocessor.fit(seqs, path=path, label_column=label_column)  # >= 2 classes

    def read_like(other):
        other_table = tabular.table_like(other, tabular.spec_to_json(table), labels='required',
                                         expect_features=table.n_features)
        other_seqs = other_table.read()
        logger.info(other_table.summary())
        return other_seqs, other_table.roles.position(other_table.roles.label)

    split = 'validation file {}'.format(val)
    if val is not None:
        test_seqs, test_column = read_like(val)
        train_seqs, test_path = seqs, val
    elif fraction == 0:
        train_seqs, test_seqs, test_path, test_column = seqs, [], None, None
        split = 'no validation (validation split 0)'
    elif roles.layout == 'series':
        tr, va, dropped = preprocess.chronological_split(len(seqs), fraction, opts.window,
                                                         opts.stride)
        train_seqs, test_seqs = [seqs[i] for i in tr], [seqs[i] for i in va]
        test_path, test_column = path, label_column
        split = ('validation = the last {:g}% of the windows; {} training window{} '
                 'overlapping them left out').format(100 * fraction, dropped,
                                                     '' if dropped == 1 else 's')
    else:
        classes = {c: i for i, c in enumerate(preprocess.class_order(s.label for s in seqs))}
        tr, va = preprocess.stratified_split([classes[s.label] for s in seqs], fraction, seed)
        train_seqs, test_seqs = [seqs[i] for i in tr], [seqs[i] for i in va]
        test_path, test_column = path, label_column
        split = 'validation = {:g}% stratified by label, seed {}'.format(100 * fraction, seed)
        if not len(va):
            logger.warning('%s: a validation split of %g%% leaves no validation sequences '
                           '(%d sequences in %d classes; a class keeps at least one for '
                           'training): give a validation file, or more sequences per class',
                           path, 100 * fraction, len(seqs), len(classes))
    if not train_seqs:
        raise DataError('no training sequences left after the validation split', path=path)
    prep = preprocess.Preprocessor.fit(train_seqs, fill=opts.fill, standardize=opts.standardize,
                                       path=path, label_column=label_column)
    longest = max(len(s.x) for s in train_seqs)
    if opts.max_steps is not None:      # fitted on the training split only
        prep.fit_window(train_seqs, preprocess.window_size([longest], opts.max_steps))
    note = preprocess.window_note(prep.window_mean, longest, opts.max_steps)
    if note:
        logger.info(note)

    def dataset(part, source, column):
        codes = prep.encode(part, source, column)
        return SequenceDataset([prep.transform(s.x) for s in part],
                               preprocess.label_values([s.label for s in part], prep.classes),
                               preprocess.label_values(prep.classes).tolist(),
                               ids=[s.id for s in part], source=source, codes=codes)

    train = dataset(train_seqs, str(path), label_column)
    val = dataset(test_seqs, str(test_path), test_column) if test_seqs else None
    scored = None
    if test is not None:
        scored_seqs, scored_column = read_like(test)
        scored = dataset(scored_seqs, str(test) if isinstance(test, str) else '<test data>',
                         scored_column)
    counts = numpy.bincount(train._codes, minlength=len(prep.classes))
    logger.info('%d training / %d validation sequences (%s)%s; classes %s', len(train),
                0 if val is None else len(val), split,
                '' if scored is None else ' / {} test sequences ({}: scored once at the '
                'end, choosing nothing)'.format(len(scored), test), _class_counts(
                    prep.classes, counts))
    meta = data_description('csv', str(path), table.n_features, len(prep.classes), len(train),
                            0 if val is None else len(val),
                            tabular=dict(tabular.spec_to_json(table), **prep.to_json()))
    for part in (train, val, scored):
        if part is not None:
            part.meta = meta
    return CsvData(train=train, val=val, meta=meta, split=split, test=scored)
