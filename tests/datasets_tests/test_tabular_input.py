"""read_csv's inputs and readings (issues 22.11, 22.16, 22.18, 23.7, 24.2, 24.3):
labels compared exactly, paths/file objects/DataFrames, a header of numbers,
a separator hint without a header, a guessed reading said as such."""
import io
import logging

import numpy
import pytest

from chainer_irnn import read_csv
from chainer_irnn.datasets.tabular import Options, Table
from chainer_irnn.errors import DataError


def rows(labels, n=40, head='label,x1,x2,x3', sep=','):
    lines = [head] if head else []
    for i in range(n):
        lines.append(sep.join([str(labels[i % len(labels)]), str(i * 0.5), str(-i), str(i % 3)]))
    return '\n'.join(lines) + '\n'


def test_labels_compare_exactly(tmp_path):
    path = tmp_path / 'big.csv'
    path.write_text(rows(['90071992547409921', '90071992547409923']))
    data = read_csv(str(path), features_per_step=3)
    assert data.classes == [90071992547409921, 90071992547409923]   # not one float 9.007e16
    assert data.train.y.dtype == numpy.int64
    path.write_text(rows(['1_0', '10']))
    data = read_csv(str(path), features_per_step=3)
    assert data.classes == ['10', '1_0'] and data.train.y.dtype == object   # text, not float()
    path.write_text(rows(['10', '1_0', '0x10', 'inf']))
    assert read_csv(str(path), features_per_step=3).classes == ['10', '0x10', '1_0', 'inf']
    path.write_text(rows(['1', '01', '1.0', '2']))     # numbers are compared as values
    assert read_csv(str(path), features_per_step=3).classes == [1, 2]


def test_read_csv_takes_a_path_a_file_object_or_a_dataframe(tmp_path):
    import pandas as pd
    text = rows(['3', '7'])
    path = tmp_path / 'a.csv'
    path.write_text(text)
    ref = read_csv(str(path), features_per_step=3)
    for data in (read_csv(path, features_per_step=3),
                 read_csv(io.StringIO(text), features_per_step=3),
                 read_csv(io.BytesIO(text.encode()), features_per_step=3),
                 read_csv(open(path), features_per_step=3),
                 read_csv(pd.read_csv(io.StringIO(text)), features_per_step=3)):
        assert data.classes == [3, 7] and list(data.train.y) == list(ref.train.y)
        assert data.train.y.dtype == numpy.int64          # integer labels as integers
        for a, b in zip(data.train.X, ref.train.X):
            numpy.testing.assert_array_equal(a, b)
    # a test file as a DataFrame too
    data = read_csv(io.StringIO(text), val=pd.read_csv(io.StringIO(text)), features_per_step=3)
    assert len(data.val) == 40
    # the data's name in messages, never its contents
    with pytest.raises(DataError, match=r'^<DataFrame>, line 4, column 2: feature cell'):
        read_csv(pd.DataFrame({'label': [1, 2, 1], 'x': ['1', '2', 'oops']}))
    with pytest.raises(DataError, match=r'^<StringIO>: the file is empty'):
        read_csv(io.StringIO(''))
    with pytest.raises(ValueError, match='path: expected a file path, a file object or a '
                                         'pandas DataFrame, not int'):
        read_csv(42)


def test_a_header_of_numbers_is_announced(tmp_path, caplog):
    path = tmp_path / 'noheader.csv'
    path.write_text(rows(['0', '1'], head=None))
    with caplog.at_level(logging.WARNING):
        read_csv(str(path), features_per_step=3)
    assert 'line 1: the header line holds only numbers (0, 0.0, 0, 0)' in caplog.text
    assert 'header=False' in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        data = read_csv(str(path), header=False, features_per_step=3)
    assert len(data.train) + len(data.val) == 40 and 'header line' not in caplog.text
    path.write_text(rows(['0', '1'], head='0,1,2,3'))      # column numbers as names: fine
    with caplog.at_level(logging.WARNING):
        read_csv(str(path), features_per_step=3)
    assert 'header line' not in caplog.text


def test_tab_hint_without_a_header(tmp_path):
    path = tmp_path / 'x.tsv'
    path.write_text(rows(['a', 'b'], head=None, sep='\t'))
    with pytest.raises(DataError) as info:
        Table(str(path), Options(header=False)).read()
    assert "the first line looks tab-separated: set sep='\\t'" in str(info.value)


def test_numbered_columns_read_as_steps_are_a_guess(tmp_path, caplog):
    path = tmp_path / 'obs.csv'                  # the blog commenter's file
    text = 'f1,f2,f3,label\n' + '\n'.join('{},{},{},{}'.format(i, -i, i % 3, i % 2)
                                          for i in range(40)) + '\n'
    path.write_text(text)
    with caplog.at_level(logging.WARNING):
        read_csv(str(path))
    guess = [r.message for r in caplog.records if 'a guess' in r.message]
    assert len(guess) == 1 and '\n' not in guess[0]
    assert 'columns f1, f2, f3 read as 3 steps of 1 feature' in guess[0]
    assert 'window=N' in guess[0] and 'id_col' in guess[0] and 'features_per_step=1' in guess[0]
    for kw in (dict(features_per_step=1), dict(features_per_step=3), dict(window=4)):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            read_csv(str(path), **kw)
        assert 'a guess' not in caplog.text


