"""Layouts of sequence data in a table and the roles of its columns.

``wide``
    one row per sequence: a label column and one column per step, or ``k``
    columns per step (``features_per_step``), ordered step by step:
    ``s1f1, s1f2, .., s1fk, s2f1, ..``.  MNIST as CSV (label, 784 pixels) is
    this layout.  Unless ``features_per_step`` is given, ``k`` is read from
    step-indexed column names (:func:`group_steps`: ``a1,b1,c1,a2,..``,
    ``x_0,y_0,x_1,..``, ``f1_t0,f2_t0,f1_t1,..``); where the names do not
    tell, one feature per step is assumed and the log says so.
``long``
    one row per step: a sequence-id column, an optional time/order column,
    feature columns and a label that is constant within a sequence.  The
    rows of a sequence are contiguous; sequences may differ in length.
``series``
    one multivariate series with a label on every row, cut into windows of
    ``window`` rows every ``stride`` rows; a window's label is that of its
    last row.

:func:`resolve` picks the layout (when ``auto``) and the column of each role.
"""
import dataclasses
import re

import numpy

from chainer_irnn.errors import DataError, ParameterError, Setting, UserError

LAYOUTS = ('auto', 'wide', 'long', 'series')
ID_NAMES = ('id', 'sequence_id', 'seq', 'seq_id', 'sequence', 'series_id')
TIME_NAMES = ('time', 'timestamp', 't', 'step', 'timestep', 'time_step', 'order')
LABEL_NAMES = ('label', 'labels', 'class', 'target', 'y')
FILLS = ('zero', 'ffill', 'mean')
#: up to this many feature columns, a wide reading of one feature per step
#: (not given, not from the names) is announced as a guess
GUESS_MAX = 32


@dataclasses.dataclass
class Options:
    """How to read a table (the parameters of :func:`read_csv`).

    Column references (``label_col`` .. ``feature_cols``) are header names
    or 1-based column numbers; ``feature_cols`` is a comma-separated list in
    which ``a-b`` is a range of column numbers.  ``label_col='none'`` says
    the file has no labels (prediction only).
    """
    layout: str = 'auto'
    sep: str = ','
    header: bool = True
    label_col: object = None
    id_col: object = None
    time_col: object = None
    feature_cols: object = None
    features_per_step: int = None     #: None: from the column names (wide layout)
    window: int = None
    stride: int = 1
    fill: str = None
    standardize: bool = True
    #: average each sequence over windows of ``ceil(longest training length /
    #: max_steps)`` steps (:mod:`.preprocess`); None: never
    max_steps: int = None

    def __post_init__(self):
        from chainer_irnn.datasets.tabular.preprocess import check_max_steps
        check_max_steps(self.max_steps)
        if self.layout not in LAYOUTS:
            raise ParameterError('layout', 'must be one of {}, not {!r}'.format(
                ', '.join(LAYOUTS), self.layout))
        if self.fill not in (None,) + FILLS:
            raise ParameterError('fill', 'must be one of {}, not {!r}'.format(
                ', '.join(FILLS), self.fill))
        for param, value in (('features_per_step', self.features_per_step),
                             ('stride', self.stride), ('window', self.window)):
            if value is None and param in ('window', 'features_per_step'):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) \
                    or value < 1:
                raise ParameterError(param, 'must be a positive integer, not {!r}'.format(value))
        if not isinstance(self.sep, str) or len(self.sep) != 1:
            raise ParameterError('sep', 'must be one character, not {!r}'.format(self.sep))


@dataclasses.dataclass
class Roles:
    """Column keys (as in the pandas frame) of each role, and the layout."""
    layout: str
    columns: list
    features: list
    label: object = None
    id: object = None
    time: object = None
    header: bool = True
    features_per_step: int = 1      #: wide layout: columns per step
    grouping: str = ''              #: how features_per_step was chosen, for the log
    guess: str = ''                 #: the reading is a guess: what else it may be, and how

    def position(self, key):
        """1-based column number of ``key`` (a dict lookup: files may have
        100,000 columns)."""
        index = self.__dict__.get('_index')
        if index is None or len(index) > len(self.columns):
            index = {}
            for i, k in enumerate(self.columns):
                index.setdefault(k, i + 1)
            self.__dict__['_index'] = index
        return index[key]

    def name(self, key):
        if self.header:
            return '{!r}'.format(key)
        return str(self.position(key))

    def ref(self, key):
        """What is saved in the model config: the name, or the 1-based number."""
        if key is None:
            return None
        return key if self.header else self.position(key)


