"""A CSV file as sequences: :class:`Table` (columns resolved, read in chunks)
and reading a new file as a model's training file was read (:func:`table_like`)."""
import dataclasses

from chainer_irnn.datasets.tabular import layouts, reading, sequences
from chainer_irnn.datasets.tabular.layouts import Options
from chainer_irnn.errors import DataError, ParameterError, UserError


class Table(object):
    """A CSV file read as sequences under :class:`Options`.

    Args:
        path: the file (a path), a file object, or a pandas DataFrame.
        opts (Options): how to read it.
        labels (str): ``'required'`` or ``'optional'`` (prediction).
        expect_features (int or None): features per step the model takes; a
            different count is a :class:`DataError` (prediction).
        predicting (bool): read for a trained model, whose reading settings
            are fixed (messages then say what to change in the file).
    """

    def __init__(self, path, opts, labels='required', expect_features=None, predicting=False):
        path = reading.as_source(path)
        self.path, self.opts = path, opts
        self.predicting = predicting
        columns = reading.read_columns(path, opts)
        line = reading.first_line(path)
        if opts.header:
            _check_header(line, opts, path)
        self.roles = layouts.resolve(columns, opts, path, labels=labels, first_line=line)
        roles = self.roles
        k = roles.features_per_step if roles.layout == 'wide' else 1
        self.features_per_step = k
        if expect_features is not None and roles.layout == 'wide' and k != expect_features:
            raise DataError('{} feature columns per step here, the model was trained on {}'.format(
                k, expect_features), path=path, line=1)
        if expect_features is not None and roles.layout != 'wide' \
                and len(roles.features) != expect_features:
            n = len(roles.features)
            extra = roles.features[expect_features] if n > expect_features else roles.features[-1]
            raise DataError('{} feature column{} here, the model was trained on {}'.format(
                n, '' if n == 1 else 's', expect_features), path=path, line=1,
                column=roles.position(extra) if n > expect_features else None)
        self.rows = 0
        self.skipped = []
        self.n_sequences = 0
        self.leftover = 0
        self.lengths = (None, None)  # shortest and longest sequence (long layout)

    @property
    def n_features(self):
        """Features per step (``in_size`` of a linear-input model)."""
        if self.roles.layout == 'wide':
            return self.features_per_step
        return len(self.roles.features)

    def _assembler(self):
        layout = self.roles.layout
        if layout == 'wide':
            return sequences.WideAssembler(self.path, self.roles, self.features_per_step)
        if layout == 'long':
            return sequences.LongAssembler(self.path, self.roles)
        return sequences.SeriesAssembler(self.path, self.roles, int(self.opts.window),
                                         int(self.opts.stride))

    def iter(self, chunksize=None):
        """Yields lists of :class:`Sequence`, one list per chunk of rows."""
        roles = self.roles
        text = [k for k in (roles.label, roles.id) if k is not None]
        assembler = self._assembler()
        allow_missing = self.opts.fill is not None
        for chunk in reading.iter_chunks(self.path, self.opts, roles.columns, chunksize, text):
            self.rows += len(chunk.lines)
            self.skipped.extend(chunk.skipped)
            block = sequences.to_block(chunk, roles, self.path, allow_missing,
                                       fill_hint=not self.predicting)
            out = assembler.feed(block)
            self._count(out)
            if out:
                yield out
        if self.rows == 0:
            raise DataError('no data rows (only {})'.format(
                'a header line and empty lines' if self.opts.header else 'empty lines'),
                path=self.path, line=1)
        out = assembler.finish()
        self._count(out)
        if isinstance(assembler, sequences.SeriesAssembler):
            self.leftover = assembler.leftover
        if roles.layout == 'long' and self.n_sequences == self.rows and self.rows > 1 \
                and self.opts.layout == 'auto':
            from chainer_irnn.errors import Setting, UserError
            raise UserError('{}: every sequence id occurs once, so each sequence would be one '
                            'step long; if each row is a whole sequence set {}, else '
                            '{}'.format(self.path, Setting('layout', 'wide'),
                                        Setting('layout', 'long')))
        if out:
            yield out

    def _count(self, seqs):
        self.n_sequences += len(seqs)
        if seqs and self.roles.layout == 'long':
            lo, hi = self.lengths
            n = [len(s.x) for s in seqs]
            self.lengths = (min(n) if lo is None else min(lo, min(n)),
                            max(n) if hi is None else max(hi, max(n)))

    def read(self, chunksize=50000):
        """All sequences of the file (a list), read ``chunksize`` rows at a
        time: only the numbers stay in memory, never the whole table as
        pandas holds it (ids and labels as text objects, row by row)."""
        out = []
        for part in self.iter(chunksize=chunksize):
            out.extend(part)
        return out

    def summary(self):
        """One line for the training log: what was read, used and left out."""
        roles = self.roles
        seqs = self.n_sequences
        text = '{}: {} data row{} read'.format(self.path, self.rows, '' if self.rows == 1 else 's')
        if self.skipped:
            shown = ', '.join(str(v) for v in self.skipped[:5])
            text += ' ({} empty line{} skipped: {}{})'.format(
                len(self.skipped), '' if len(self.skipped) == 1 else 's', shown,
                ', ...' if len(self.skipped) > 5 else '')
        text += ', {} layout -> {} sequence{}'.format(roles.layout, seqs, '' if seqs == 1 else 's')
        if roles.layout == 'wide':
            steps = len(roles.features) // self.features_per_step
            text += ' of {} step{} x {} feature{}'.format(
                steps, '' if steps == 1 else 's', self.features_per_step,
                '' if self.features_per_step == 1 else 's')
            if roles.grouping:
                text += ' ({})'.format(roles.grouping)
        elif roles.layout == 'series':
            text += ' (windows of {} rows, stride {}; {} row{} at the end in no window)'.format(
                self.opts.window, self.opts.stride, self.leftover,
                '' if self.leftover == 1 else 's')
        else:
            text += ' of {} feature{} per step'.format(
                len(roles.features), '' if len(roles.features) == 1 else 's')
            if self.lengths[0] is not None:
                lo, hi = self.lengths
                text += ', {} step{}'.format(lo if lo == hi else '{}-{}'.format(lo, hi),
                                             '' if hi == 1 else 's')
        return text


