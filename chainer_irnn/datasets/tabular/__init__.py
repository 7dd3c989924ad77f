"""Sequence classification data from CSV files (wide, long, series layouts).

For training, :func:`read_csv` does everything below and returns datasets::

    data = read_csv('train.csv', test='test.csv', features_per_step=3)

Reading by hand::

    opts = Options(layout='auto', features_per_step=3)
    table = Table('train.csv', opts)          # columns resolved, nothing read yet
    seqs = table.read()                      # list of Sequence (x (T, F), label, id, line)
    print(table.summary())                   # rows read, lines skipped, sequences

    for seqs in Table('big.csv', opts, labels='optional').iter(chunksize=100000):
        ...                                  # bounded memory, any file size

The modules: :mod:`.layouts` (options, layouts, column roles),
:mod:`.reading` (pandas, lines and columns of bad cells), :mod:`.sequences`
(rows to sequences per layout, across chunk boundaries), :mod:`.preprocess`
(labels, missing values, standardisation, splits).
"""
from chainer_irnn.datasets.tabular.layouts import LAYOUTS, FILLS, Options, Roles, resolve
from chainer_irnn.datasets.tabular.preprocess import (
    Preprocessor, chronological_split, class_order, stratified_folds, stratified_split)
from chainer_irnn.datasets.tabular.sequences import Sequence
from chainer_irnn.datasets.tabular.table import Table, options_from_spec, spec_to_json, table_like
from chainer_irnn.datasets.tabular.dataset import CsvData, SequenceDataset, read_csv

__all__ = ['read_csv', 'CsvData', 'SequenceDataset', 'Options', 'Roles', 'Table', 'Sequence',
           'Preprocessor', 'stratified_split', 'stratified_folds', 'chronological_split',
           'class_order', 'resolve', 'LAYOUTS', 'FILLS',
           'spec_to_json', 'options_from_spec', 'table_like']
