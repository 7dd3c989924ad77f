"""``IRNNClassifier``: the scikit-learn face of :func:`chainer_irnn.training.fit`.

::

    from chainer_irnn import IRNNClassifier

    clf = IRNNClassifier(hidden=(100,), epoch=10).fit(X, y)   # X: (n, T, F), (n, T) or a list
    clf.predict(X_new), clf.predict_proba(X_new), clf.score(X_test, y_test)
    clf.save('model_dir')                                      # what the CLI writes

It follows scikit-learn's conventions: ``__init__`` only stores its
arguments, ``fit`` learns and returns ``self``, learned attributes end in
``_``; so ``clone``, ``cross_val_score``, ``GridSearchCV`` and ``Pipeline``
work with it.
"""
import io
import logging
import shutil
import tempfile

import numpy

from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from chainer_irnn.datasets.arrays import (  # NOQA: F401 (the estimator's names)
    AXIS_ORDERS, _check_labels, _from_frame, _label_type, _labels, _sequences)
from chainer_irnn.datasets.description import data_description
from chainer_irnn.datasets.tabular import preprocess as _prep
from chainer_irnn.errors import UserError


logger = logging.getLogger(__name__)


class IRNNClassifier(ClassifierMixin, BaseEstimator):
    """An identity-initialised recurrent classifier of sequences.

    Parameters mirror :class:`~chainer_irnn.training.config.TrainConfig`; the
    defaults are those of the ``csv`` preset (recurrent weights starting at
    0.85 I, Adam 1e-3, clipping 0.2, dropout 0.2, batch 32, 10 epochs and at
    least 2000 updates, an ensemble of 3, series averaged to at most 256
    steps).

    Args:
        hidden (tuple of int): units per recurrent layer.
        input (str): ``'linear'`` for float features, ``'embed'`` for integer
            tokens ``0..n_tokens-1`` (the blog's pixels).
        activation (str): ``'relu'`` (IRNN) or ``'tanh'``.
        identity_scale (float): the recurrent weights start as this times I.
        input_std (float): std of the Gaussian input weights.
        optimizer (str): ``'adam'``, ``'sgd'``, ``'momentum'`` or ``'rmsprop'``.
        lr (float): learning rate (Adam's alpha).
        clip (float): gradient-norm clipping threshold; 0 switches it off.
        weight_decay (float): L2 weight decay.
        batchsize (int): examples per update; None (default): 32, or
            the training set's size where that is smaller.
        epoch (int): passes over the training data.
        min_iteration (int): raise the epochs to make at least this many
            updates (small data sets need more passes).
        validation_fraction (float): held out of ``X`` for validation,
            stratified, when ``fit`` is given no validation data; 0 = none.
        standardize (bool): standardise each float feature with the training
            data's mean and std (over all steps).
        max_steps (int): when the longest sequence of ``X`` is longer, average
            every float sequence (at fit and predict) over windows of ``k =
            ceil(longest / max_steps)`` steps, kept with the model; default
            256 (series of up to 256 steps are read as they are); None: no
            averaging.  A dataset from ``read_csv`` was averaged by its own.
        n_tokens (int): vocabulary size of ``input='embed'``.
        seed (int): seeds initialisation, shuffling and the split.
        device: ``'@numpy'``, ``'@cupy:0'``, ... .
        out (str): a folder for the Trainer's log, plots and snapshots, and
            the model; None trains in a temporary folder.  Each ``fit``
            starts over there: the files of the run the folder held
            (snapshots, log, model) are removed first, nothing else.
        verbose (bool): show the run as it goes: the library's log lines
            (data, run length, the kept model, the time taken) on stderr
            when no logging handler is set up, and the Trainer's log table
            and progress (plain lines off a terminal) on stdout.
        impl (str): ``'fused'`` or ``'naive'`` recurrence.
        dropout, input_dropout (float): dropout between layers / on the
            input features, in training only.
        input_noise (float): std of Gaussian noise added to the
            standardised inputs in training (float input only; 0.1 measured
            better than none on four UCR sets, docs/csv.md).
        augment_scale (float): in training, multiply each sequence's
            features by factors drawn per (sequence, feature) from ``N(1,
            augment_scale ** 2)`` (float input only; 0 = off).
        augment_slice (float): in training, replace each sequence by a random
            window of ``1 - augment_slice`` of its steps, resampled to its
            length by linear interpolation (float input only; 0 = off).
        pool (str): what feeds the output layer: ``'last'`` (each
            sequence's last state), ``'mean'`` or ``'max'`` (over its steps).
        bidirectional (bool): also read each sequence backwards (from its
            last step to its first) with a second stack of layers; the
            output layer reads both directions' states, each pooled by
            ``pool``.
        best_by (str): with validation data, keep the model of the best
            validation ``'loss'`` or ``'accuracy'``.
        patience (int): stop after this many evaluations without
            improvement (0 = off); evaluations come every twentieth of the
            run.
        lr_patience (int): halve the learning rate after this many
            evaluations without improvement (0 = off, the default; needs
            ``lr_anneal='none'``).
        lr_anneal (str): ``'cosine'`` (default) lowers the learning rate
            along a half cosine to 0 over the planned run (``epoch``,
            ``min_iteration``): on the corpus of docs/csv.md it halved the
            runs that roll back; excludes ``lr_patience``.  ``'none'`` keeps
            the rate.
        axis_order (str): how 3-D arrays (and the 2-D sequences of a list)
            are laid out: ``'ntf'`` (sequences, steps, features) or
            ``'nct'`` (aeon's and sktime's sequences, channels, steps).
            None (default) reads ``'ntf'`` and warns when an array has more
            features than steps.  An sktime nested DataFrame is read as
            its rows of channels; a long-format DataFrame (a row per step)
            is refused (read it with ``read_csv(frame, layout='long')``).
        ensemble (int): train this many models, seeds ``seed``, ``seed +
            1``, ..., and predict with the mean of their probabilities
            (:func:`chainer_irnn.training.ensemble.fit_ensemble`; the csv
            preset's 3 by default, which removed most of the seed spread on
            the corpus of docs/csv.md); 1 trains one model (on the
            ``validation_fraction`` split; the folds do not apply).
        class_weight (None or str): ``'balanced'`` weighs each class in the
            training and validation losses by ``n / (k * n_c)``, its share of
            the training split (scikit-learn's ``'balanced'``; for imbalanced
            classes); None (default): every sequence counts the same.
            Weights given per class (a dict) are not taken.
        ensemble_folds (int): F >= 2 (10 by default, with ``ensemble <=
            F``): the training and validation data are pooled into F
            stratified folds, member i trains on all but fold i and keeps its
            model by fold i, and ``best_`` is the out-of-fold figure (a
            ceiling: a set of fewer than F sequences gets one fold per
            sequence); ``X_val`` given to ``fit`` is pooled too.  0: the
            members share one split (``X_val``, where given).

    Attributes:
        classes_ (ndarray): the class labels.
        n_features_in_ (int): columns of a 2-D ``X`` (fixed-length univariate
            series); for 3-D or list input, features per step.
        predictor_ (Predictor): the trained model with its description.
        history_ (list of dict): the training log.
        best_ (dict or None): the evaluation whose model was kept (see
            :attr:`chainer_irnn.training.FitResult.best`).
    """

    def __init__(self, hidden=(100,), input='linear', activation='relu', identity_scale=0.85,
                 input_std=0.001, optimizer='adam', lr=1e-3, clip=0.2, weight_decay=0.0,
                 batchsize=None, epoch=10, min_iteration=2000, validation_fraction=0.1,
                 standardize=True, n_tokens=256, seed=0, device='@numpy', out=None,
                 verbose=False, impl='fused', dropout=0.2, input_dropout=0.0,
                 input_noise=0.1, pool='last', best_by='loss', patience=6, lr_patience=0,
                 axis_order=None, ensemble=3, max_steps=_prep.DEFAULT_MAX_STEPS,
                 augment_scale=0.0, augment_slice=0.0, lr_anneal='cosine', class_weight=None,
                 ensemble_folds=10, bidirectional=False):
        self.hidden = hidden
        self.input = input
        self.activation = activation
        self.identity_scale = identity_scale
        self.input_std = input_std
        self.optimizer = optimizer
        self.lr = lr
        self.clip = clip
        self.weight_decay = weight_decay
        self.batchsize = batchsize
        self.epoch = epoch
        self.min_iteration = min_iteration
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.max_steps = max_steps
        self.n_tokens = n_tokens
        self.seed = seed
        self.device = device
        self.out = out
        self.verbose = verbose
        self.impl = impl
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.input_noise = input_noise
        self.pool = pool
        self.best_by = best_by
        self.patience = patience
        self.lr_patience = lr_patience
        self.axis_order = axis_order
        self.ensemble = ensemble
        self.augment_scale = augment_scale
        self.augment_slice = augment_slice
        self.lr_anneal = lr_anneal
        self.class_weight = class_weight
        self.ensemble_folds = ensemble_folds
        self.bidirectional = bidirectional

    def _config(self, n_train):
        from chainer_irnn.training.config import TrainConfig
        from chainer_irnn.training.settings_table import SETTINGS
        # the parameters named as settings pass on; the rest follow from the others
        values = {k: getattr(self, k) for k in self._get_param_names() if k in SETTINGS}
        values.update(
            hidden=(self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden),
            view='pixels' if self.input == 'embed' else 'floats',
            batchsize=32 if self.batchsize is None else min(self.batchsize, n_train),
            auto_batchsize=self.batchsize is None, on_divergence='rollback',
            progress=bool(self.verbose), plots=self.out is not None, report=bool(self.verbose),
            class_weight=_class_weight_setting(self.class_weight))
        return TrainConfig.from_preset('csv').replace(preset=None, **values)

    def _tabular(self, seqs, standardize):
        """The feature statistics as the predictor's preprocessing spec."""
        if self.input == 'embed' or not standardize:
            F = 1 if self.input == 'embed' else seqs[0].shape[1]
            return numpy.zeros(F), numpy.ones(F)
        allx = numpy.concatenate(seqs)
        mean, std = allx.mean(axis=0), allx.std(axis=0)
        std[~(std > 1e-12)] = 1.0
        return mean, std

    def fit(self, X, y=None, X_val=None, y_val=None):
        """Trains on ``X``, ``y`` (validation on ``X_val``, ``y_val`` if given,
        else on ``validation_fraction`` of ``X``); returns ``self``.

        ``X``: an ``(n, T, F)`` float array, an ``(n, T)`` array of
        univariate series, a list of ``(T_i, F)`` arrays of any lengths, or
        integer tokens with ``input='embed'``; or a :class:`SequenceDataset`
        (then ``y`` defaults to its labels).  ``y``: any labels.
        """
        from sklearn.utils.validation import column_or_1d

        from chainer_irnn.datasets.tabular import Preprocessor, SequenceDataset, stratified_split
        from chainer_irnn.predictor import Predictor
        from chainer_irnn.training import fitting as fit_mod

        # sequences read by read_csv are preprocessed already; the model keeps
        # their reading spec, so that it reads new files (predict) the same way
        source = X.meta if isinstance(X, SequenceDataset) and X.meta else None
        if y is None and isinstance(X, SequenceDataset):
            y = X.y
        if y is None:
            raise ValueError('requires y to be passed, but the target y is None')
        seqs, width = _sequences(X, self.input, axis_order=self.axis_order)
        y = numpy.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            import warnings
            from sklearn.exceptions import DataConversionWarning
            warnings.warn('A column-vector y was passed when a 1d array was expected.',
                          DataConversionWarning, stacklevel=2)
        y = column_or_1d(y)
        if len(y) != len(seqs):
            raise ValueError('X holds {} sequences but y {} labels'.format(len(seqs), len(y)))
        _check_labels(y, 'y')
        check_classification_targets(y)
        self.classes_, codes = numpy.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError('the training data hold one class only ({!r}); a classifier needs '
                             'at least 2'.format(self.classes_[0]))
        self.n_features_in_ = width if width is not None else \
            (1 if self.input == 'embed' else int(seqs[0].shape[1]))
        self._width = width
        if self.input != 'embed':
            F = {x.shape[1] for x in seqs}
            if len(F) > 1:
                raise ValueError('the sequences of X have different numbers of features per '
                                 'step: {}'.format(sorted(F)))
        standardize = self.standardize and source is None   # read_csv standardised them
        k, longest = 1, max(len(x) for x in seqs)
        max_steps = _prep.check_max_steps(self.max_steps)     # read_csv's data: averaged there
        if source is None and self.input != 'embed':
            k = _prep.window_size([longest], max_steps)
            note = _prep.window_note(k, longest, max_steps)
            if note:
                logger.info(note)
        # the statistics of the steps the model reads (averaged ones with k > 1)
        mean, std = self._tabular([_prep.window_means(x, k) for x in seqs], standardize)
        classes = [str(c) for c in self.classes_]
        prep = Preprocessor(classes, mean.tolist(), std.tolist(), None, standardize, k)

        def prepared(xs):
            if self.input == 'embed':
                return [x.astype(numpy.int32) for x in xs]
            return [prep.transform(x) for x in xs]

        codes = codes.astype(numpy.int32)
        if X_val is not None:
            vseqs, _ = _sequences(X_val, self.input, width, axis_order=self.axis_order)
            index = {c: i for i, c in enumerate(self.classes_)}
            try:
                vcodes = numpy.asarray([index[v] for v in column_or_1d(numpy.asarray(y_val))],
                                       dtype=numpy.int32)
            except KeyError as e:
                raise ValueError('y_val holds a label absent from y: {}'.format(e))
            train = list(zip(prepared(seqs), codes))
            val = list(zip(prepared(vseqs), vcodes))
        else:
            fraction = self.validation_fraction
            counts = numpy.bincount(codes)
            if fraction and (counts.min() < 2 or len(seqs) * fraction < len(counts)):
                logger.info('too few examples per class for a validation split of %g; '
                            'training without validation', fraction)
                fraction = 0
            tr, va = (stratified_split(codes, fraction, self.seed) if fraction
                      else (numpy.arange(len(seqs)), numpy.arange(0)))
            xs = prepared(seqs)
            train = [(xs[i], codes[i]) for i in tr]
            val = [(xs[i], codes[i]) for i in va] or None
        n_class = len(self.classes_)
        meta = data_description(
            'arrays', 'arrays', self.n_tokens if self.input == 'embed' else seqs[0].shape[1],
            n_class, len(train), 0 if val is None else len(val),
            label_type=_label_type(self.classes_))
        if self.input == 'embed':
            meta['classes'] = classes
        elif source is not None:
            meta.update(data='csv', data_source=source.get('data_source'),
                        tabular=dict(source['tabular'], classes=classes))
        else:
            meta['tabular'] = prep.to_json()
        config = self._config(len(train))
        workdir = self.out if self.out is not None else tempfile.mkdtemp(prefix='irnn-fit-')
        talk = _log_to_stderr() if self.verbose else None
        try:
            result = fit_mod.fit(config, train, val, out=workdir, meta=meta,
                                 device=self.device, resume='none',
                                 save=self.out is not None)
        finally:
            if talk is not None:
                talk()
            if self.out is None:
                shutil.rmtree(workdir, ignore_errors=True)
        self.history_ = result.log
        self.best_ = result.best
        self.stopped_ = result.stopped
        if result.stopped == 'diverged':     # the model kept is marked, not a success
            import warnings
            from sklearn.exceptions import ConvergenceWarning
            warnings.warn(result.message, ConvergenceWarning, stacklevel=2)
        self.predictor_ = Predictor(result.model, result.description, device=self.device)
        return self

    # ---------------------------------------------------------- predicting

    def _prepared(self, X):
        from chainer_irnn.datasets.tabular import SequenceDataset
        check_is_fitted(self, 'predictor_')
        if isinstance(X, SequenceDataset):     # read as the training data were
            return self.predictor_.prepare(X)
        seqs, _ = _sequences(X, self.input, self._width,
                             axis_order=getattr(self, 'axis_order', None))
        return self.predictor_.prepare(seqs)

    def predict_proba(self, X):
        """Class probabilities ``(n, n_classes)``, columns in ``classes_`` order."""
        xs = self._prepared(X)
        return self.predictor_._proba(xs, 256)

    def predict(self, X):
        """The most probable class of each sequence (labels of ``y``'s kind)."""
        check_is_fitted(self, 'predictor_')
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    # ---------------------------------------------------------- persisting

    def save(self, directory):
        """Writes ``model.npz`` and ``model.json`` into ``directory``, the
        files the CLI writes: ``chainer-irnn predict --model DIR`` reads them."""
        from chainer_irnn import models
        check_is_fitted(self, 'predictor_')
        models.save_model(self.predictor_.model, self.predictor_.description, directory)
        return directory

    @classmethod
    def from_settings(cls, path, **params):
        """An unfitted classifier with the settings of a training run.

        ``path`` is a run's ``settings.json`` (or the run folder holding
        it), as ``chainer-irnn train`` or :func:`~chainer_irnn.training.fit`
        writes it; ``params`` override what it says.  Fitted on the same
        data, read the same way (``read_csv`` with the run's file, split and
        seed), it trains the same model as the run: the same parameter
        arrays on the CPU.

        ``IRNNClassifier(**settings)`` cannot take the file as it is: it
        records some 50 keys, of which the estimator has parameters for
        about 20 (``hidden``, ``lr``, ``epoch``, ``seed``, ...), plus the
        data description.  The rest are read here: ``val_split`` becomes
        ``validation_fraction``, ``standardize`` and ``n_tokens`` come from
        the data description.  A run setting the estimator has no parameter
        for (``iteration``, ``lr_decay_every``, ``warmup``, ``loss_guard``,
        ...) must have the value the estimator trains with, or the run cannot
        be repeated here: that is a :class:`~chainer_irnn.errors.UserError`
        naming the key and the file (train such settings with
        ``fit(read_settings(path).config, ...)``,
        :mod:`chainer_irnn.training.settings`).  The estimator always rolls
        back a diverging run (``on_divergence``), which changes nothing in a
        run that never diverged.

        Raises:
            UserError: the file is unreadable, holds an unknown key or value,
                or a setting the estimator cannot repeat.
        """
        from chainer_irnn.training.settings import read_settings
        settings = read_settings(path)
        config = settings.config
        flat = config.flat()
        mine = {k: flat[k] for k in _FROM_SETTINGS}
        mine['hidden'] = tuple(config.model.hidden)
        mine['class_weight'] = None if config.run.class_weight == 'none' else \
            config.run.class_weight
        mine['batchsize'] = None if config.run.auto_batchsize else config.run.batchsize
        data = settings.data_args or {}
        if data.get('val_split') is not None:
            mine['validation_fraction'] = data['val_split']
        if 'csv' in data:       # a recorded null: never (read_settings fills an old file's)
            mine['max_steps'] = data['max_steps'] or None     # a recorded 0 means never, as None
        tabular = settings.recorded.get('tabular')
        if isinstance(tabular, dict) and isinstance(tabular.get('standardize'), bool):
            mine['standardize'] = tabular['standardize']
        if config.model.input == 'embed' and isinstance(settings.recorded.get('in_size'), int):
            mine['n_tokens'] = settings.recorded['in_size']
        same = cls(**mine)._config(n_train=10 ** 9).flat()
        for key in _FIXED_HERE:
            if flat[key] != same[key]:
                raise UserError('{}: key "{}" has {!r}, which IRNNClassifier cannot set (it '
                                'trains with {!r}); train these settings with chainer_irnn.fit('
                                'read_settings(path).config, ...) instead'.format(
                                    settings.path, key, flat[key], same[key]))
        mine.update(params)
        return cls(**mine)

    @classmethod
    def load(cls, directory, device='@numpy'):
        """A fitted classifier from a folder written by :meth:`save` or by
        training (``model.npz`` + ``model.json``)."""
        from chainer_irnn.predictor import load_model
        p = load_model(directory, device=device)
        d = p.description
        # the parameters that shape the network, as the model file records them
        clf = cls(hidden=tuple(d['hidden']), input=d['input'], activation=d['activation'],
                  identity_scale=d.get('identity_scale', 1.0),
                  input_std=d.get('input_std', 0.001), pool=d.get('pool', 'last'),
                  bidirectional=bool(d.get('bidirectional', False)),
                  ensemble=d.get('ensemble') or 1, device=device)
        if d['input'] == 'embed':
            clf.n_tokens = d['in_size']
        clf.predictor_ = p
        clf.classes_ = _labels(p.classes, d.get('label_type'))
        clf.n_features_in_ = d['in_size'] if d['input'] != 'embed' else 1
        clf._width = None
        clf.history_ = []
        clf.best_ = None
        return clf

    def to_onnx(self, path=None, opset=None):
        """The fitted model as an ONNX graph (:meth:`Predictor.to_onnx`)."""
        check_is_fitted(self, 'predictor_')
        return self.predictor_.to_onnx(path, opset=opset)

    def __getstate__(self):
        state = dict(self.__dict__)
        p = state.pop('predictor_', None)
        if p is not None:
            import chainer
            buf = io.BytesIO()
            chainer.serializers.save_npz(buf, p.model.predictor)
            state['_model_npz'] = buf.getvalue()
            state['_description'] = p.description
            state['_classes'] = p.classes
        return state

    def __setstate__(self, state):
        npz = state.pop('_model_npz', None)
        description = state.pop('_description', None)
        classes = state.pop('_classes', None)
        self.__dict__.update(state)
        if npz is not None:
            from chainer_irnn import io as irnn_io, models
            from chainer_irnn.predictor import Predictor
            model = models.build_model(description, impl=self.impl)
            # the one safe loader (no pickle inside the parameters, exact shapes)
            irnn_io.load_npz(npz, model.predictor, 'model', name='the pickled IRNNClassifier',
                             exact=True)
            self.predictor_ = Predictor(model, description, device=self.device)
            self.predictor_.classes = classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags


#: TrainConfig settings that are IRNNClassifier parameters of the same name
_FROM_SETTINGS = ('input', 'activation', 'identity_scale', 'input_std', 'optimizer', 'lr', 'clip',
                  'weight_decay', 'epoch', 'min_iteration', 'seed', 'impl', 'dropout',
                  'input_dropout', 'input_noise', 'augment_scale', 'augment_slice', 'pool',
                  'bidirectional', 'ensemble', 'best_by', 'patience', 'lr_patience',
                  'lr_anneal', 'ensemble_folds')
#: TrainConfig settings the estimator fixes: a run can be repeated only at its values
_FIXED_HERE = ('model', 'iteration', 'loss_guard', 'max_rollbacks', 'rollback_factor',
               'lr_decay', 'lr_decay_every', 'warmup', 'eval_interval', 'permute')


def _class_weight_setting(value):
    """The ``class_weight`` setting of the estimator's parameter:
    scikit-learn's None is ``'none'``; ``'balanced'`` is itself."""
    from chainer_irnn.errors import ParameterError
    if value is None:
        return 'none'
    if isinstance(value, str) and value == 'balanced':
        return value
    raise ParameterError('class_weight', "expected None or 'balanced', not {!r}{}".format(
        value, ' (weights given per class are not taken)' if isinstance(value, dict) else ''))


def _log_to_stderr():
    """Shows the library's INFO lines on stderr while a verbose fit runs,
    where the user has set up no logging of their own; returns the undo."""
    import logging
    import sys
    logger = logging.getLogger('chainer_irnn')
    if logger.handlers or logging.getLogger().handlers:
        return lambda: None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('chainer-irnn: %(message)s'))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def undo():
        logger.removeHandler(handler)
        logger.setLevel(level)
    return undo


__all__ = ['IRNNClassifier']
