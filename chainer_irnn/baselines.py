"""Yardsticks beside a model: majority class, 1-NN Euclidean, 1-NN DTW and
MiniRocket, fitted on the training sequences and scored on the same
validation split (and test data) as the IRNN.

::

    from chainer_irnn import read_csv
    from chainer_irnn.baselines import baselines

    data = read_csv('train.csv', test='test.csv')        # the split train uses
    for row in baselines(data.train, data.val, data.test):
        print(row['method'], row.get('validation'), row.get('test'))

Each method is fitted on ``train`` only; ``val`` and ``test`` choose nothing
(there is nothing to choose: no method has a setting searched here).

* **majority** — the most frequent training class;
* **1-NN Euclidean** — the nearest training sequence by Euclidean distance
  over all steps and features; sequences of different lengths are padded
  with their last step to the longest length;
* **1-NN DTW** — full-window dynamic time warping with squared point
  distances summed over features (dependent DTW, as the UCR/UEA archives'
  baseline), lengths as they are; needs numba (the ``fast`` extra);
* **MiniRocket** — aeon's ``MiniRocketClassifier`` (``random_state=seed``),
  padded as for Euclidean; needs aeon (the ``baseline`` extra).

The sequences are used as given (``read_csv`` standardises each feature
with the training split's statistics, as the IRNN sees them).  A method
that cannot run here gives a row with ``note`` saying why.
"""
import time

import numpy

METHODS = ('majority', '1nn-euclidean', '1nn-dtw', 'minirocket')
NAMES = {'majority': 'majority class', '1nn-euclidean': '1-NN Euclidean',
         '1nn-dtw': '1-NN DTW', 'minirocket': 'MiniRocket'}


def _unpack(data):
    """``(list of (T, F) float64 arrays, int codes)`` of a dataset of
    ``(x, class index)``."""
    xs, ys = [], []
    for i in range(len(data)):
        x, y = data[i]
        x = numpy.asarray(x, dtype=numpy.float64)
        xs.append(numpy.ascontiguousarray(x.reshape(len(x), -1)))
        ys.append(int(y))
    return xs, numpy.asarray(ys)


def _padded(xs, length):
    """``(n, length, F)``: each sequence padded with its last step (or cut)."""
    out = numpy.empty((len(xs), length, xs[0].shape[1]))
    for i, x in enumerate(xs):
        n = min(len(x), length)
        out[i, :n] = x[:n]
        out[i, n:] = x[n - 1]
    return out


def _majority(train_x, train_y, xs):
    return numpy.full(len(xs), numpy.bincount(train_y).argmax())


def _euclidean(train_x, train_y, xs):
    length = max(len(x) for x in list(train_x) + list(xs))
    a = _padded(train_x, length).reshape(len(train_x), -1)
    b = _padded(xs, length).reshape(len(xs), -1)
    d = (b ** 2).sum(1)[:, None] - 2 * b @ a.T + (a ** 2).sum(1)[None, :]
    return train_y[d.argmin(axis=1)]


_DTW = []


def _dtw_kernel():
    if _DTW:
        return _DTW[0]
    try:
        import numba
    except ImportError:
        raise RuntimeError('needs numba (pip install "chainer-irnn[fast]")')

    @numba.njit(cache=False)
    def dtw(a, b, best):
        """DTW distance of ``a`` (n, k) and ``b`` (m, k); inf once above ``best``."""
        n, m = a.shape[0], b.shape[0]
        prev = numpy.full(m + 1, numpy.inf)
        cur = numpy.full(m + 1, numpy.inf)
        prev[0] = 0.0
        for i in range(1, n + 1):
            cur[0] = numpy.inf
            row_min = numpy.inf
            for j in range(1, m + 1):
                d = 0.0
                for c in range(a.shape[1]):
                    diff = a[i - 1, c] - b[j - 1, c]
                    d += diff * diff
                step = min(prev[j], prev[j - 1], cur[j - 1])
                cur[j] = d + step
                if cur[j] < row_min:
                    row_min = cur[j]
            if row_min > best:        # every path through this row is worse already
                return numpy.inf
            prev, cur = cur, prev
        return prev[m]
    _DTW.append(dtw)
    return dtw


