"""``load_model``: a saved model as a predictor for arrays and files.

::

    from chainer_irnn import load_model

    p = load_model('result/csv')              # model.npz + model.json
    p.classes                                 # class names
    p.predict_proba(X)                        # (n, n_class) probabilities
    p.predict(X)                              # class names
    p.predict_file('new.csv', 'pred.csv')     # chunk by chunk, any size
    p.evaluate(dataset)                       # loss and accuracy, exact counts
"""
import logging
import os

import numpy

from chainer_irnn.errors import DataError, ParameterError, UserError

logger = logging.getLogger(__name__)

#: predict_file computes at most about this many probabilities at a time
PROBA_CELLS = 4000000


class Batch(object):
    """Inputs of a chunk: ``xs`` list of arrays (ready for the model), their
    ``ids``, ``labels`` (texts, or None when the input has none)."""

    def __init__(self, ids, xs, labels=None):
        self.ids, self.xs, self.labels = ids, xs, labels


def load_images(path):
    """``(N, 28, 28)`` uint8 images from an IDX file (raw or .gz), a ``.npy``
    array of ``(N, 28, 28)`` or ``(N, 784)`` intensities 0..255, or one
    28x28 grayscale PNG."""
    from chainer_irnn.datasets import idx
    if not os.path.isfile(path):
        raise UserError('{}: no such file'.format(path))
    lower = path.lower()
    if lower.endswith('.png'):
        try:
            import matplotlib.image
            img = matplotlib.image.imread(path)
        except ImportError:
            raise UserError('{}: reading PNG needs matplotlib (pip install '
                            'chainer-irnn[plot])'.format(path))
        except Exception as e:
            raise DataError('not a readable PNG image ({})'.format(e), path=path)
        if img.ndim == 3:                      # RGB(A) -> gray
            img = img[..., :3].mean(axis=2)
        if img.shape != (28, 28):
            raise DataError('image is {}x{}; MNIST models read 28x28 grayscale'.format(
                *img.shape[:2]), path=path)
        scale = 255.0 if img.dtype.kind == 'f' else 1.0
        return numpy.rint(img * scale).clip(0, 255).astype(numpy.uint8)[None]
    if lower.endswith('.npy'):
        try:
            arr = numpy.load(path, allow_pickle=False)
        except Exception as e:
            raise DataError('not a readable .npy array ({})'.format(e), path=path)
        if arr.ndim == 2 and arr.shape[1] == 784:
            arr = arr.reshape(-1, 28, 28)
        if arr.ndim != 3 or arr.shape[1:] != (28, 28):
            raise DataError('array of shape {}; expected (N, 28, 28) or (N, 784)'.format(
                arr.shape), path=path)
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise DataError('intensities must lie in 0..255 (found {}..{})'.format(
                arr.min(), arr.max()), path=path)
        return arr.astype(numpy.uint8)
    return idx.read_idx(path, dtype=numpy.uint8, shape=(None, 28, 28))


def as_sequences(X, what='X'):
    """A list of per-sequence arrays from the forms the API accepts: an
    ``(n, T, F)`` or ``(n, T)`` array, or a list of ``(T_i, F)``/``(T_i,)``
    arrays."""
    if isinstance(X, numpy.ndarray):
        if X.ndim not in (2, 3):
            raise ParameterError(what, 'expected an (n, T, F) or (n, T) array or a list of '
                                 'sequences, got an array of shape {}'.format(X.shape))
        return list(X)
    try:
        seqs = [numpy.asarray(x) for x in X]
    except TypeError:
        raise ParameterError(what, 'expected an array or a list of sequences, not {}'.format(
            type(X).__name__))
    for i, x in enumerate(seqs):
        if x.ndim not in (1, 2) or len(x) == 0:
            raise ParameterError(what, 'sequence {} has shape {}; expected (T,) or (T, F) '
                                 'with T >= 1'.format(i, x.shape))
    return seqs


