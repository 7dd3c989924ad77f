"""Bad CSV input: each a DataError naming the file, the line and the column.

Lines are counted as a text editor counts them (from 1, header included).
"""
import pytest

from chainer_irnn.datasets import tabular
from chainer_irnn.datasets.tabular import Options, Table
from chainer_irnn.errors import DataError, UserError


def write(tmp_path, text, name='bad.csv'):
    path = tmp_path / name
    path.write_bytes(text.encode('utf-8') if isinstance(text, str) else text)
    return str(path)


def fails(path, line=None, column=None, match=None, **kw):
    with pytest.raises(DataError) as info:
        Table(path, Options(**kw)).read()
    e = info.value
    assert e.path == path and str(e).startswith(path)
    assert (e.line, e.column) == (line, column), str(e)
    if line is not None:
        assert 'line {}'.format(line) in str(e)
    if column is not None:
        assert 'column {}'.format(column) in str(e)
    if match:
        assert match in str(e), str(e)
    return e


def test_missing_file(tmp_path):
    fails(str(tmp_path / 'nope.csv'), match='no such file')


def test_empty_file(tmp_path):
    fails(write(tmp_path, ''), match='empty')
    fails(write(tmp_path, '\n\n'), match='empty')


def test_header_only(tmp_path):
    fails(write(tmp_path, 'label,a,b\n'), line=1, match='no data rows')
    fails(write(tmp_path, 'label,a,b\n\n\n'), line=1, match='no data rows')


def test_ragged_row_with_more_fields(tmp_path):
    fails(write(tmp_path, 'label,a,b\n0,1,2\n1,2,3\n1,2,3,4\n'), line=4, column=4,
          match='ragged')


def test_ragged_first_row_with_more_fields(tmp_path):
    fails(write(tmp_path, 'label,a,b\n0,1,2,3\n1,2,3\n'), line=2, column=4, match='ragged')


def test_ragged_row_with_fewer_fields(tmp_path):
    path = write(tmp_path, 'label,a,b\n0,1,2\n1,2\n')
    fails(path, line=3, column=3, match='ragged row: 2 fields')
    fails(path, line=3, column=3, match='ragged', fill='zero')  # never filled away
    # an empty last cell is a missing value, not a short row
    fails(write(tmp_path, 'label,a,b\n0,1,2\n1,2,\n'), line=3, column=3, match='missing')


def test_ragged_row_in_a_later_chunk(tmp_path):
    path = write(tmp_path, 'label,a,b\n' + '0,1,2\n' * 10 + '1,2\n')
    with pytest.raises(DataError) as info:
        for _ in Table(path, Options(fill='mean')).iter(chunksize=3):
            pass
    assert (info.value.line, info.value.column) == (12, 3)


@pytest.mark.parametrize('cell', ['x', '1.2.3', '--1', '0x10'])
def test_non_numeric_cell(tmp_path, cell):
    fails(write(tmp_path, 'label,a,b\n0,1,2\n1,3,{}\n'.format(cell)), line=3, column=3,
          match='not a number')


def test_infinite_cell(tmp_path):
    fails(write(tmp_path, 'label,a,b\n0,1,inf\n'), line=2, column=3, match='not a finite')


@pytest.mark.parametrize('cell', ['', 'nan', 'NaN', 'NA', ' '])
def test_missing_cell_is_an_error_by_default(tmp_path, cell):
    path = write(tmp_path, 'label,a,b\n0,1,2\n1,{},3\n'.format(cell))
    fails(path, line=3, column=2, match='set fill')
    assert len(Table(path, Options(fill='ffill')).read()) == 2


def test_missing_cell_lines_count_empty_lines_and_no_header(tmp_path):
    fails(write(tmp_path, 'label,a\n0,1\n\n\n1,\n'), line=5, column=2, match='missing')
    fails(write(tmp_path, '0,1\n1,x\n'), line=2, column=2, header=False)


def test_missing_label(tmp_path):
    fails(write(tmp_path, 'a,b,label\n1,2,0\n1,2,\n'), line=3, column=3, match='missing label')


def test_undecodable_bytes(tmp_path):
    fails(write(tmp_path, b'label,a\n0,1\n1,\xff\xfe\n'), match='UTF-8')


def test_single_class(tmp_path):
    path = write(tmp_path, 'a,b,label\n1,2,x\n3,4,x\n')
    seqs = Table(path, Options()).read()
    with pytest.raises(DataError, match="only one class \\('x'\\)") as info:
        tabular.Preprocessor.fit(seqs, path=path, label_column=3)
    assert info.value.column == 3 and path in str(info.value)


def test_unseen_label(tmp_path):
    train = Table(write(tmp_path, 'label,a\n0,1\n1,2\n', 'train.csv'), Options()).read()
    path = write(tmp_path, 'label,a\n0,1\n2,2\n', 'test.csv')
    prep = tabular.Preprocessor.fit(train)
    with pytest.raises(DataError, match="label '2' never occurs in the training data") as info:
        prep.encode(Table(path, Options()).read(), path=path, label_column=1)
    assert (info.value.line, info.value.column) == (3, 1)


def test_long_sequence_rows_not_contiguous(tmp_path):
    e = fails(write(tmp_path, 'id,a,label\n1,0,x\n1,1,x\n2,0,y\n1,2,x\n'), line=5, column=1,
              match="sequence id '1' appears again")
    assert 'lines 2-3' in str(e)


def test_long_non_contiguous_across_chunks(tmp_path):
    path = write(tmp_path, 'id,a,label\n' + '1,0,x\n' * 3 + '2,0,y\n' * 3 + '1,0,x\n')
    with pytest.raises(DataError, match='appears again') as info:
        for _ in Table(path, Options()).iter(chunksize=2):
            pass
    assert (info.value.line, info.value.column) == (8, 1)


def test_long_label_changes_within_sequence(tmp_path):
    fails(write(tmp_path, 'id,a,label\n1,0,x\n1,1,x\n1,2,y\n2,0,y\n'), line=4, column=3,
          match='label changes within sequence')


def test_long_duplicate_time(tmp_path):
    fails(write(tmp_path, 'id,time,a,label\n1,1,0,x\n1,2,1,x\n1,2,2,x\n'), line=4, column=2,
          match='time 2 occurs twice')


def test_predict_feature_count_differs(tmp_path):
    path = write(tmp_path, 'id,a,b,c,label\n1,0,0,0,x\n')
    with pytest.raises(DataError, match='3 feature columns here, the model was trained on 2') \
            as info:
        Table(path, Options(), labels='optional', expect_features=2)
    assert (info.value.line, info.value.column) == (1, 4)
    path = write(tmp_path, 'label,a,b,c,d,e,f\n1,0,0,0,0,0,0\n', 'wide.csv')
    with pytest.raises(DataError, match='do not split into steps of 4'):
        Table(path, Options(features_per_step=4), labels='optional', expect_features=4)


def test_unknown_column_and_bad_flags(tmp_path):
    path = write(tmp_path, 'label,a,b\n0,1,2\n1,2,3\n')
    fails(path, line=1, match="label_col='nope': no such column", label_col='nope')
    with pytest.raises(UserError, match='window'):
        Table(path, Options(layout='series'))
    with pytest.raises(UserError, match='fill'):
        Options(fill='median')
    with pytest.raises(UserError, match='features_per_step: applies to the wide'):
        Table(path, Options(layout='series', window=1, features_per_step=2))


def test_series_shorter_than_a_window(tmp_path):
    fails(write(tmp_path, 'a,label\n1,x\n2,y\n'), match='fewer than one window', window=3)
