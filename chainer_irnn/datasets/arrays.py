"""``X`` and ``y`` as :class:`~chainer_irnn.IRNNClassifier` takes them:
arrays, lists of sequences and pandas frames read into a list of
sequences (:func:`_sequences`), labels checked (:func:`_check_labels`) and
the class names of a saved model read back as labels of their type
(:func:`_label_type`, :func:`_labels`).

Importing it loads NumPy only (scikit-learn and pandas when called).
"""
import numpy

from chainer_irnn.errors import ParameterError, UserError


AXIS_ORDERS = ('ntf', 'nct')
_LONG_NAMES = ('id', 'sequence_id', 'seq', 'seq_id', 'sequence', 'series_id', 'instance',
               'case_id', 'time', 'timestamp', 'timepoints', 'step', 'time_step')


def _from_frame(X):
    """A pandas DataFrame as ``X``: an sktime/aeon nested frame (a row per
    sequence, a cell per channel holding the series) becomes a list of
    ``(T, channels)`` arrays; a long-format frame (a row per step) is
    refused, since its steps would be read as sequences; any other frame is
    a 2-D table ``(n, T)``, returned as is."""
    import pandas as pd
    index_names = [n for n in X.index.names if n is not None]
    if X.shape[0] and X.shape[1] and any(
            isinstance(v, (pd.Series, numpy.ndarray, list)) for v in X.iloc[0]):
        seqs = []
        for i, row in enumerate(X.itertuples(index=False)):
            try:
                channels = [numpy.asarray(v, dtype=numpy.float64).ravel() for v in row]
            except (TypeError, ValueError):
                raise ParameterError('X', 'row {} of the nested DataFrame holds a cell that is '
                                     'not a series of numbers'.format(i))
            lengths = {len(c) for c in channels}
            if len(lengths) != 1:
                raise ParameterError('X', 'row {} of the nested DataFrame has channels of '
                                     'different lengths {}'.format(i, sorted(lengths)))
            seqs.append(numpy.stack(channels, axis=1))
        return seqs
    named = [c for c in list(X.columns) + index_names
             if str(c).strip().lower() in _LONG_NAMES]
    if named or isinstance(X.index, pd.MultiIndex):
        what = 'column {!r}'.format(named[0]) if named else 'a MultiIndex'
        raise ParameterError('X', 'this DataFrame looks like a long-format table (a row per '
                             'step; {}), which would be read as one sequence per row; pass '
                             'a list of (T, F) arrays, an sktime nested DataFrame, or read '
                             "it with read_csv(frame, layout='long')".format(what))
    return X


