"""Reading CSV files with pandas, keeping track of file lines and columns.

Every failure of pandas (empty file, ragged row, undecodable bytes, an
unterminated quote) becomes a :class:`~chainer_irnn.errors.DataError` naming
the file and, where known, the line and column.  Lines are counted as a
text editor counts them, from 1, the header line included (a quoted cell
that spans lines counts as one line, as pandas counts records).

Cells are read as pandas infers them, with ``keep_default_na=False`` so that
an empty cell stays ``''`` instead of turning silently into NaN; the
functions here then convert columns to numbers and report the first bad
cell of a column.
"""
import csv
import re
import warnings

import numpy

from chainer_irnn.errors import DataError, Setting

# Cell texts read as "missing" (case-insensitive, after stripping blanks).
MISSING_TOKENS = frozenset(['', 'nan', 'na', 'n/a', 'null', 'none', '?'])
FLOAT32_MAX = float(numpy.finfo(numpy.float32).max)

_PANDAS_LINE = re.compile(r'Expected (\d+) fields in line (\d+), saw (\d+)')


def _pandas():
    try:
        import pandas
    except ImportError:  # pragma: no cover - pandas is a dependency of the csv extra
        from chainer_irnn.errors import UserError
        raise UserError('reading CSV files needs pandas (pip install pandas)')
    return pandas


class Source(object):
    """CSV text held in memory (read from a file object, or written from a
    pandas DataFrame), with the name messages give it."""

    def __init__(self, text, name):
        self.text, self.name = text, name

    def __str__(self):
        return self.name

    __repr__ = __str__


def as_source(data):
    """What the readers take: a path as is; a file object (text or bytes)
    or a pandas DataFrame as a :class:`Source`.

    A DataFrame is written as CSV text with its column names as the header
    (and its index as leading columns when the index is named), so that it
    is read, and checked, exactly as the same table in a file.
    """
    import os
    if isinstance(data, (str, os.PathLike)):
        return data
    if isinstance(data, Source):
        return data
    if type(data).__name__ == 'DataFrame' and hasattr(data, 'to_csv'):
        named = any(n is not None for n in data.index.names)
        return Source(data.to_csv(index=named, lineterminator='\n'), '<DataFrame>')
    if hasattr(data, 'read'):
        name = getattr(data, 'name', None)
        name = name if isinstance(name, str) else '<{}>'.format(type(data).__name__)
        text = data.read()
        if isinstance(text, bytes):
            try:
                text = text.decode('utf-8-sig')
            except UnicodeDecodeError as e:
                raise DataError('not UTF-8 text ({}); save the file as UTF-8'.format(e.reason),
                                path=name)
        elif text.startswith('\ufeff'):
            text = text[1:]
        return Source(text, name)
    from chainer_irnn.errors import ParameterError
    raise ParameterError('path', 'expected a file path, a file object or a pandas DataFrame, '
                         'not {}'.format(type(data).__name__))


def _handle(path):
    """What ``pandas.read_csv`` reads: the path, or a fresh view of a Source."""
    if isinstance(path, Source):
        import io
        return io.StringIO(path.text)
    return path


def first_line(path):
    """The first line of the file (without its line end), '' if none."""
    try:
        with open_text(path) as f:
            return f.readline().rstrip('\r\n')
    except Exception:      # best effort (a hint only): pandas reports bad files
        return ''


def _read_kwargs(opts):
    # index_col=False: never take surplus fields of the first row as an index
    return dict(sep=opts.sep, header=0 if opts.header else None, keep_default_na=False,
                na_values=[], skip_blank_lines=False, encoding='utf-8-sig', index_col=False)


