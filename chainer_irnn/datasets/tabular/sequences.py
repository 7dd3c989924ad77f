"""Turning rows into sequences, layout by layout, chunk by chunk.

Rows are read in chunks; an assembler per layout turns each chunk's rows
into :class:`Sequence` objects, carrying over what a chunk boundary cuts:
the rows of a long-layout sequence that continues in the next chunk, the
rows of a series that the next window still needs.
"""
import numpy

from chainer_irnn.datasets.tabular import reading
from chainer_irnn.errors import DataError, Setting


class Sequence(object):
    """One example: ``x`` ``(T, F)`` float64 (NaN where a cell was missing).

    ``label`` is the label text (None when the file has none), ``id`` the
    sequence id written by prediction, ``line`` the file line of its label.
    """
    __slots__ = ('x', 'label', 'id', 'line')

    def __init__(self, x, label, id, line):
        self.x, self.label, self.id, self.line = x, label, id, line


class Block(object):
    """Converted rows: ``X`` ``(n, F)`` float64 and per-row arrays."""

    def __init__(self, lines, X, labels=None, ids=None, times=None):
        self.lines, self.X, self.labels, self.ids, self.times = lines, X, labels, ids, times

    def __len__(self):
        return len(self.lines)

    def slice(self, a, b):
        cut = lambda v: None if v is None else v[a:b]  # NOQA
        return Block(self.lines[a:b], self.X[a:b], cut(self.labels), cut(self.ids),
                     cut(self.times))

    @staticmethod
    def concat(a, b):
        if a is None or len(a) == 0:
            return b
        join = lambda u, v: None if u is None else numpy.concatenate([u, v])  # NOQA
        return Block(join(a.lines, b.lines), numpy.concatenate([a.X, b.X]),
                     join(a.labels, b.labels), join(a.ids, b.ids), join(a.times, b.times))


def to_block(chunk, roles, path, allow_missing, fill_hint=True):
    """Converts a :class:`~reading.Chunk` to a :class:`Block`, checking cells.

    ``fill_hint``: a missing cell's message suggests the ``fill`` setting
    (training), else filling the file (a trained model's fill is fixed)."""
    n = len(chunk.lines)
    X = numpy.empty((n, len(roles.features)), dtype=numpy.float64)
    frame = chunk.frame
    # columns pandas read as numbers: converted and checked as one block
    # (a file may have 100,000 columns); the rest, and any column with a bad
    # cell, one by one, so that the message names the first bad cell
    numeric = []
    if len(roles.features) > 64:
        kinds = dict(zip(frame.columns, (dt.kind for dt in frame.dtypes)))
        numeric = [j for j, key in enumerate(roles.features) if kinds[key] in 'biuf']
    if numeric:
        if n * len(frame.columns) <= 5000000:
            # few rows of many columns: pandas' per-column work dominates;
            # one object array of the whole chunk, then the numeric columns
            pos = [roles.position(roles.features[j]) - 1 for j in numeric]
            block = frame.to_numpy()[:, pos].astype(numpy.float64)
        else:
            block = frame[[roles.features[j] for j in numeric]].to_numpy(dtype=numpy.float64)
        with numpy.errstate(invalid='ignore'):
            bad = ~(numpy.abs(block) <= reading.FLOAT32_MAX)
        if allow_missing:
            bad &= ~numpy.isnan(block)
        X[:, numeric] = block
        suspect = set(numpy.asarray(numeric)[bad.any(axis=0)].tolist())
        done = set(numeric) - suspect
    else:
        done = ()
    for j, key in enumerate(roles.features):
        if j in done:
            continue
        X[:, j] = reading.numeric_column(chunk, key, roles.position(key), roles.name(key),
                                         path, allow_missing=allow_missing,
                                         fill_hint=fill_hint)
    get = lambda key, what: None if key is None else reading.text_column(  # NOQA
        chunk, key, roles.position(key), roles.name(key), path, what=what)
    times = None
    if roles.time is not None:
        times = reading.numeric_column(chunk, roles.time, roles.position(roles.time),
                                       roles.name(roles.time), path, what='time')
    return Block(chunk.lines, X, get(roles.label, 'label'), get(roles.id, 'sequence id'), times)