def _check_header(line, opts, path):
    """Announces a header line of numbers only: most likely a data row of a
    file without a header, which would otherwise be lost unnoticed."""
    import csv
    import logging
    try:
        fields = next(csv.reader([line], delimiter=opts.sep))
    except (csv.Error, StopIteration):
        return
    fields = [f.strip() for f in fields]
    if not fields or not all(reading._NUMBER.match(f) for f in fields):
        return
    if len(fields) > 1 and all(reading._INTEGER.match(f) for f in fields):
        ints = [int(f) for f in fields]
        if ints == list(range(ints[0], ints[0] + len(ints))) and ints[0] in (0, 1):
            return               # 0,1,2,.. or 1,2,3,..: column numbers as names
    shown = ', '.join(fields[:4]) + (', ...' if len(fields) > 4 else '')
    from chainer_irnn.errors import Setting
    logging.getLogger(__name__).warning(
        '%s, line 1: the header line holds only numbers (%s), so it is probably a data row; '
        'it is read as column names, not as data: if the file has no header, set %s', path,
        shown, Setting('header', False))


def spec_to_json(table):
    """What prediction needs to read a file as training read it (JSON-safe).

    With a header, ``feature_names`` lists the feature columns in the order
    the model reads them: new files are matched by name (:func:`table_like`).
    """
    roles, opts = table.roles, table.opts
    return {'layout': roles.layout, 'sep': opts.sep, 'header': bool(opts.header),
            'feature_names': [str(k) for k in roles.features] if opts.header else None,
            'label_col': roles.ref(roles.label), 'id_col': roles.ref(roles.id),
            'time_col': roles.ref(roles.time),
            'feature_cols': [roles.ref(k) for k in roles.features]
            if opts.feature_cols is not None else None,
            'features_per_step': int(table.features_per_step),
            'window': None if opts.window is None else int(opts.window),
            'stride': int(opts.stride), 'fill': opts.fill,
            'standardize': bool(opts.standardize)}


def options_from_spec(spec, **overrides):
    """:class:`Options` from :func:`spec_to_json`'s dict (``None`` overrides ignored)."""
    feature_cols = spec.get('feature_cols')
    d = dict(layout=spec['layout'], sep=spec.get('sep', ','), header=spec.get('header', True),
             label_col=spec.get('label_col'), id_col=spec.get('id_col'),
             time_col=spec.get('time_col'),
             feature_cols=None if feature_cols is None else ','.join(str(c) for c in feature_cols),
             features_per_step=spec.get('features_per_step', 1), window=spec.get('window'),
             stride=spec.get('stride', 1), fill=spec.get('fill'),
             standardize=spec.get('standardize', True), max_steps=spec.get('max_steps'))
    d.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Options(**d)
    except ParameterError as e:
        # the setting comes from the model's description, not from the caller
        raise UserError('the model description (model.json) is damaged: its "tabular" entry '
                        'has {}={!r}, {}'.format(e.param, d.get(e.param),
                                                 str(e).split(': ', 1)[-1]))


def table_like(path, spec, labels='optional', expect_features=None, predicting=False,
               **overrides):
    """A :class:`Table` reading ``path`` as the file described by ``spec``
    (:func:`spec_to_json`) was read.

    Where that file had a header, feature columns are found by name, in
    any order: a missing one is a :class:`DataError` naming it; columns that
    are neither features nor the label, id or time column are left out and
    listed in the log.  Without a header, columns are taken by position.
    """
    import logging
    path = reading.as_source(path)
    opts = options_from_spec(spec, **overrides)
    names = spec.get('feature_names')
    if not names or not opts.header:
        return _grouped_as_spec(Table(path, opts, labels=labels, expect_features=expect_features,
                                      predicting=predicting), predicting, overrides)
    columns = reading.read_columns(path, opts)
    missing = [n for n in names if n not in columns]
    if missing:
        shown = ', '.join(repr(c) for c in columns[:12]) + (', ...' if len(columns) > 12 else '')
        raise DataError('no feature column {} (the model reads {} feature column{} by name: {}; '
                        'this file has {})'.format(
                            ', '.join(repr(m) for m in missing[:5]), len(names),
                            '' if len(names) == 1 else 's',
                            ', '.join(repr(n) for n in names[:8]) +
                            (', ...' if len(names) > 8 else ''), shown), path=path, line=1)
    opts = dataclasses.replace(opts, feature_cols=list(names))
    table = Table(path, opts, labels=labels, expect_features=expect_features,
                  predicting=predicting)
    roles = table.roles
    extra = [c for c in columns if c not in names and c not in (roles.label, roles.id, roles.time)]
    if extra:
        logging.getLogger(__name__).info(
            '%s: column%s %s left out (not features of the model)', path,
            '' if len(extra) == 1 else 's', ', '.join(repr(c) for c in extra[:10]))
    return _grouped_as_spec(table, predicting, overrides)


def _grouped_as_spec(table, predicting, overrides):
    """The log's words for a wide table whose features per step came from
    ``spec`` (the model or the training file), not from the caller."""
    if table.roles.layout == 'wide' and overrides.get('features_per_step') is None:
        table.roles.grouping = 'as the model reads them' if predicting else \
            'as in the training file'
    return table
