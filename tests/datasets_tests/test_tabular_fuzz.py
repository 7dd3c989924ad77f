"""Property: any file contents end in sequences or a UserError, never a crash."""
import os
import tempfile

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainer_irnn.datasets import tabular
from chainer_irnn.errors import UserError

CELLS = st.one_of(
    st.sampled_from(['0', '1', '2', '-1.5', '1e3', '', 'nan', 'NA', 'x', 'inf', '"a,b"', '"',
                     'id', 'label', 'time', ' ', '1 ', '\u00e9', '0x1', '1,2']),
    st.integers(-3, 3).map(str),
    st.text(alphabet=st.characters(codec='utf-8', exclude_categories=('Cs',)), max_size=4))
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=5), min_size=0, max_size=8)
NUMBER = st.one_of(st.integers(-3, 3).map(str),
                   st.floats(-10, 10, allow_nan=False).map(lambda v: '{:.3g}'.format(v)))


@st.composite
def tables(draw):
    """Mostly well-formed tables (id, label, numbers) with a few damaged cells."""
    n_cols = draw(st.integers(2, 5))
    names = draw(st.permutations(['id', 'label', 't', 'a', 'b', 'c']))[:n_cols]
    n_rows = draw(st.integers(1, 12))
    rows = [list(names)]
    for i in range(n_rows):
        row = []
        for name in names:
            if name == 'id':
                row.append(str(i // 2))
            elif name == 'label':
                row.append(str((i // 2) % 2) if 'id' in names else draw(st.sampled_from('01')))
            elif name == 't':
                row.append(str(i))
            else:
                row.append(draw(NUMBER))
        rows.append(row)
    for _ in range(draw(st.integers(0, 2))):  # damage
        r = draw(st.integers(0, len(rows) - 1))
        kind = draw(st.sampled_from(['cell', 'drop', 'add', 'blank']))
        if kind == 'cell' and rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(CELLS)
        elif kind == 'drop' and rows[r]:
            rows[r].pop()
        elif kind == 'add':
            rows[r].append(draw(CELLS))
        else:
            rows[r] = []
    return rows


OPTIONS = st.fixed_dictionaries({  # the usual settings more often than the rest
    'layout': st.sampled_from(['auto', 'auto', 'auto', 'wide', 'long', 'series']),
    'header': st.sampled_from([True, True, False]),
    'fill': st.sampled_from([None, None, 'zero', 'ffill', 'mean']),
    'features_per_step': st.sampled_from([1, 1, 1, 2]),
    'window': st.sampled_from([None, None, 2]),
    'label_col': st.sampled_from([None, None, None, '1', 'label', 'none']),
})


def exercise(text, opts, chunksize):
    fd, path = tempfile.mkstemp(suffix='.csv')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(text)
        try:
            table = tabular.Table(path, opts)
            seqs = [s for part in table.iter(chunksize) for s in part]
            table.summary()
            prep = tabular.Preprocessor.fit(seqs, fill=opts.fill, path=path)
            prep.encode(seqs)
            for s in seqs:
                x = prep.transform(s.x)
                assert x.ndim == 2 and x.shape[1] == table.n_features
        except UserError as e:
            assert str(e)
        try:  # as prediction reads: labels optional, a feature count to match
            table = tabular.Table(path, opts, labels='optional', expect_features=1)
            for part in table.iter(chunksize):
                assert all(s.x.shape[1] == 1 for s in part)
        except UserError as e:
            assert str(e)
    finally:
        os.remove(path)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.one_of(tables(), tables(), ROWS), opts=OPTIONS,
       chunksize=st.sampled_from([None, 1, 3]), newline=st.sampled_from(['\n', '\r\n']),
       trailing=st.booleans())
@pytest.mark.slow
def test_random_tables_never_escape_as_other_errors(rows, opts, chunksize, newline, trailing):
    text = newline.join(','.join(r) for r in rows) + (newline if trailing else '')
    try:
        options = tabular.Options(**opts)
    except UserError:
        return
    exercise(text.encode('utf-8'), options, chunksize)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=60), chunksize=st.sampled_from([None, 2]))
def test_random_bytes_never_escape(data, chunksize):
    exercise(data, tabular.Options(), chunksize)
