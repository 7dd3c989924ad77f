"""Labels to class numbers, missing values, standardisation, window
averaging, the split.

Everything is fitted on the training split only and saved in the model
config as plain JSON (lists of strings and floats, the window an integer),
so prediction applies exactly what training applied.
"""
import numpy

from chainer_irnn.errors import DataError, ParameterError, Setting

#: The default of ``max_steps`` (:func:`~chainer_irnn.read_csv`, ``--max-steps``,
#: ``IRNNClassifier``): sequences longer than this are averaged over windows
#: down to at most this many steps (None: never).  Measured on the corpus of
#: docs/csv.md: it lifted the long sets (PickupGestureWiimoteZ, ACSF1) and
#: cut their training time; series of up to 256 steps are read as they are.
DEFAULT_MAX_STEPS = 256


def _label_key(text):
    from chainer_irnn.datasets.tabular.reading import is_integer_label
    if is_integer_label(text):
        return (0, int(text), '')
    return (1, 0, text)


def label_values(texts, all_texts=None):
    """Labels as values: integers (int64, or Python ints beyond int64) when
    every label of ``all_texts`` (default ``texts``) is an integer, else
    the texts (an object array)."""
    from chainer_irnn.datasets.tabular.reading import is_integer_label
    texts = list(texts)
    pool = texts if all_texts is None else list(all_texts)
    if pool and all(is_integer_label(str(t)) for t in pool):
        values = [int(t) for t in texts]
        if all(-2 ** 63 <= v < 2 ** 63 for v in values):
            return numpy.asarray(values, dtype=numpy.int64)
        return numpy.asarray(values, dtype=object)
    return numpy.asarray(texts, dtype=object)


def class_order(labels):
    """Distinct labels, integers in numeric order first, then texts sorted."""
    return sorted(set(labels), key=_label_key)


def _blocks(sequences, rows=1 << 16):
    """The steps of all sequences, ``rows`` at a time (never all at once)."""
    part, n = [], 0
    for s in sequences:
        part.append(s.x)
        n += len(s.x)
        if n >= rows:
            yield numpy.concatenate(part)
            part, n = [], 0
    if part:
        yield numpy.concatenate(part)


def _feature_stats(sequences):
    """Per-feature mean and standard deviation over all steps, NaN left out
    (two passes over blocks of steps: the memory of one block, not of all
    the data; the std is 1 where it is 0 or not finite)."""
    sequences = list(sequences)
    F = sequences[0].x.shape[1]
    count, total = numpy.zeros(F), numpy.zeros(F)
    with numpy.errstate(all='ignore'):
        for block in _blocks(sequences):
            ok = ~numpy.isnan(block)
            count += ok.sum(axis=0)
            total += numpy.where(ok, block, 0.0).sum(axis=0)
        mean = numpy.where(count > 0, total / numpy.maximum(count, 1), 0.0)
        mean[~numpy.isfinite(mean)] = 0.0
        squares = numpy.zeros(F)
        for block in _blocks(sequences):
            d = block - mean
            squares += numpy.where(numpy.isnan(d), 0.0, d * d).sum(axis=0)
        sd = numpy.sqrt(squares / numpy.maximum(count, 1))
    std = numpy.where(numpy.isfinite(sd) & (sd > 1e-12) & (count > 0), sd, 1.0)
    return mean, std


def check_max_steps(value, param='max_steps'):
    """``value`` as an int (None stays None); else a :class:`ParameterError`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ParameterError(param, 'must be a positive integer (or None: no averaging), '
                                    'not {!r}'.format(value))
    return int(value)


def window_size(lengths, max_steps):
    """``k = ceil(longest / max_steps)``: the window that brings the longest
    of ``lengths`` to at most ``max_steps`` steps; 1 when ``max_steps`` is
    None or the longest fits."""
    longest = max(lengths, default=0)
    if max_steps is None or longest <= max_steps:
        return 1
    return -(-longest // max_steps)


#: without max_steps, training on sequences longer than this suggests it
LONG_SEQUENCES = 1000


def window_note(k, longest, max_steps):
    """The training log's line on the window averaging (None: nothing to say)."""
    if max_steps is None:
        if longest <= LONG_SEQUENCES:
            return None
        return 'the longest training sequence has {} steps: long for a recurrent net; ' \
               'averaging over windows ({}, e.g. 200) may train better (docs/csv.md, ' \
               '"The corpus")'.format(longest, Setting('max_steps'))
    if k == 1:
        if max_steps == DEFAULT_MAX_STEPS:
            return None             # the default, with nothing to do: nothing to say
        return 'sequences not averaged (the longest training sequence has {} steps; {})'.format(
            longest, Setting('max_steps', max_steps))
    return 'sequences averaged over windows of {} steps (the longest training sequence has ' \
           '{} steps; {})'.format(k, longest, Setting('max_steps', max_steps))