def _dtw(train_x, train_y, xs):
    dtw = _dtw_kernel()
    out = numpy.empty(len(xs), dtype=train_y.dtype)
    for i, x in enumerate(xs):
        best, label = numpy.inf, train_y[0]
        for xt, yt in zip(train_x, train_y):
            d = dtw(x, xt, best)
            if d < best:
                best, label = d, yt
        out[i] = label
    return out


class _MiniRocket(object):
    def __init__(self, seed):
        try:
            from aeon.classification.convolution_based import MiniRocketClassifier
        except ImportError as e:
            raise RuntimeError('needs aeon (pip install "chainer-irnn[baseline]"; aeon 1.6 '
                               'takes NumPy 2.0-2.4, numba < 0.64 and pandas < 3.1): '
                               '{}'.format(e))
        self.cls, self.seed = MiniRocketClassifier, seed

    def __call__(self, train_x, train_y, xs):
        length = max(9, max(len(x) for x in list(train_x) + list(xs)))
        clf = self.cls(random_state=self.seed)
        clf.fit(_padded(train_x, length).transpose(0, 2, 1), train_y)
        return numpy.asarray(clf.predict(_padded(xs, length).transpose(0, 2, 1)))


def baselines(train, val=None, test=None, *, methods=METHODS, seed=0):
    """The baselines' accuracies: a list of dicts, one per method, with
    ``method`` (its name), ``validation`` and ``test`` (accuracy on ``val``
    and ``test``, where given), ``n_validation``, ``n_test``, ``seconds``,
    and ``note`` when the method could not run here.

    ``train``, ``val``, ``test``: datasets of ``(x, class index)`` (what
    :func:`~chainer_irnn.read_csv` returns as ``train``, ``val``, ``test``).
    """
    from chainer_irnn.errors import ParameterError
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ParameterError('methods', 'unknown {} (choose from {})'.format(
            ', '.join(map(repr, unknown)), ', '.join(METHODS)))
    train_x, train_y = _unpack(train)
    parts = [(name, _unpack(part)) for name, part in (('validation', val), ('test', test))
             if part is not None and len(part)]
    rows = []
    for method in methods:
        row = {'method': NAMES[method]}
        for name, (xs, _) in parts:
            row['n_' + name] = len(xs)
        start = time.time()
        try:
            predict = {'majority': lambda: _majority, '1nn-euclidean': lambda: _euclidean,
                       '1nn-dtw': lambda: _dtw, 'minirocket': lambda: _MiniRocket(seed)}[method]()
            for name, (xs, ys) in parts:
                row[name] = float((predict(train_x, train_y, xs) == ys).mean())
        except RuntimeError as e:
            row['note'] = 'not run: {}'.format(e)
        row['seconds'] = time.time() - start
        rows.append(row)
    return rows


def table(rows, model_row=None):
    """The rows as a plain-text table (and a model's row beside them)."""
    rows = list(rows) + ([model_row] if model_row else [])
    cols = [c for c in ('validation', 'test') if any(c in r for r in rows)]
    head = ['method'] + ['{} ({})'.format(c, next(r['n_' + c] for r in rows if 'n_' + c in r))
                         for c in cols] + ['seconds']
    lines = [head]
    for r in rows:
        cells = [r['method']] + ['{:.4f}'.format(r[c]) if c in r else '-' for c in cols]
        cells.append('{:.1f}'.format(r['seconds']) if 'seconds' in r else '')
        if 'note' in r:
            cells.append(r['note'])
        lines.append(cells)
    width = [max(len(line[i]) for line in lines if i < len(line)) for i in range(len(head))]
    return '\n'.join('  '.join(c.ljust(w) for c, w in zip(line, width + [0] * 9)).rstrip()
                     for line in lines)


__all__ = ['baselines', 'table', 'METHODS']