def _wrap(path, error):
    """A :class:`DataError` for an exception raised by ``pandas.read_csv``."""
    pd = _pandas()
    if isinstance(error, DataError):
        return error
    if isinstance(error, pd.errors.EmptyDataError):
        return DataError('the file is empty (no header line, no rows)', path=path)
    if isinstance(error, UnicodeDecodeError):
        return DataError('not UTF-8 text ({}); save the file as UTF-8'.format(error.reason),
                         path=path)
    text = str(error)
    m = _PANDAS_LINE.search(text)
    if m:
        expected, line, saw = (int(g) for g in m.groups())
        return DataError('ragged row: {} fields where the first line has {}'.format(
            saw, expected), path=path, line=line, column=expected + 1)
    m = re.search(r'line (\d+)', text)
    text = text.replace('Error tokenizing data. C error: ', '').strip()
    return DataError('cannot parse the file as CSV: {}'.format(text), path=path,
                     line=int(m.group(1)) if m else None)


def _wide_columns(path, opts):
    """The column keys of a file with thousands of columns, read with the
    :mod:`csv` module (pandas takes seconds to parse one such row), or None
    where pandas must decide (fewer columns, or names it would rename)."""
    try:
        with open_text(path) as f:
            reader = csv.reader(f, delimiter=opts.sep)
            first = next(reader, None)
            second = next(reader, None)
    except Exception:      # best effort: pandas then reads and reports the file
        return None
    if first is None or len(first) < 1000 or second is None:
        return None
    if not opts.header:
        return list(range(len(first)))
    names = [str(c) for c in first]
    if len(set(names)) != len(names) or not all(n.strip() == n and n for n in names):
        return None
    return names


def read_columns(path, opts):
    """The frame's column keys: header names (str), or 0..n-1 without a header."""
    pd = _pandas()
    wide = _wide_columns(path, opts)
    if wide is not None:
        return wide
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            frame = pd.read_csv(_handle(path), nrows=1, dtype=str, **_read_kwargs(opts))
    except FileNotFoundError:
        raise DataError('no such file', path=path)
    except IsADirectoryError:
        raise DataError('is a directory, not a CSV file', path=path)
    except Exception as e:  # pandas raises many kinds; all become DataError
        raise _wrap(path, e)
    columns = list(frame.columns)
    if opts.header:
        columns = [str(c) for c in columns]
        if len(frame) == 0:
            raise DataError('the file has a header line but no data rows', path=path, line=1)
    return columns


class Chunk(object):
    """Rows of a CSV file as read by pandas.

    Attributes:
        frame: the ``pandas.DataFrame`` of the non-empty rows.
        lines: int64 array, the file line of each row of ``frame``.
        skipped: lines with no content that were left out (listed in logs).
    """

    def __init__(self, frame, lines, skipped):
        self.frame, self.lines, self.skipped = frame, lines, skipped


def _blank_rows(frame):
    pd = _pandas()
    blank = numpy.ones(len(frame), dtype=bool)
    for key in frame.columns:
        col = frame[key]
        if pd.api.types.is_numeric_dtype(col.dtype):
            blank &= col.isna().to_numpy()
        else:
            blank &= (col.isna() | (col.astype(str).str.strip() == '')).to_numpy()
        if not blank.any():
            break
    return blank


def iter_chunks(path, opts, columns, chunksize=None, text_columns=()):
    """Yields :class:`Chunk` objects (one when ``chunksize`` is None).

    ``text_columns`` (keys) are read as text: labels and ids keep their exact
    spelling.  Every pandas failure ends in a :class:`DataError`.
    """
    pd = _pandas()
    first = 2 if opts.header else 1
    kwargs = _read_kwargs(opts)
    dtype = {k: str for k in text_columns}
    counter = _FieldCounter(path, opts, len(columns))
    done = 0
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            if chunksize is None:
                frames = iter([pd.read_csv(_handle(path), dtype=dtype, **kwargs)])
            else:
                frames = pd.read_csv(_handle(path), dtype=dtype, chunksize=chunksize, **kwargs)
            for frame in frames:
                n = len(frame)
                if any('Length of header' in str(w.message) for w in caught) or \
                        len(frame.columns) != len(columns):
                    # the first data row is longer than the header: pandas cut it
                    raise DataError('ragged row: more fields than the header line '
                                    'has ({})'.format(len(columns)),
                                    path=path, line=first, column=len(columns) + 1)
                del caught[:]
                frame.columns = columns
                lines = numpy.arange(first + done, first + done + n, dtype=numpy.int64)
                done += n
                counter.check(frame, lines)
                blank = _blank_rows(frame)
                skipped = [int(x) for x in lines[blank]]
                if blank.any():
                    frame, lines = frame[~blank], lines[~blank]
                yield Chunk(frame.reset_index(drop=True), lines, skipped)
    except FileNotFoundError:
        raise DataError('no such file', path=path)
    except DataError:
        raise
    except Exception as e:
        raise _wrap(path, e)
    finally:
        counter.close()