class Predictor(object):
    """A trained classifier with what is needed to feed it.

    Attributes:
        model: the ``chainer.links.Classifier``.
        description (dict): the contents of ``model.json``.
        classes (list of str): class names, in the order of the
            probability columns.
        device: the Chainer device the model lives on.
    """

    def __init__(self, model, description, device=None):
        from chainer_irnn.training.devices import get_device
        self.model = model
        self.description = description
        self.device = get_device(device)
        self.model.to_device(self.device)
        tab = description.get('tabular') or {}
        classes = tab.get('classes') or description.get('classes')
        self.classes = list(classes) if classes is not None else \
            [str(i) for i in range(description['n_class'])]
        self._prep = None
        if tab:
            from chainer_irnn.datasets.tabular import Preprocessor
            self._prep = Preprocessor.from_json(tab)

    # ------------------------------------------------------------- arrays

    def prepare(self, X):
        """Raw sequences as the model reads them: integer tokens for an
        ``embed`` model; float32 ``(T, F)`` for a ``linear`` one, filled and
        standardised as its training data was."""
        from chainer_irnn.datasets.tabular import SequenceDataset
        if isinstance(X, SequenceDataset):    # already read as training read it
            return X.X
        seqs = as_sequences(X)
        d = self.description
        out = []
        for i, x in enumerate(seqs):
            if d['input'] == 'embed':
                if x.ndim == 2 and x.shape[1] == 1:
                    x = x[:, 0]
                if x.ndim != 1 or x.dtype.kind not in 'iu' and not numpy.all(x == numpy.rint(x)):
                    raise ParameterError('X', 'sequence {}: an embed model reads (T,) integer '
                                         'tokens'.format(i))
                if x.size and (x.min() < 0 or x.max() >= d['in_size']):
                    raise ParameterError('X', 'sequence {}: tokens must lie in 0..{}'.format(
                        i, d['in_size'] - 1))
                out.append(x.astype(numpy.int32))
                continue
            x = numpy.asarray(x, dtype=numpy.float64)
            if x.ndim == 1:
                x = x[:, None]
            if x.shape[1] != d['in_size']:
                raise ParameterError('X', 'sequence {} has {} features per step; the model '
                                     'reads {}'.format(i, x.shape[1], d['in_size']))
            if not numpy.isfinite(x[~numpy.isnan(x)]).all() or \
                    (numpy.abs(x[numpy.isfinite(x)]) > numpy.finfo(numpy.float32).max).any():
                raise ParameterError('X', 'sequence {} holds a value that is not a finite '
                                     'float32'.format(i))
            if self._prep is not None:
                x = self._prep.transform(x)
            elif numpy.isnan(x).any():
                raise ParameterError('X', 'sequence {} holds NaN'.format(i))
            out.append(x.astype(numpy.float32))
        return out

    def _proba(self, xs, batchsize):
        import chainer
        import chainer.functions as F

        from chainer_irnn.training.converter import sequence_converter
        out = []
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            for i in range(0, len(xs), batchsize):
                batch = [(x, 0) for x in xs[i:i + batchsize]]
                arrays, lengths, _ = sequence_converter(batch, self.device)
                scores = self.model.predictor(arrays, lengths)
                out.append(chainer.backends.cuda.to_cpu(F.softmax(scores).array))
        if not out:
            return numpy.zeros((0, len(self.classes)))
        return numpy.concatenate(out).astype(numpy.float64)

    def predict_proba(self, X, batchsize=256):
        """Class probabilities ``(n, n_class)`` (float64) of raw sequences
        (see :meth:`prepare`) or a :class:`SequenceDataset`."""
        return self._proba(self.prepare(X), batchsize)

    def predict(self, X, batchsize=256):
        """The most probable class name of each sequence."""
        proba = self.predict_proba(X, batchsize)
        return numpy.asarray(self.classes, dtype=object)[proba.argmax(axis=1)]

    def evaluate(self, dataset, batchsize=256):
        """Loss and accuracy over a dataset of ``(x, class index)``.

        Runs in test mode (dropout off) and counts exactly: the loss is the
        mean over examples and the accuracy the number of correct
        predictions over ``len(dataset)``, not a mean of batch means.
        """
        import chainer
        import chainer.functions as F

        from chainer_irnn.training.converter import sequence_converter
        loss_sum, correct = 0.0, 0
        with chainer.using_config('train', False), chainer.no_backprop_mode():
            for i in range(0, len(dataset), batchsize):
                batch = dataset[i:i + batchsize]
                xs, lengths, t = sequence_converter(batch, self.device)
                scores = self.model.predictor(xs, lengths)
                loss = F.softmax_cross_entropy(scores, t, reduce='no')
                loss_sum += float(loss.array.sum())
                correct += int((scores.array.argmax(axis=1) == t).sum())
        n = len(dataset)
        return {'loss': loss_sum / n, 'accuracy': correct / n, 'correct': correct, 'n': n}

    def to_onnx(self, path=None, opset=None):
        """This model as an ONNX graph (:mod:`chainer_irnn.export.onnx`, docs/export.md):
        written to ``path`` if given; returns the ``onnx.ModelProto``."""
        from chainer_irnn.export import onnx as export
        return export.to_onnx(self.model, self.description, path, classes=self.classes,
                              opset=export.OPSET if opset is None else opset)

    # -------------------------------------------------------------- files

    def csv_batches(self, path, label_col=None, id_col=None, chunksize=50000):
        """Batches of a CSV file read as the model's training file was read."""
        from chainer_irnn.datasets import tabular
        spec = self.description.get('tabular')
        if spec is None:
            data = self.description.get('data')
            if data in ('csv', 'arrays'):
                raise UserError('the model description (model.json) has no "tabular" entry, '
                                'which says how to read CSV files; it is damaged: write it '
                                'again by training (or save) on {} data'.format(data))
            raise UserError('this model was trained on {} data, not CSV; reading a CSV file '
                            'needs a model trained on CSV data'.format(data or 'other'))
        if 'layout' not in spec:    # fitted on arrays: no file was read, so no reading to repeat
            raise UserError('this model was fitted on arrays, not read from a CSV file, so it '
                            'does not know how to read one: read the file with read_csv(path, '
                            "...) and pass the result to the model's predict")
        table = tabular.table_like(path, spec, labels='optional',
                                   expect_features=self.description['in_size'],
                                   label_col=label_col, id_col=id_col, predicting=True)
        has_labels = table.roles.label is not None
        logger.info('%s: %s layout, labels %s', path, table.roles.layout,
                    'in column {}'.format(table.roles.name(table.roles.label))
                    if has_labels else 'absent')
        for seqs in table.iter(chunksize=chunksize):
            yield Batch([s.id for s in seqs], [self._prep.transform(s.x) for s in seqs],
                        [s.label for s in seqs] if has_labels else None)
        logger.info(table.summary())
        if self._prep.window_mean > 1:     # the steps above are the file's, before averaging
            logger.info('each sequence averaged over windows of %d steps before the model read '
                        'it, as in training (model.json: tabular.window_mean)',
                        self._prep.window_mean)

    def image_batches(self, path, labels=None, chunksize=50000):
        """Batches of images (see :func:`load_images`) for a model trained on MNIST."""
        from chainer_irnn.datasets import idx, mnist
        d = self.description
        if d.get('data') != 'mnist':
            raise UserError('this model was trained on {} data; images need a model trained '
                            'on MNIST'.format(d.get('data', 'other')))
        images = load_images(path)
        texts = None
        if labels is not None:
            texts = idx.read_idx(labels, dtype=numpy.uint8, shape=(None,))
            if len(texts) != len(images):
                raise UserError('{} holds {} labels for the {} images of {}'.format(
                    labels, len(texts), len(images), path))
            texts = [str(int(t)) for t in texts]
        permutation = d.get('permutation')
        xs = mnist.view_images(images, d['view'],
                               None if permutation is None else numpy.asarray(permutation))
        for i in range(0, len(xs), chunksize):
            yield Batch(list(range(i, min(i + chunksize, len(xs)))), list(xs[i:i + chunksize]),
                        None if texts is None else texts[i:i + chunksize])

    def file_batches(self, path, kind=None, labels=None, label_col=None, id_col=None,
                     chunksize=50000):
        """Batches of a file of ``kind`` ``'csv'`` or ``'images'`` (default:
        ``images`` for ``.png``, ``.npy`` and IDX files, else ``csv``), read
        by :meth:`csv_batches` or :meth:`image_batches`."""
        if kind is None:
            lower = str(path).lower()
            kind = 'images' if lower.endswith(('.png', '.npy', '-ubyte', '-ubyte.gz')) \
                else 'csv'
        if kind == 'csv':
            return self.csv_batches(path, label_col=label_col, id_col=id_col,
                                    chunksize=chunksize)
        if kind == 'images':
            return self.image_batches(path, labels=labels, chunksize=chunksize)
        raise ParameterError('kind', "must be 'csv' or 'images', not {!r}".format(kind))

    def predict_file(self, path, out, kind=None, labels=None, label_col=None, id_col=None,
                     chunksize=50000, batchsize=256):
        """Writes the predictions for a file to the CSV file ``out``.

        ``kind`` is ``'csv'`` or ``'images'`` (default: ``images`` for
        ``.png``, ``.npy`` and IDX files, else ``csv``).  The output has
        ``sequence_id``, ``predicted_label``, one ``p_<class>`` column per
        class and, when the input has labels, ``true_label``.  Input is read
        and written chunk by chunk; ``out`` appears only when complete.

        Returns:
            dict: ``n`` predictions written, ``labelled`` and ``correct``
            counts, ``accuracy`` (None without labels).
        """
        batches = self.file_batches(path, kind, labels, label_col, id_col, chunksize)
        _check_output(out, path)
        # a temporary file of its own beside ``out`` (two runs writing one
        # ``out`` never share it), renamed over ``out`` when complete
        import tempfile
        fd, tmp = tempfile.mkstemp(prefix='.{}.'.format(os.path.basename(out)), suffix='.tmp',
                                   dir=os.path.dirname(os.path.abspath(out)))
        n = correct = labelled = 0
        progress = _Progress('predicted')
        names = numpy.asarray(self.classes, dtype=object)
        columns = ['p_{}'.format(c) for c in self.classes]
        try:
            with os.fdopen(fd, 'w', newline='') as f:
                # probabilities of at most ~4M cells at a time (32 MB): a
                # chunk of 50,000 rows of a 10,000-class model would be 4 GB
                piece = max(batchsize, PROBA_CELLS // max(1, len(names)))
                for batch in batches:
                    if n == 0:
                        f.write(','.join(_csv_field(c) for c in ['sequence_id', 'predicted_label']
                                         + columns + (['true_label'] if batch.labels
                                                      is not None else [])) + '\n')
                    for a in range(0, len(batch.xs), piece):
                        prob = self._proba(batch.xs[a:a + piece], batchsize)
                        pred = prob.argmax(axis=1)
                        labels = None if batch.labels is None else batch.labels[a:a + piece]
                        if labels is not None:
                            correct += int((names[pred] == numpy.asarray(
                                labels, dtype=object)).sum())
                            labelled += len(labels)
                        _write_rows(f, batch.ids[a:a + piece], names[pred], prob, labels)
                        n += len(prob)
                        progress.update(n)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)     # as open() would have made it
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return {'n': n, 'labelled': labelled, 'correct': correct,
                'accuracy': correct / labelled if labelled else None}

    def evaluate_file(self, path, kind=None, labels=None, label_col=None, id_col=None,
                      chunksize=50000, batchsize=256):
        """Scores the model on a labelled file: accuracy, per-class precision
        and recall, the confusion matrix and the mean log loss.

        The file is read as :meth:`predict_file` reads it (``kind``,
        ``labels`` for images, ``label_col``, ``id_col``); it must hold a
        label for every sequence.

        Returns:
            dict: :func:`chainer_irnn.evaluation.classification_summary`'s
            keys plus ``loss`` (mean negative log probability of the true
            class; None when a true label is not one of the model's classes).
        """
        from chainer_irnn.evaluation import classification_summary
        batches = self.file_batches(path, kind, labels, label_col, id_col, chunksize)
        index = {c: i for i, c in enumerate(self.classes)}
        true, predicted, log_loss = [], [], 0.0
        for batch in batches:
            if batch.labels is None:
                raise UserError('{}: the file has no label column (images: no labels file '
                                'given); evaluating needs the true label of every '
                                'sequence'.format(path))
            prob = self._proba(batch.xs, batchsize)
            predicted.extend(self.classes[i] for i in prob.argmax(axis=1))
            true.extend(batch.labels)
            if log_loss is not None:
                rows = [index.get(t) for t in batch.labels]
                if any(r is None for r in rows):
                    log_loss = None
                else:
                    picked = prob[numpy.arange(len(rows)), rows]
                    log_loss += float(-numpy.log(numpy.maximum(picked, 1e-300)).sum())
        summary = classification_summary(true, predicted, self.classes)
        summary['loss'] = log_loss / len(true) if log_loss is not None and true else None
        return summary