def _sequences(X, input, fitted_width=None, axis_order=None):
    """``(list of arrays, width)`` from the accepted forms of ``X``.

    ``width`` is the number of columns of a 2-D array input (scikit-learn's
    ``n_features_in_``), else None.  Every value must be finite (float32)
    or, for ``input='embed'``, a non-negative integer.  ``axis_order``
    ``'nct'`` reads 3-D arrays and 2-D sequences as aeon/sktime lay them
    out, ``(n, channels, T)`` / ``(channels, T)``.
    """
    from sklearn.utils.validation import check_array
    if axis_order not in (None,) + AXIS_ORDERS:
        raise ParameterError('axis_order', "must be 'ntf' ((n, T, F), the default) or 'nct' "
                             "(aeon/sktime's (n, channels, T)), not {!r}".format(axis_order))
    if hasattr(X, 'X') and hasattr(X, 'classes'):   # a SequenceDataset
        X = X.X
    if type(X).__name__ == 'DataFrame' and hasattr(X, 'iloc'):
        X = _from_frame(X)
    width = None
    if isinstance(X, (list, tuple)) and axis_order == 'nct':
        X = [numpy.asarray(x).T if numpy.ndim(x) == 2 else x for x in X]
    if isinstance(X, (list, tuple)):
        for i, x in enumerate(X):
            if not numpy.isscalar(x) and numpy.ndim(x) >= 1 and len(x) == 0:
                raise ParameterError('X', 'X[{}] is an empty sequence (0 steps); every '
                                     'sequence needs at least one step'.format(i))
    if isinstance(X, (list, tuple)) and X and not numpy.isscalar(X[0]) and \
            len({numpy.shape(x) for x in X}) > 1:
        seqs = []
        for i, x in enumerate(X):
            a = check_array(numpy.asarray(x).reshape(len(x), -1),
                            dtype=None if input == 'embed' else numpy.float64,
                            ensure_min_samples=1, input_name='X[{}]'.format(i))
            seqs.append(a)
    else:
        arr = check_array(X, dtype=None if input == 'embed' else numpy.float64,
                          allow_nd=True, ensure_min_samples=1, input_name='X')
        if arr.ndim == 2:
            width = arr.shape[1]
            if fitted_width is not None and width != fitted_width:
                raise ValueError('X has {} features, but {} is expecting {} features as '
                                 'input'.format(width, 'IRNNClassifier', fitted_width))
            arr = arr[:, :, None]
        elif arr.ndim != 3:
            raise ValueError('X must be (n, T), (n, T, F) or a list of (T, F) sequences; '
                             'got shape {}'.format(arr.shape))
        elif axis_order == 'nct' and not isinstance(X, (list, tuple)):
            arr = arr.transpose(0, 2, 1)
        elif axis_order is None and arr.shape[2] > arr.shape[1]:
            import warnings
            warnings.warn('X of shape {} is read as {} steps of {} features (n, T, F); if it '
                          "is aeon/sktime's (n, channels, T), set axis_order='nct' (and "
                          "axis_order='ntf' to silence this)".format(
                              arr.shape, arr.shape[1], arr.shape[2]), UserWarning, stacklevel=3)
        seqs = list(arr)
    out = []
    for i, x in enumerate(seqs):
        if input == 'embed':
            if x.dtype.kind not in 'iu' and not numpy.array_equal(x, numpy.rint(x)):
                raise ValueError("input='embed' takes integer tokens; sequence {} holds "
                                 "other values".format(i))
            x = x.astype(numpy.int64)
            if x.shape[1] != 1:
                raise ValueError("input='embed' takes one token per step; sequence {} has "
                                 "{} per step".format(i, x.shape[1]))
            out.append(x[:, 0])
        else:
            if (numpy.abs(x) > numpy.finfo(numpy.float32).max).any():
                raise ValueError('Input X contains values too large for float32 (sequence '
                                 '{})'.format(i))
            out.append(x)
    return out, width


def _check_labels(y, name):
    """A clear error for a missing label (None or NaN) in ``y``."""
    if y.dtype.kind == 'O':
        for i, v in enumerate(y):
            if v is None or (isinstance(v, float) and v != v):
                raise ParameterError(name, '{}[{}] is {!r}; every sequence needs a label'.format(
                    name, i, v))


def _label_type(classes):
    """How :func:`_labels` turns the saved class names back into ``classes``
    (a JSON-safe dict: the numpy dtype and the Python kind of the values)."""
    import numbers
    values = list(classes)
    if all(isinstance(v, (bool, numpy.bool_)) for v in values):
        kind = 'bool'
    elif all(isinstance(v, numbers.Integral) for v in values):
        kind = 'int'
    elif all(isinstance(v, numbers.Real) for v in values):
        kind = 'float'
    elif all(isinstance(v, str) for v in values):
        kind = 'str'
    else:
        kind = None
    return {'kind': kind, 'dtype': numpy.asarray(classes).dtype.str}


def _labels(names, label_type=None):
    """The saved class names back as labels of their type (``label_type``,
    written by :func:`_label_type` at fit); without it (a model trained by
    the CLI) as integers where they all read as integers, else texts."""
    kind = (label_type or {}).get('kind')
    if kind is not None:
        convert = {'bool': lambda n: n == 'True', 'int': int, 'float': float, 'str': str}[kind]
        try:
            values = [convert(n) for n in names]
            dtype = numpy.dtype(label_type['dtype'])
        except (ValueError, TypeError, KeyError):
            raise UserError('the model description holds class names {} that are not of its '
                            'label type {!r}'.format(list(names)[:5], kind))
        if dtype.kind == 'O':
            out = numpy.empty(len(values), dtype=object)
            out[:] = values
            return out
        return numpy.asarray(values, dtype=dtype)
    try:
        ints = [int(n) for n in names]
        if [str(i) for i in ints] == list(names):
            return numpy.asarray(ints)
    except ValueError:
        pass
    return numpy.asarray(names, dtype=object)