class _FieldCounter(object):
    """Finds rows with fewer fields than the header (pandas pads them).

    pandas fills the missing trailing fields of a short row with ``''``, as
    if the cells were empty.  Rows whose last cell is empty are looked up
    in the file with the :mod:`csv` module (one pass, kept open across
    chunks) to tell a short row from an empty cell.
    """

    def __init__(self, path, opts, n_columns):
        self.path, self.opts, self.n = path, opts, n_columns
        self.file = self.reader = None
        self.record = 0

    def check(self, frame, lines):
        if self.n < 2 or len(frame) == 0:
            return
        last = frame[frame.columns[-1]]
        if last.dtype.kind in 'biuf':
            return
        suspects = lines[(last.astype(str) == '').to_numpy() & ~last.isna().to_numpy()]
        if len(suspects) == 0:
            return
        if self.reader is None:
            self.file = open_text(self.path)
            self.reader = csv.reader(self.file, delimiter=self.opts.sep)
        for line in suspects:
            fields = None
            while self.record < line:
                try:
                    fields = next(self.reader)
                except (StopIteration, csv.Error):
                    return
                self.record += 1
            if fields is not None and 0 < len(fields) < self.n:
                raise DataError('ragged row: {} field{} where the header line has {}'.format(
                    len(fields), '' if len(fields) == 1 else 's', self.n),
                    path=self.path, line=int(line), column=len(fields) + 1)

    def close(self):
        if self.file is not None:
            self.file.close()


def numeric_column(chunk, key, position, name, path, allow_missing=False, what='feature',
                   fill_hint=True):
    """Column ``key`` of ``chunk`` as float64, NaN where a cell is missing.

    Raises a :class:`DataError` at the first cell that is not a number, not
    finite, or missing when ``allow_missing`` is false.
    """
    pd = _pandas()
    col = chunk.frame[key]
    if col.dtype.kind in 'biuf':
        values = col.to_numpy(dtype=numpy.float64)
        missing = numpy.isnan(values)
        bad = numpy.zeros(len(values), dtype=bool)
    else:
        text = col.astype(str).str.strip()
        values = numpy.array(pd.to_numeric(text, errors='coerce'), dtype=numpy.float64)
        missing = (col.isna() | text.str.lower().isin(MISSING_TOKENS)).to_numpy()
        bad = numpy.isnan(values) & ~missing
        values[missing] = numpy.nan
    # beyond float32 (the models' dtype) is as unusable as infinity
    with numpy.errstate(invalid='ignore'):
        bad |= ~(numpy.abs(values) <= FLOAT32_MAX) & ~numpy.isnan(values)
    if not allow_missing:
        bad |= missing
    if bad.any():
        i = int(numpy.argmax(bad))
        line = int(chunk.lines[i])
        if missing[i]:
            if fill_hint and what == 'feature':
                fix = 'fill the file or set {} (zero, ffill or mean)'.format(Setting('fill'))
            elif what == 'feature':
                fix = 'the model was trained without a fill rule, so fill the file'
            else:
                fix = 'every row needs one'
            raise DataError('missing value in {} column {} (empty or NaN cell); {}'.format(
                what, name, fix), path=path, line=line, column=position)
        cell = col.iloc[i]
        reason = 'is not a number' if numpy.isnan(values[i]) else \
            'is not a finite number' if numpy.isinf(values[i]) else \
            'is beyond the float32 range the model computes in (|x| <= {:.4g})'.format(
                FLOAT32_MAX)
        raise DataError('{} cell {!r} in column {} {}'.format(what, str(cell), name, reason),
                        path=path, line=line, column=position)
    return values


