"""Reading sequences from CSV files: the wide, long and series layouts."""
import numpy
import pytest

from chainer_irnn.datasets import tabular
from chainer_irnn.datasets.tabular import Options, Table
from chainer_irnn.errors import UserError


def write(tmp_path, text, name='data.csv'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def read(path, **kw):
    table = Table(path, Options(**kw))
    return table, table.read()


def test_wide_one_feature_per_step_label_first(tmp_path):
    path = write(tmp_path, 'y,p1,p2,p3\n0,1,2,3\n1,4,5,6\n')
    table, seqs = read(path)
    assert table.roles.layout == 'wide' and table.n_features == 1
    assert [s.label for s in seqs] == ['0', '1']
    assert seqs[1].x.shape == (3, 1) and seqs[1].x[:, 0].tolist() == [4, 5, 6]
    assert [s.id for s in seqs] == ['2', '3']  # no id column: the file line


def test_wide_label_found_by_name_and_k_features_per_step(tmp_path):
    path = write(tmp_path, 'a1,b1,a2,b2,label\n1,2,3,4,cat\n5,6,7,8,dog\n')
    table, seqs = read(path, features_per_step=2)
    assert table.roles.label == 'label' and table.n_features == 2
    assert seqs[0].x.tolist() == [[1, 2], [3, 4]]
    assert seqs[1].label == 'dog'


def test_wide_mnist_like_without_header(tmp_path):
    path = write(tmp_path, '7,0,255,3\n2,1,1,1\n')
    table, seqs = read(path, header=False)
    assert table.roles.label == 0
    assert [s.label for s in seqs] == ['7', '2'] and seqs[0].x[:, 0].tolist() == [0, 255, 3]
    assert seqs[0].line == 1


def test_wide_feature_cols_by_range_and_name(tmp_path):
    path = write(tmp_path, 'label,junk,a,b,c\n0,9,1,2,3\n1,9,4,5,6\n')
    _, seqs = read(path, feature_cols='3-4,c')
    assert seqs[0].x[:, 0].tolist() == [1, 2, 3]


def test_long_layout_detected_from_id_with_variable_lengths_and_time(tmp_path):
    path = write(tmp_path, 'id,t,f1,f2,label\n'
                           'a,2,3,30,x\na,1,1,10,x\na,3,5,50,x\n'
                           'b,1,7,70,y\n')
    table, seqs = read(path)
    assert table.roles.layout == 'long' and table.roles.time == 't'
    assert table.n_features == 2
    assert [s.id for s in seqs] == ['a', 'b']
    assert seqs[0].x.tolist() == [[1, 10], [3, 30], [5, 50]]  # sorted by t
    assert seqs[1].x.shape == (1, 2) and seqs[1].label == 'y'
    assert table.summary().endswith('2 sequences of 2 features per step, 1-3 steps')


def test_long_layout_chunks_split_sequences(tmp_path):
    rows = ['seq,v,label']
    for i in range(7):
        rows += ['s{},{},{}'.format(i, j, i % 2) for j in range(i + 1)]
    path = write(tmp_path, '\n'.join(rows) + '\n')
    whole = Table(path, Options()).read()
    for chunksize in (1, 2, 3, 5, 100):
        parts = [s for part in Table(path, Options()).iter(chunksize) for s in part]
        assert [s.id for s in parts] == [s.id for s in whole]
        for a, b in zip(parts, whole):
            numpy.testing.assert_array_equal(a.x, b.x)
    assert [len(s.x) for s in whole] == list(range(1, 8))


def test_series_windows_label_of_last_row(tmp_path):
    rows = ['f,g,label'] + ['{},{},{}'.format(i, -i, 'up' if i % 3 else 'down')
                            for i in range(10)]
    path = write(tmp_path, '\n'.join(rows) + '\n')
    table, seqs = read(path, window=4, stride=3)
    assert table.roles.layout == 'series'
    assert [s.x[:, 0].tolist() for s in seqs] == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert [s.label for s in seqs] == ['down', 'down', 'down']
    assert [s.line for s in seqs] == [5, 8, 11]
    for chunksize in (1, 2, 4, 7):
        parts = [s for p in Table(path, Options(window=4, stride=3)).iter(chunksize) for s in p]
        assert [s.x.tolist() for s in parts] == [s.x.tolist() for s in seqs]
    table, seqs = read(path, window=4, stride=4)
    assert len(seqs) == 2 and table.leftover == 2 and '2 rows at the end' in table.summary()


def test_layout_override_and_ambiguous_unique_ids(tmp_path):
    path = write(tmp_path, 'id,label,a,b\n1,0,1,2\n2,1,3,4\n')
    with pytest.raises(UserError, match="layout='wide'"):
        read(path)
    table, seqs = read(path, layout='wide')
    assert [s.id for s in seqs] == ['1', '2'] and seqs[0].x.shape == (2, 1)


def test_long_needs_label_column(tmp_path):
    path = write(tmp_path, 'id,a,b\n1,0,1\n1,2,1\n')
    with pytest.raises(UserError, match='label_col'):
        read(path)
    _, seqs = read(path, label_col='b')
    assert seqs[0].label == '1' and seqs[0].x.shape == (2, 1)


def test_empty_lines_are_skipped_and_reported(tmp_path):
    path = write(tmp_path, 'label,a\n0,1\n\n1,2\n\n')
    table, seqs = read(path)
    assert len(seqs) == 2 and table.skipped == [3, 5]
    assert '2 empty lines skipped: 3, 5' in table.summary()


def test_preprocessor_standardises_on_training_and_round_trips_json(tmp_path):
    path = write(tmp_path, 'label,a,b\n1,0,10\n2,2,30\n10,4,20\n')
    _, seqs = read(path, features_per_step=2)
    prep = tabular.Preprocessor.fit(seqs)
    assert prep.classes == ['1', '2', '10']  # integer labels in numeric order
    assert prep.mean.tolist() == [2, 20]
    x = prep.transform(seqs[0].x)
    assert x.dtype == numpy.float32
    numpy.testing.assert_allclose(x, [[-numpy.sqrt(1.5), -numpy.sqrt(1.5)]], rtol=1e-6)
    import json
    again = tabular.Preprocessor.from_json(json.loads(json.dumps(prep.to_json())))
    numpy.testing.assert_array_equal(again.transform(seqs[2].x), prep.transform(seqs[2].x))
    assert again.encode(seqs).tolist() == [0, 1, 2]


@pytest.mark.parametrize('fill,expected', [
    ('zero', [1, 0, 0, 4]), ('ffill', [1, 1, 1, 4]), ('mean', [1, 2.5, 2.5, 4])])
def test_fill(tmp_path, fill, expected):
    path = write(tmp_path, 'label,a,b,c,d\n0,1,,nan,4\n1,1,2,3,4\n')
    _, seqs = read(path, fill=fill)
    prep = tabular.Preprocessor.fit(seqs, fill=fill, standardize=False)
    assert prep.transform(seqs[0].x)[:, 0].tolist() == expected


def test_stratified_split_is_seeded_and_keeps_proportions():
    labels = [0] * 80 + [1] * 20
    tr, va = tabular.stratified_split(labels, 0.1, seed=3)
    assert len(va) == 10 and sum(labels[i] for i in va) == 2
    assert sorted(numpy.concatenate([tr, va]).tolist()) == list(range(100))
    tr2, va2 = tabular.stratified_split(labels, 0.1, seed=3)
    assert va.tolist() == va2.tolist()
    assert va.tolist() != tabular.stratified_split(labels, 0.1, seed=4)[1].tolist()


def test_chronological_split_leaves_no_shared_rows():
    tr, va, dropped = tabular.chronological_split(20, 0.25, window=4, stride=1)
    assert va.tolist() == list(range(15, 20))
    assert tr[-1] + 4 - 1 < va[0] and dropped == 3


def test_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / 'bom.csv'
    path.write_bytes(b'\xef\xbb\xbfid,a,label\n1,0,x\n1,1,x\n2,0,y\n')
    table, seqs = read(str(path))
    assert table.roles.layout == 'long' and table.roles.id == 'id'
    assert [len(s.x) for s in seqs] == [2, 1]