def window_means(x, k):
    """``(T, ...)`` -> ``(ceil(T / k), ...)``: the means over consecutive
    windows of ``k`` steps (piecewise aggregate approximation); the last
    window averages the steps it has."""
    x = numpy.asarray(x)
    if k == 1:
        return x
    T = len(x)
    if T == 0:
        return x.astype(numpy.float64)
    starts = numpy.arange(0, T, k)          # no padding: memory of x, whatever k
    sums = numpy.add.reduceat(x.astype(numpy.float64), starts, axis=0)
    counts = numpy.minimum(k, T - starts).astype(numpy.float64)
    return sums / counts.reshape((len(starts),) + (1,) * (x.ndim - 1))


class _Steps(object):
    """A sequence's steps alone (what :func:`_feature_stats` reads)."""

    def __init__(self, x):
        self.x = x


class Preprocessor(object):
    """Label mapping, fill and standardisation of the features of each step.

    Args:
        classes (list of str): label texts; class ``i`` is ``classes[i]``.
        mean, std (list of float): per feature (of a step), from training.
        fill (str or None): ``None`` (missing cells are errors), ``'zero'``,
            ``'ffill'`` (previous step's value; the training mean before the
            first value) or ``'mean'`` (the training mean).
        standardize (bool): subtract ``mean`` and divide by ``std``.
        window_mean (int): then average each sequence over consecutive
            windows of this many steps (:func:`window_means`); 1 = off.
    """

    def __init__(self, classes, mean, std, fill=None, standardize=True, window_mean=1):
        self.classes = [str(c) for c in classes]
        self.index = {c: i for i, c in enumerate(self.classes)}
        self.mean = numpy.asarray(mean, dtype=numpy.float64)
        self.std = numpy.asarray(std, dtype=numpy.float64)
        self.fill, self.standardize = fill, standardize
        self.window_mean = int(window_mean)

    @classmethod
    def fit(cls, sequences, fill=None, standardize=True, path=None, label_column=None):
        """Fits on training sequences; one class only is a :class:`DataError`."""
        classes = class_order(s.label for s in sequences)
        if len(classes) < 2:
            raise DataError('only one class ({!r}) among the {} training sequences; a '
                            'classifier needs two or more'.format(
                                classes[0] if classes else None, len(sequences)),
                            path=path, column=label_column)
        mean, std = _feature_stats(sequences)
        return cls(classes, mean.tolist(), std.tolist(), fill, standardize)

    def to_json(self):
        """The model.json ``tabular`` entries (``window_mean`` only when > 1,
        so that files without averaging are as before)."""
        d = {'classes': list(self.classes), 'mean': [float(v) for v in self.mean],
             'std': [float(v) for v in self.std], 'fill': self.fill,
             'standardize': bool(self.standardize)}
        if self.window_mean > 1:
            d['window_mean'] = self.window_mean
        return d

    @classmethod
    def from_json(cls, d):
        return cls(d['classes'], d['mean'], d['std'], d.get('fill'), d.get('standardize', True),
                   d.get('window_mean', 1))

    def encode(self, sequences, path=None, label_column=None):
        """Class numbers (int32); a label unseen in training is a :class:`DataError`."""
        out = numpy.empty(len(sequences), dtype=numpy.int32)
        for i, s in enumerate(sequences):
            c = self.index.get(s.label)
            if c is None:
                raise DataError('label {!r} never occurs in the training data (classes: {})'.format(
                    s.label, ', '.join(self.classes[:20])), path=path, line=s.line,
                    column=label_column)
            out[i] = c
        return out

    def fit_window(self, sequences, k):
        """Sets ``window_mean`` to ``k``; for ``k > 1`` the mean and std are
        refitted on the training ``sequences`` as the model reads them,
        filled and averaged over windows of ``k`` steps: averaging shrinks the
        spread of noisy series (ACSF1's standardised steps to a std of 0.17),
        and the steps the model reads should be standardised, as they were in
        the measurements (docs/csv.md).  (The refit fills with the raw mean;
        the mean it stores, the fill from then on, differs by a little.)"""
        self.window_mean = int(k)
        if self.window_mean > 1:
            self.mean, self.std = _feature_stats(
                [_Steps(window_means(self._filled(s.x), self.window_mean)) for s in sequences])
        return self

    def _filled(self, x):
        """``(T, F)`` raw values -> float64, missing cells filled."""
        x = numpy.array(x, dtype=numpy.float64)
        missing = numpy.isnan(x)
        if missing.any():
            if self.fill == 'zero':
                x[missing] = 0.0
            elif self.fill == 'ffill':
                for j in numpy.flatnonzero(missing.any(axis=0)):
                    col = x[:, j]
                    idx = numpy.where(~numpy.isnan(col), numpy.arange(len(col)), 0)
                    numpy.maximum.accumulate(idx, out=idx)
                    filled = col[idx]
                    filled[numpy.isnan(filled)] = self.mean[j]
                    x[:, j] = filled
            else:  # 'mean' (a None fill never gets here: reading rejects missing cells)
                x[missing] = numpy.broadcast_to(self.mean, x.shape)[missing]
        return x

    def transform(self, x):
        """``(T, F)`` raw values -> float32, filled, standardised and averaged
        over windows of ``window_mean`` steps (``(ceil(T / k), F)``)."""
        x = self._filled(x)
        if self.standardize:
            x = (x - self.mean) / self.std
        if self.window_mean > 1:
            x = window_means(x, self.window_mean)
        return x.astype(numpy.float32)