class WideAssembler(object):
    """One row, one sequence of ``len(features) / k`` steps of ``k`` features."""

    def __init__(self, path, roles, features_per_step):
        self.k = features_per_step

    def feed(self, block):
        n, F = block.X.shape
        xs = block.X.reshape(n, F // self.k, self.k)
        ids = block.ids if block.ids is not None else [str(int(v)) for v in block.lines]
        labels = block.labels if block.labels is not None else [None] * n
        return [Sequence(xs[i], labels[i], ids[i], int(block.lines[i])) for i in range(n)]

    def finish(self):
        return []


class LongAssembler(object):
    """Contiguous runs of one sequence id; the last run waits for the next chunk."""

    def __init__(self, path, roles, features_per_step=1):
        self.path, self.roles = path, roles
        self.pending = None
        self.seen = {}

    def feed(self, block):
        block = Block.concat(self.pending, block)
        n = len(block)
        if n == 0:
            return []
        change = numpy.flatnonzero(block.ids[1:] != block.ids[:-1]) + 1
        bounds = [0] + [int(c) for c in change] + [n]
        out = [self._sequence(block, a, b) for a, b in zip(bounds[:-2], bounds[1:-1])]
        self.pending = block.slice(bounds[-2], n)
        return out

    def finish(self):
        if self.pending is None or len(self.pending) == 0:
            return []
        out = [self._sequence(self.pending, 0, len(self.pending))]
        self.pending = None
        return out

    def _sequence(self, block, a, b):
        roles, lines = self.roles, block.lines
        sid = block.ids[a]
        if sid in self.seen:
            first, last = self.seen[sid]
            raise DataError('sequence id {!r} appears again; its rows were lines {}-{} and a '
                            "sequence's rows must be contiguous (sort the file by id, keeping "
                            'the order of the steps)'.format(sid, first, last),
                            path=self.path, line=int(lines[a]),
                            column=roles.position(roles.id))
        self.seen[sid] = (int(lines[a]), int(lines[b - 1]))
        label = None
        if block.labels is not None:
            labels = block.labels[a:b]
            changed = numpy.flatnonzero(labels != labels[0])
            if len(changed):
                i = a + int(changed[0])
                raise DataError('the label changes within sequence {!r}: {!r} from line {}, '
                                'then {!r}; a sequence has one label'.format(
                                    sid, labels[0], int(lines[a]), block.labels[i]),
                                path=self.path, line=int(lines[i]),
                                column=roles.position(roles.label))
            label = labels[0]
        x = block.X[a:b]
        if block.times is not None:
            order = numpy.argsort(block.times[a:b], kind='stable')
            t = block.times[a:b][order]
            dup = numpy.flatnonzero(t[1:] == t[:-1])
            if len(dup):
                i = a + int(order[dup[0] + 1])
                raise DataError('time {} occurs twice in sequence {!r}'.format(
                    reading._number_text(block.times[i]), sid), path=self.path,
                    line=int(lines[i]), column=roles.position(roles.time))
            x = x[order]
        return Sequence(x, label, sid, int(lines[a]))


class SeriesAssembler(object):
    """Windows of ``window`` rows every ``stride`` rows over one long series."""

    def __init__(self, path, roles, window, stride):
        self.path, self.window, self.stride = path, window, stride
        self.buffer = None
        self.offset = 0       # series row index of buffer[0]
        self.next_start = 0   # series row index where the next window starts
        self.rows = 0

    def feed(self, block):
        self.rows += len(block)
        buf = self.buffer = Block.concat(self.buffer, block)
        out = []
        while self.next_start + self.window <= self.offset + len(buf):
            s = self.next_start - self.offset
            e = s + self.window
            label = None if buf.labels is None else buf.labels[e - 1]
            line = int(buf.lines[e - 1])
            out.append(Sequence(buf.X[s:e], label, str(line), line))
            self.next_start += self.stride
        cut = min(self.next_start - self.offset, len(buf))
        if cut:
            self.buffer = buf.slice(cut, len(buf))
            self.offset += cut
        return out

    def finish(self):
        if self.rows < self.window:
            raise DataError('the series has {} rows, fewer than one window ({})'.format(
                self.rows, Setting('window', self.window)), path=self.path)
        return []

    @property
    def leftover(self):
        """Rows at the end that no window covers."""
        last_end = (self.next_start - self.stride) + self.window
        return max(0, self.rows - last_end)