def _csv_field(value):
    """``value`` as a CSV field, quoted where needed (as pandas' and the csv
    module's minimal quoting do)."""
    text = str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_rows(f, ids, predicted, prob, labels, rows=None):
    """Appends prediction rows: id, predicted label, the probabilities as
    ``%.6g`` (one format per row, not a column per class: 10,000 classes
    write as fast as 10), the true label when there is one."""
    n, k = prob.shape
    fmt = ','.join(['%.6g'] * k)
    rows = rows or max(1, 1000000 // max(k, 1))       # bounded text per write
    for a in range(0, n, rows):
        lines = []
        for i in range(a, min(n, a + rows)):
            values = prob[i]
            text = fmt % tuple(values.tolist()) if numpy.isfinite(values).all() else \
                ','.join('' if v != v else '%.6g' % v for v in values.tolist())
            line = '{},{},{}'.format(_csv_field(ids[i]), _csv_field(predicted[i]), text)
            if labels is not None:
                line += ',' + _csv_field(labels[i])
            lines.append(line)
        f.write('\n'.join(lines) + '\n')


class _Progress(object):
    """A log line every ``interval`` seconds while a long job runs:
    ``predicted 120000 sequences so far (5400/s)``."""

    interval = 10.0

    def __init__(self, what, clock=None):
        import time
        self.what = what
        self.clock = clock or time.monotonic
        self.start = self.last = self.clock()

    def update(self, n):
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            logger.info('%s %d sequences so far (%.0f/s)', self.what, n,
                        n / max(now - self.start, 1e-9))


def _check_output(out, source):
    """A clear error for an output path that cannot or must not be written."""
    if os.path.isdir(out):
        raise ParameterError('out', '{}: is a directory; give a file name'.format(out))
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ParameterError('out', '{}: the folder {} does not exist'.format(out, folder))
    if os.path.exists(out) and os.path.exists(source) and os.path.samefile(out, source):
        raise ParameterError('out', '{}: is the input file; give another name'.format(out))


def load_model(path, device=None, impl='fused'):
    """Loads a model written by training (``model.npz`` + ``model.json``).

    Args:
        path (str): the output folder of a run, or its ``model.npz``.
        device: ``'@numpy'`` (default), ``'@cupy:0'``, ... .
        impl (str): the recurrence implementation, ``'fused'`` or ``'naive'``.

    Returns:
        Predictor

    Raises:
        UserError: a missing, damaged or mismatched file, named.
    """
    from chainer_irnn import models
    model, description = models.load_model(path, impl=impl)
    return Predictor(model, description, device=device)