def stratified_split(labels, fraction, seed):
    """``(train_idx, val_idx)``: ``fraction`` of each class, seeded.

    Each class keeps at least one training example; indices come back sorted.
    """
    train, val = [], []
    for idx in _shuffled_classes(labels, seed):
        n_val = min(int(round(fraction * len(idx))), len(idx) - 1)
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return numpy.sort(numpy.concatenate(train)), numpy.sort(numpy.concatenate(val))


def stratified_folds(labels, k, seed):
    """``k`` disjoint folds of the indices of ``labels`` (a list of sorted
    index arrays) that cover them all, each holding its share of every
    class, seeded as :func:`stratified_split` is.

    Each class, shuffled, is dealt out to the folds in turn, the next class
    starting where the last one stopped: fold sizes differ by one at most,
    and so do a class's counts in any two folds.
    """
    folds, start = [[] for _ in range(k)], 0
    for idx in _shuffled_classes(labels, seed):
        for j, i in enumerate(idx):
            folds[(start + j) % k].append(i)
        start += len(idx)
    return [numpy.sort(numpy.asarray(f, dtype=numpy.intp)) for f in folds]


def _shuffled_classes(labels, seed):
    """The indices of each class of ``labels`` (in sorted class order),
    each shuffled by one ``RandomState(seed)``."""
    labels = numpy.asarray(labels)
    rng = numpy.random.RandomState(seed)
    for c in numpy.unique(labels):
        idx = numpy.flatnonzero(labels == c)
        rng.shuffle(idx)
        yield idx


def chronological_split(n_windows, fraction, window, stride):
    """``(train_idx, val_idx, dropped)`` for windows of one series.

    The last ``fraction`` of the windows validate; training windows that
    overlap the first validation window are dropped so no row is in both.
    """
    n_val = int(round(fraction * n_windows))
    if n_val == 0:
        return numpy.arange(n_windows), numpy.arange(0), 0
    v0 = n_windows - n_val
    first_val_row = v0 * stride
    # window i covers rows [i*stride, i*stride + window)
    n_train = max(0, -(-(first_val_row - window + 1) // stride))
    n_train = min(n_train, v0)
    return numpy.arange(n_train), numpy.arange(v0, n_windows), v0 - n_train