def _find(columns, spec, path, header, param):
    """The key of the column that ``spec`` (name or 1-based number) names."""
    if isinstance(spec, str) and header and spec in columns:
        return spec
    try:
        number = int(str(spec).strip())
    except ValueError:
        number = None
    if number is not None and 1 <= number <= len(columns):
        return columns[number - 1]
    shown = ', '.join(repr(c) for c in columns[:12]) + (', ...' if len(columns) > 12 else '')
    raise DataError('{}: no such column; the file has {} column{}{}'.format(
        Setting(param, spec), len(columns), '' if len(columns) == 1 else 's',
        ' ({})'.format(shown) if header else ' (give a number from 1)'),
        path=path, line=1)


def _by_name(columns, names, header):
    if not header:
        return None
    lowered = {str(c).strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _feature_list(columns, spec, path, header):
    if isinstance(spec, (list, tuple)):     # names (or numbers) one by one: no ranges
        return [_find(columns, part, path, header, 'feature_cols') for part in spec]
    keys = []
    for part in str(spec).split(','):
        part = part.strip()
        if not part:
            continue
        if header and part in columns:
            keys.append(part)
            continue
        if '-' in part:
            a, _, b = part.partition('-')
            try:
                lo, hi = int(a), int(b)
            except ValueError:
                lo = hi = None
            if lo is not None:
                if not 1 <= lo <= hi <= len(columns):
                    raise DataError('{}: columns are numbered 1 to {}'.format(
                        Setting('feature_cols', part), len(columns)), path=path, line=1)
                keys.extend(columns[lo - 1:hi])
                continue
        keys.append(_find(columns, part, path, header, 'feature_cols'))
    if not keys:
        raise ParameterError('feature_cols', '{!r} names no column'.format(spec))
    return keys


class _Placeholder(str):
    """A value for the user to fill in (``N``), shown unquoted in messages."""

    def __repr__(self):
        return str(self)


class _Tab(str):
    """The tab separator as a message shows it: ``sep='\\t'`` in Python,
    ``--sep $'\\t'`` on a command line (never a literal tab)."""

    def __new__(cls):
        return str.__new__(cls, '\t')

    def __str__(self):
        return "$'\\t'"

    def __format__(self, spec):
        return format(str(self), spec)


def _sep_hint(columns, opts, first_line=None):
    """A hint when the first line reads as one column holding another separator."""
    text = first_line if first_line is not None else ''.join(str(c) for c in columns)
    for sep, name in ((';', 'semicolon'), ('\t', 'tab'), ('|', 'pipe')):
        if sep != opts.sep and sep in text:
            return '; the {} line looks {}-separated: set {}'.format(
                'header' if opts.header else 'first', name,
                Setting('sep', _Tab() if sep == '\t' else sep))
    return ''


def resolve(columns, opts, path, labels='required', first_line=None):
    """Returns the :class:`Roles` of a file's columns under ``opts``.

    ``labels`` is ``'required'`` (training), or ``'optional'`` (prediction:
    a named label column that is absent means the file has no labels).
    ``first_line``: the file's first line, for a separator hint.
    """
    header = opts.header
    explicit = {}
    for role, spec, param in (('id', opts.id_col, 'id_col'),
                              ('time', opts.time_col, 'time_col')):
        if spec is not None:
            explicit[role] = _find(columns, spec, path, header, param)
    label = None
    no_label = opts.label_col is not None and str(opts.label_col).lower() == 'none'
    if labels == 'required' and no_label:
        raise ParameterError('label_col', "'none': training needs a label column")
    if opts.label_col is not None and not no_label:
        if labels == 'optional' and header and isinstance(opts.label_col, str) \
                and opts.label_col not in columns and not opts.label_col.isdigit():
            label = None
        else:
            label = _find(columns, opts.label_col, path, header, 'label_col')
    id_key = explicit.get('id', _by_name(columns, ID_NAMES, header))
    time_key = explicit.get('time')
    layout = opts.layout
    if layout == 'auto':
        layout = 'series' if opts.window else ('long' if id_key is not None else 'wide')
    if layout == 'long' and time_key is None:
        time_key = _by_name(columns, TIME_NAMES, header)
    if layout == 'series' and not opts.window:
        raise ParameterError('window', 'the series layout needs a window (rows per window)')
    if layout == 'long' and id_key is None:
        raise UserError('{}: the long layout needs a sequence-id column: name it id, '
                        'sequence_id or seq, or set {}'.format(path, Setting('id_col')))
    if layout != 'long' and 'time' in explicit:
        raise ParameterError('time_col', 'applies to the long layout only')
    if label is None and opts.label_col is None:
        label = _by_name(columns, LABEL_NAMES, header)
        if label is None and layout == 'wide' and labels == 'required':
            label = next((c for c in columns if c != id_key), None)  # MNIST-as-CSV: label first
        if label is None and labels == 'required':
            raise UserError('{}: which column holds the labels? none is named {}; set {} '
                            'to a name or a number'.format(path, '/'.join(LABEL_NAMES),
                                                           Setting('label_col')))
    used = {k for k in (label, id_key, time_key) if k is not None}
    if len(used) < len([k for k in (label, id_key, time_key) if k is not None]):
        raise UserError('{}: the label, id and time columns must be different columns'.format(path))
    if opts.feature_cols is not None:
        features = _feature_list(columns, opts.feature_cols, path, header)
        clash = [c for c in features if c in used]
        if clash:
            raise ParameterError('feature_cols', 'includes column {} which is the label, id '
                                 'or time column'.format(clash[0]))
    else:
        features = [c for c in columns if c not in used]
    if not features:
        raise DataError('no feature columns (the file has only {} column{}){}'.format(
            len(columns), '' if len(columns) == 1 else 's',
            _sep_hint(columns, opts, first_line)),
            path=path, line=1)
    grouping = ''
    if opts.features_per_step is not None:
        k = int(opts.features_per_step)
        if layout == 'wide':
            grouping = '{} given'.format(Setting('features_per_step', k))
    elif layout == 'wide':
        k, grouping = group_steps(features, header)
    else:
        k = 1
    if layout != 'wide' and k != 1:
        raise ParameterError('features_per_step', 'applies to the wide layout only; in the {} '
                             'layout every feature column is one feature of each '
                             'step'.format(layout))
    if layout == 'wide' and len(features) % k:
        raise DataError('{} feature columns do not split into steps of {} features '
                        '({})'.format(len(features), k, Setting('features_per_step')),
                        path=path, line=1,
                        column=len(columns))
    guess = ''
    if layout == 'wide' and opts.layout == 'auto' and opts.features_per_step is None \
            and k == 1 and 1 < len(features) <= GUESS_MAX:
        n = len(features)
        shown = ', '.join(str(c) for c in features[:4]) + (', ...' if n > 4 else '')
        guess = ('columns {} read as {} steps of 1 feature, each row one sequence (a guess); '
                 'if each row is one observation of {} features, set {} to read windows of N '
                 'consecutive rows, or {} to group rows by a sequence-id column ({} confirms '
                 'the reading)'.format(shown, n, n, Setting('window', _Placeholder('N')),
                                       Setting('id_col'), Setting('features_per_step', 1)))
    return Roles(layout=layout, columns=list(columns), features=features, label=label,
                 id=id_key, time=time_key, header=header, features_per_step=k,
                 grouping=grouping, guess=guess)


_STEP_NAME = re.compile(r'^(.*?)(\d+)$')


def group_steps(names, header=True):
    """``(k, why)``: the features per step that the column ``names`` show.

    Names that end in a step number, in step order with the same features
    at each step (``a1,b1,c1,a2,b2,c2,..``, ``x_0,y_0,x_1,y_1,..``,
    ``f1_t0,f2_t0,f1_t1,..``, or ``t1,t2,..`` for one feature), give ``k``;
    other names give 1, with a ``why`` that says it was assumed and how to
    change it.
    """
    assumed = ('one feature per step assumed ({}); if each step has K consecutive '
               'columns, set {}')
    if not header:
        return 1, assumed.format('no header to read steps from', Setting('features_per_step'))
    parsed = []
    for name in names:
        m = _STEP_NAME.match(str(name).strip())
        if not m or not m.group(1):
            return 1, assumed.format('the column names do not end in step numbers',
                                     Setting('features_per_step'))
        parsed.append((m.group(1), int(m.group(2))))
    groups = []
    for stem, step in parsed:
        if groups and groups[-1][0] == step:
            groups[-1][1].append(stem)
        else:
            groups.append((step, [stem]))
    stems = groups[0][1]
    steps = [g[0] for g in groups]
    ok = len(groups) >= 2 and len(set(stems)) == len(stems) and \
        all(g[1] == stems for g in groups) and \
        all(b > a for a, b in zip(steps, steps[1:]))
    if not ok:
        return 1, assumed.format('the column names show no step-by-step grouping',
                                 Setting('features_per_step'))
    shown = ','.join(str(n) for n in names[:min(len(names), 2 * len(stems) + 1)])
    return len(stems), '{} feature{} per step from the column names ({},...)'.format(
        len(stems), '' if len(stems) == 1 else 's', shown)