def test_many_classes_without_validation_are_announced(tmp_path, caplog):
    path = tmp_path / 'many.csv'
    path.write_text('label,x1,x2\n' + '\n'.join('c{},{},{}'.format(i // 2, i, -i)
                                                for i in range(2000)) + '\n')
    with caplog.at_level(logging.INFO):
        data = read_csv(str(path))
    assert data.val is None and len(data.classes) == 1000
    assert 'a validation split of 10% leaves no validation sequences' in caplog.text
    line = next(r.message for r in caplog.records if 'training /' in r.message)
    assert len(line) < 500 and '(1000 in all)' in line, line


def wide_text(n_rows=4, n_cols=3000, bad=None):
    rng = numpy.random.RandomState(0)
    lines = ['label,' + ','.join('v{}'.format(j) for j in range(n_cols))]
    for i in range(n_rows):
        cells = ['{:.3f}'.format(v) for v in rng.normal(size=n_cols)]
        if bad is not None and bad[0] == i:
            cells[bad[1]] = bad[2]
        lines.append(','.join([str(i % 2)] + cells))
    return '\n'.join(lines) + '\n'


def test_a_wide_file_is_converted_as_one_block(tmp_path, monkeypatch):
    from chainer_irnn.datasets.tabular import reading
    calls = []
    column = reading.numeric_column
    monkeypatch.setattr(reading, 'numeric_column',
                        lambda *a, **kw: calls.append(a[1]) or column(*a, **kw))
    path = tmp_path / 'wide.csv'
    path.write_text(wide_text())
    data = read_csv(str(path), val_split=0, features_per_step=1, max_steps=None)
    assert data.train.X[0].shape == (3000, 1) and len(calls) < 10, len(calls)
    # a bad cell is still named exactly: the first bad column, its first bad line
    for cell, message in (('x', "feature cell 'x' in column 'v1700' is not a number"),
                          ('', "missing value in feature column 'v1700'"),
                          ('1e300', 'beyond the float32 range'),
                          ('inf', 'not a finite number')):
        path.write_text(wide_text(bad=(2, 1700, cell)).replace(
            '\n0,', '\n0,', 1))
        with pytest.raises(DataError) as info:
            read_csv(str(path), val_split=0, features_per_step=1)
        assert info.value.line == 4 and info.value.column == 1702, str(info.value)
        assert message in str(info.value)
    # with fill, a missing cell is filled, not an error
    path.write_text(wide_text(bad=(2, 1700, '')))
    data = read_csv(str(path), val_split=0, features_per_step=1, fill='zero',
                    standardize=False, max_steps=None)
    assert data.train.X[2][1700, 0] == 0


def test_a_wide_header_keeps_pandas_names(tmp_path):
    path = tmp_path / 'dup.csv'
    text = wide_text(n_cols=1200).replace('v5,', 'v4,', 1)    # a repeated name
    path.write_text(text)
    table = Table(str(path), Options(features_per_step=1))
    assert 'v4.1' in table.roles.columns and len(table.read()) == 4
    path.write_text(wide_text(n_cols=1200))
    assert Table(str(path), Options(header=False)).roles.columns[:3] == [0, 1, 2]


def test_reading_a_long_file_holds_little_more_than_its_numbers(tmp_path):
    import tracemalloc
    n, steps = 200000, 100
    rng = numpy.random.RandomState(0)
    x = rng.normal(size=(n, 3))
    path = tmp_path / 'long.csv'
    with open(str(path), 'w') as f:
        f.write('id,a,b,c,label\n')
        f.writelines('s{},{:.4f},{:.4f},{:.4f},{}\n'.format(i // steps, *x[i], i // steps % 2)
                     for i in range(n))
    del x
    small = tmp_path / 'small.csv'
    small.write_text(''.join(open(str(path)).readlines()[:1001]))
    read_csv(str(small), val_split=0)              # imports done before measuring
    tracemalloc.start()
    try:
        data = read_csv(str(path), val_split=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    numbers = n * 3 * 8                        # the values as float64
    assert len(data.train) == n // steps
    # the table as pandas holds it (ids and labels as text objects) was 6.4x
    assert peak < 4 * numbers, peak / numbers


def test_a_damaged_archive_is_one_data_error(tmp_path):
    path = tmp_path / 'bad.zip'
    path.write_bytes(b'not a zip')
    with pytest.raises(DataError, match='bad.zip: cannot parse the file as CSV'):
        read_csv(str(path))