def text_column(chunk, key, position, name, path, what='label'):
    """Column ``key`` as an array of stripped strings; empty cells are errors.

    Labels are compared as values, not spellings: a label that reads as a
    number is written in one canonical way (``1``, ``1.0`` and ``01`` are all
    ``'1'``; ``0.5`` is ``'0.5'``), and a missing-value token (``NA``,
    ``NaN``, ``null``, ``?``...) is a missing label, not a class.
    """
    col = chunk.frame[key]
    text = col.astype(str).str.strip()
    empty = (col.isna() | (text == '')).to_numpy().copy()
    if what == 'label':
        empty |= text.str.lower().isin(MISSING_TOKENS).to_numpy()
    if empty.any():
        i = int(numpy.argmax(empty))
        raise DataError('missing {} ({} cell in column {})'.format(
            what, 'empty' if not str(text.iloc[i]) else repr(str(text.iloc[i])), name),
            path=path, line=int(chunk.lines[i]), column=position)
    values = text.to_numpy(dtype=object)
    if col.dtype.kind == 'f':  # a float column read as numbers: 1.0 -> '1'
        values = numpy.array([_number_text(v) for v in col.to_numpy()], dtype=object)
    elif what == 'label':          # one canonical text per distinct label, shared
        canonical = {v: canonical_label(v) for v in set(values.tolist())}
        values = numpy.array([canonical[v] for v in values.tolist()], dtype=object)
    return values


# A number as a person writes it in a CSV cell: no underscores, no spaces,
# no hexadecimal, no 'inf'/'nan' (which float() and Decimal() also take).
_NUMBER = re.compile(r'^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$')
_INTEGER = re.compile(r'^[+-]?\d+$')


def canonical_label(text):
    """One spelling per label value: numbers in canonical form, text as is.

    Compared exactly: an integer keeps all its digits (never through a
    float), ``1``, ``01``, ``1.0`` and ``1e0`` are one value, and only plain
    decimal numbers count as numbers (``1_0`` and ``0x10`` stay text).
    """
    text = str(text)
    if _INTEGER.match(text):
        return str(int(text))
    if not _NUMBER.match(text):
        return text
    import decimal
    d = decimal.Decimal(text)
    if abs(d.adjusted()) > 100:       # an exponent far out: keep the spelling
        return text
    if d == d.to_integral_value():
        return str(int(d))
    f = float(d)
    if decimal.Decimal(repr(f)) == d:
        return repr(f)                # 0.5 -> '0.5' as before
    return str(d.normalize())


def is_integer_label(text):
    """Whether a canonical label is an integer (``'-3'``, ``'12'``)."""
    return bool(_INTEGER.match(text))


def open_text(path):
    """``path`` as text for the :mod:`csv` module, decompressed as pandas
    would by the extension (``.gz``, ``.bz2``, ``.xz``, ``.zip``)."""
    if isinstance(path, Source):
        import io
        return io.StringIO(path.text, newline='')
    lower = str(path).lower()
    kw = dict(newline='', encoding='utf-8-sig', errors='replace')
    if lower.endswith('.gz'):
        import gzip
        return gzip.open(path, 'rt', **kw)
    if lower.endswith('.bz2'):
        import bz2
        return bz2.open(path, 'rt', **kw)
    if lower.endswith('.xz'):
        import lzma
        return lzma.open(path, 'rt', **kw)
    if lower.endswith('.zip'):
        import io
        import zipfile
        archive = zipfile.ZipFile(path)
        return io.TextIOWrapper(archive.open(archive.namelist()[0]), **kw)
    return open(path, **kw)


def _number_text(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))
