"""Building, saving and loading whole models.

A saved model is two files side by side: ``model.npz`` (parameters, Chainer's
npz format, plus a copy of ``model.json``) and ``model.json`` (the architecture
and everything needed to feed it: input kind, pixel permutation, label names,
feature statistics).
"""
import io
import json
import logging
import math
import os

import chainer.links as L
from chainer import initializers

from chainer_irnn import io as irnn_io
from chainer_irnn.errors import ParameterError, UserError
from chainer_irnn.functions.rnn.irnn_recurrence import ACTIVATIONS
from chainer_irnn.links import Ensemble, HierarchicalRNN, IRNN, RecurrentClassifier, RowRNN
from chainer_irnn.links.irnn import AUGMENT_SCALE_MAX, POOLS

MODEL_FILE = 'model.npz'
CONFIG_FILE = 'model.json'
#: The entry of ``model.npz`` that holds the text of its ``model.json``.
DESCRIPTION_ENTRY = 'chainer_irnn.model.json'
#: The most bytes a model description (``model.json``, or its copy inside
#: ``model.npz``) may hold before anything of it is read, beyond
#: :data:`DESCRIPTION_BYTES_PER_ELEMENT` per parameter element (the class
#: names, ``tabular.mean`` and ``tabular.std`` grow with the model).
MAX_DESCRIPTION_BYTES = 4 * 2 ** 20
DESCRIPTION_BYTES_PER_ELEMENT = 64
#: the model kinds :func:`build_model` builds, and the IRNN's inputs
MODELS = ('irnn', 'hrnn', 'rows-rnn')
INPUTS = ('embed', 'linear')
ARCH_KEYS = ('model', 'in_size', 'hidden', 'input', 'activation',
             'identity_scale', 'input_std', 'n_class')
#: what a model file may need its reader to understand beyond the first
#: model.json (``"requires"``); a release reading a file that names anything
#: else refuses it, instead of predicting with a different model
FEATURES = ('ensemble', 'pool', 'window_mean', 'bidirectional')


def requirements(config):
    """The :data:`FEATURES` that ``config`` (a model description) uses:
    what a reader must apply to predict as the model was trained."""
    needs = []
    if (config.get('ensemble') or 1) > 1:
        needs.append('ensemble')
    if config.get('pool', 'last') != 'last':
        needs.append('pool')
    if config.get('bidirectional'):
        needs.append('bidirectional')
    tabular = config.get('tabular')
    if isinstance(tabular, dict) and (tabular.get('window_mean') or 1) > 1:
        needs.append('window_mean')
    return needs


def build_model(config, impl='fused'):
    """Returns ``L.Classifier(RecurrentClassifier(encoder, n_class))``, or
    ``L.Classifier(Ensemble(...))`` of ``config['ensemble']`` such members."""
    k = config.get('ensemble') or 1
    if k > 1:
        return L.Classifier(Ensemble(_member(config, impl) for _ in range(k)))
    return L.Classifier(_member(config, impl))


def _member(config, impl):
    kind = config.get('model', 'irnn')
    if kind == 'irnn':
        encoder = IRNN(config['in_size'], tuple(config['hidden']), input=config['input'],
                       activation=config['activation'],
                       identity_scale=config.get('identity_scale', 1.0),
                       input_std=config.get('input_std', 0.001), impl=impl,
                       dropout=config.get('dropout', 0.0),
                       input_dropout=config.get('input_dropout', 0.0),
                       input_noise=config.get('input_noise', 0.0),
                       pool=config.get('pool', 'last'),
                       augment_scale=config.get('augment_scale', 0.0),
                       augment_slice=config.get('augment_slice', 0.0),
                       bidirectional=config.get('bidirectional', False))
    elif kind in ('hrnn', 'rows-rnn'):
        hidden, n = tuple(config['hidden']), 2 if kind == 'hrnn' else 1
        if len(hidden) != n:
            raise ParameterError('hidden', 'model {!r} takes {} hidden size{}, got {}'.format(
                kind, n, 's (row, column)' if n == 2 else '', list(hidden)))
        encoder = (HierarchicalRNN(*hidden) if kind == 'hrnn'
                   else RowRNN(config['in_size'], hidden[0], impl=impl))
    else:
        raise UserError('unknown model kind {!r}'.format(kind))
    predictor = RecurrentClassifier(encoder, config['n_class'])
    if kind != 'irnn':  # Keras' Dense default, as in the Keras examples these reproduce
        initializers.GlorotUniform()(predictor.head.W.array)
    return predictor


def save_model(model, config, directory):
    """Writes ``model.npz`` and ``model.json`` into ``directory``.

    Each file is written whole and renamed into place, ``model.npz`` first;
    ``model.npz`` also holds the text of ``model.json`` (entry
    :data:`DESCRIPTION_ENTRY`), so after a crash between the two renames
    :func:`load_model` loads the new weights with their own description
    (and rewrites ``model.json``), never under the old one.  The description
    written names the :func:`requirements` it uses (``"requires"``), so that
    a release that cannot apply them refuses the file.
    """
    import numpy
    from chainer.serializers.npz import serialize
    os.makedirs(directory, exist_ok=True)
    config = {k: v for k, v in config.items() if k != 'requires'}
    needs = requirements(config)
    if needs:
        config['requires'] = needs
    text = irnn_io.json_text(config)
    arrays = serialize(model.predictor)
    arrays[DESCRIPTION_ENTRY] = numpy.frombuffer(text.encode('utf-8'), dtype=numpy.uint8)
    buf = io.BytesIO()
    numpy.savez_compressed(buf, **arrays)
    irnn_io.write_pair((os.path.join(directory, MODEL_FILE), buf.getvalue()),
                       (os.path.join(directory, CONFIG_FILE), text))


def model_paths(path):
    """``(npz, json)`` for a model directory or a ``model.npz`` path."""
    if os.path.isdir(path):
        return os.path.join(path, MODEL_FILE), os.path.join(path, CONFIG_FILE)
    return path, os.path.join(os.path.dirname(path) or '.', CONFIG_FILE)


logger = logging.getLogger(__name__)
#: the most members a model file may describe (each is a whole network)
MAX_MEMBERS = 100
#: the most steps a model file may average into one (tabular.window_mean)
MAX_WINDOW = 10 ** 6


def load_model(path, impl='fused'):
    """Loads a model saved by :func:`save_model`; returns ``(model, config)``.

    Every way this can fail (missing, truncated, foreign, unsafe or
    mismatched files) ends in a :class:`~chainer_irnn.errors.UserError`
    naming the file.  The description used is checked
    (:func:`check_description`) and every array of ``model.npz`` must be
    one it has, of the shape it gives, before anything is built or read
    (only headers are read to compare; nothing is unpickled).

    ``model.npz`` holds the description it was saved with: where
    ``model.json`` is missing, unreadable or says something else (a save
    killed between its two renames, or an edit) and that stored
    description fits the arrays, the model loads with it, one warning
    naming the files is logged and ``model.json`` is rewritten from it
    (when the folder is writable).  A model saved before ``model.npz``
    held its description needs a ``model.json`` that fits its arrays.
    """
    npz, cfg = model_paths(path)
    if not os.path.exists(npz):
        raise UserError('{}: no such model file (give a directory written by '
                        'training, or its model.npz)'.format(npz))
    try:
        # one open file for every read: a save renaming a new model.npz into
        # place meanwhile cannot mix two saves in one load
        f = open(npz, 'rb')
    except OSError as e:
        raise UserError('{}: not a readable model file ({})'.format(npz, e.strerror or e))
    with f:
        try:
            headers = irnn_io.npz_headers(f, 'model', name=npz)
        except UserError:
            _config_problem(cfg, npz)   # a model.json at fault too is named first, as always
            raise
        cap = MAX_DESCRIPTION_BYTES + DESCRIPTION_BYTES_PER_ELEMENT * sum(
            math.prod(shape) for key, (shape, _) in headers.items() if key != DESCRIPTION_ENTRY)
        if DESCRIPTION_ENTRY not in headers:       # saved before model.npz held it
            config = _read_config_file(cfg, npz, cap)
            check_description(config, cfg)
            _check_arrays(npz, cfg, config, headers)
        else:
            text, stored = _stored_description(f, npz, headers, cap)
            try:
                config = _read_config_file(cfg, npz, cap)
            except UserError as e:
                config, problem = None, 'is missing' if not os.path.exists(cfg) else \
                    'is not usable ({})'.format(str(e).replace(cfg + ': ', '', 1))
            else:
                problem = None if _same(config, stored) else \
                    _difference(cfg, npz, config, stored)
            if problem is None:
                check_description(config, cfg)
                _check_arrays(npz, cfg, config, headers)
            else:
                entry = '{} (the description saved inside it)'.format(npz)
                check_description(stored, entry)
                _check_arrays(npz, entry, stored, headers)
                config = stored
                _repair(cfg, npz, text, problem, f)
        model = build_model(config, impl=impl)
        f.seek(0)
        irnn_io.load_npz(f, model.predictor, 'model', name=npz, exact=True,
                         ignore=(DESCRIPTION_ENTRY,))
    return model, config


def _read_config_file(cfg, npz, cap):
    if not os.path.exists(cfg):
        raise UserError('{}: missing; it describes the architecture of {} and '
                        'is written beside it by training'.format(cfg, npz))
    config = irnn_io.load_json(cfg, 'chainer-irnn model description', hint=None, max_bytes=cap)
    if not isinstance(config, dict):
        raise UserError('{}: not a chainer-irnn model description (a JSON object)'.format(cfg))
    return config


def _config_problem(cfg, npz):
    """Raises what is wrong with ``model.json`` on its own, if anything."""
    config = _read_config_file(cfg, npz, None)
    missing = [k for k in ARCH_KEYS if k not in config]
    if missing:
        raise UserError('{}: missing keys {}'.format(cfg, ', '.join(missing)))


def _stored_description(f, npz, headers, cap):
    """``(text, value)`` of the description inside ``model.npz``, its size
    checked against ``cap`` before it is read."""
    shape, dtype = headers[DESCRIPTION_ENTRY]
    if len(shape) != 1 or dtype.kind != 'u' or dtype.itemsize != 1:
        raise UserError('{}: not a readable model file (entry {} is not text: shape {}, '
                        '{})'.format(npz, DESCRIPTION_ENTRY, shape, dtype))
    f.seek(0)
    raw = irnn_io.read_npz(f, 'model', name=npz, keys=(DESCRIPTION_ENTRY,),
                           max_bytes=cap)[DESCRIPTION_ENTRY]
    try:
        text = raw.tobytes().decode('utf-8')
        del raw
        value = json.loads(text)
    except RecursionError:
        raise UserError('{}: not a readable model file (damaged description: JSON nested too '
                        'deeply)'.format(npz))
    except (ValueError, UnicodeDecodeError) as e:
        raise UserError('{}: not a readable model file (damaged description: {})'.format(npz, e))
    if not isinstance(value, dict):
        raise UserError('{}: not a readable model file (its description is not a JSON '
                        'object)'.format(npz))
    return text, value


def _same(a, b):
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _difference(cfg, npz, config, stored):
    """How ``model.json`` differs from the description inside ``model.npz``."""
    diffs = list(_differences(config, stored))
    what = '; '.join('{} {} in {}, {} in {}'.format(
        key, _short(a), os.path.basename(cfg), _short(b), os.path.basename(npz))
        for key, a, b in diffs[:2])
    return 'differs from the description saved inside {} ({}{})'.format(
        os.path.basename(npz), what or 'different JSON', '; ...' if len(diffs) > 2 else '')


_warned = set()


def _repair(cfg, npz, text, problem, f):
    """Rewrites ``model.json`` from the description inside ``model.npz``
    (``f``, still open) and logs one line saying so."""
    try:
        current = os.stat(npz)
        opened = os.fstat(f.fileno())
        if (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
            raise OSError('{} was replaced meanwhile'.format(npz))   # a save is under way
        irnn_io.write_file(cfg, text)
    except OSError as e:
        key = os.path.abspath(cfg)
        if key not in _warned:
            _warned.add(key)
            logger.warning('%s %s: loaded %s with the description saved inside it; %s was '
                           'left as it is (%s)', cfg, problem, npz, os.path.basename(cfg),
                           getattr(e, 'strerror', None) or e)
        return
    logger.warning('%s %s: loaded %s with the description saved inside it and rewrote %s '
                   'from it (the files came from different saves: an interrupted save, or '
                   'an edit)', cfg, problem, npz, os.path.basename(cfg))


def load_params(path, target, what='model'):
    """Loads ``.npz`` parameters into ``target`` safely (nothing unpickled,
    exact shapes); every failure a :class:`UserError` naming the file (see
    :func:`chainer_irnn.io.load_npz`)."""
    irnn_io.load_npz(path, target, what, ignore=(DESCRIPTION_ENTRY,))


_MISSING = object()


def _short(value, limit=60):
    if value is _MISSING:
        return 'missing'
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _differences(a, b, prefix=''):
    """``(dotted key, value in a, value in b)`` where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key, _MISSING), b.get(key, _MISSING)
            if x is _MISSING or y is _MISSING or \
                    json.dumps(x, sort_keys=True) != json.dumps(y, sort_keys=True):
                yield from _differences(x, y, prefix + str(key) + '.')
    else:
        yield prefix.rstrip('.') or 'the description', a, b


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _alternatives(choices):
    """``"'a', 'b' or 'c'"``."""
    return ' or '.join(filter(None, (', '.join(map(repr, choices[:-1])), repr(choices[-1]))))


def check_description(config, path=CONFIG_FILE):
    """Refuses a model description (the ``model.json`` dict) whose values
    cannot describe a model: a :class:`UserError` naming ``path`` and the key.
    """
    def bad(key, why):
        raise UserError('{}: {} {} {}'.format(path, key, _short(config.get(key)), why))

    needs = config.get('requires', [])
    if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
        bad('requires', 'must be a list of feature names')
    unknown = [n for n in needs if n not in FEATURES]
    if unknown:
        from chainer_irnn._version import __version__
        raise UserError('{}: the model needs {} {}, which chainer-irnn {} does not know: '
                        'it was saved by a newer release; upgrade chainer-irnn to use '
                        'it'.format(path, 'features' if len(unknown) > 1 else 'the feature',
                                    ', '.join(map(repr, unknown[:5])), __version__))
    missing = [k for k in ARCH_KEYS if k not in config]
    if missing:
        raise UserError('{}: missing keys {}'.format(path, ', '.join(missing)))
    if config['model'] not in MODELS:
        bad('model', 'is not a model kind ({})'.format(_alternatives(MODELS)))
    if not _positive_int(config['in_size']):
        bad('in_size', 'must be a positive integer')
    hidden = config['hidden']
    if not isinstance(hidden, list) or not hidden or not all(_positive_int(h) for h in hidden):
        bad('hidden', 'must be a list of one or more positive integers')
    if config['input'] not in INPUTS:
        bad('input', 'must be ' + _alternatives(INPUTS))
    if config['activation'] not in ACTIVATIONS:
        bad('activation', 'must be ' + _alternatives(ACTIVATIONS))
    if 'ensemble' in config and config['ensemble'] is not None and \
            not (_positive_int(config['ensemble']) and config['ensemble'] <= MAX_MEMBERS):
        bad('ensemble', 'must be the number of members, 1 to {}'.format(MAX_MEMBERS))
    if config.get('pool', 'last') not in POOLS:
        bad('pool', 'must be ' + _alternatives(POOLS))
    if config.get('pool', 'last') != 'last' and config['model'] != 'irnn':
        bad('pool', "is an irnn setting; model {!r} reads its last state".format(
            config['model']))
    if not isinstance(config.get('bidirectional', False), bool):
        bad('bidirectional', 'must be true or false')
    if config.get('bidirectional') and config['model'] != 'irnn':
        bad('bidirectional', 'is an irnn setting; model {!r} reads one way'.format(
            config['model']))
    for key in ('identity_scale', 'input_std'):
        if not _number(config[key]):
            bad(key, 'must be a finite number')
    for key in ('dropout', 'input_dropout', 'input_noise', 'augment_scale', 'augment_slice'):
        if key in config and not (_number(config[key]) and config[key] >= 0):
            bad(key, 'must be a number >= 0')
    if 'augment_slice' in config and config['augment_slice'] >= 1:
        bad('augment_slice', 'must be a number >= 0 and < 1')
    if 'augment_scale' in config and config['augment_scale'] > AUGMENT_SCALE_MAX:
        # the link's bound: named here with the file, not as the link's error
        bad('augment_scale', 'must be a number >= 0 and <= {}'.format(AUGMENT_SCALE_MAX))
    for key in ('augment_scale', 'augment_slice'):
        if config.get(key) and config['model'] == 'irnn' and config['input'] == 'embed':
            bad(key, "augments float input; input 'embed' takes integer ids")
    n = config['n_class']
    if not _positive_int(n):
        bad('n_class', 'must be a positive integer')
    if 'classes' in config and config['classes'] is not None and \
            (not isinstance(config['classes'], list) or len(config['classes']) != n):
        bad('classes', 'must be a list of n_class {} names'.format(n))
    permutation = config.get('permutation')
    if permutation is not None and (not isinstance(permutation, list) or
                                    sorted(permutation) != list(range(len(permutation)))):
        raise UserError('{}: permutation must be a list of the pixel indices 0..N-1, '
                        'each once'.format(path))
    tab = config.get('tabular')
    if tab is None:
        return
    if not isinstance(tab, dict):
        raise UserError('{}: tabular must be a JSON object'.format(path))
    for key in ('classes', 'mean', 'std'):
        if key not in tab:
            raise UserError('{}: tabular.{} is missing'.format(path, key))
    classes = tab['classes']
    if not isinstance(classes, list) or len(classes) != n:
        raise UserError('{}: tabular.classes holds {} for n_class {}'.format(
            path, '{} names'.format(len(classes)) if isinstance(classes, list)
            else 'no list', n))
    for key in ('mean', 'std'):
        v = tab[key]
        if not isinstance(v, list) or len(v) != config['in_size'] or \
                not all(_number(x) for x in v):
            raise UserError('{}: tabular.{} must be a list of in_size {} finite numbers{}'.format(
                path, key, config['in_size'], ' (it holds {})'.format(len(v))
                if isinstance(v, list) and len(v) != config['in_size'] else ''))
    if tab.get('standardize', True) and not all(x > 0 for x in tab['std']):
        raise UserError('{}: tabular.std must be positive (a divisor)'.format(path))
    if 'window_mean' in tab and not (_positive_int(tab['window_mean']) and
                                     tab['window_mean'] <= MAX_WINDOW):
        raise UserError('{}: tabular.window_mean {} must be a positive integer up to {} (the '
                        'steps averaged into one)'.format(path, _short(tab['window_mean']),
                                                          MAX_WINDOW))


def expected_shapes(config):
    """``{entry: shape}`` of the parameters :func:`build_model` makes from
    ``config``, computed without building anything."""
    n, hidden, in_size = config['n_class'], list(config['hidden']), config['in_size']
    shapes = {}
    if config.get('model', 'irnn') == 'hrnn':
        for name, d_in, h in (('row', 1, hidden[0]), ('col', hidden[0], hidden[-1])):
            shapes['encoder/{}/upward/W'.format(name)] = (4 * h, d_in)
            shapes['encoder/{}/upward/b'.format(name)] = (4 * h,)
            shapes['encoder/{}/lateral/W'.format(name)] = (4 * h, h)
    else:
        # a bidirectional IRNN has a second stack of the same shapes
        stacks = ['encoder/', 'encoder/reverse/'] if config.get('bidirectional') else \
            ['encoder/']
        for stack in stacks:
            shapes[stack + 'input_map/W'] = (in_size, hidden[0]) \
                if config.get('model', 'irnn') == 'irnn' and config['input'] == 'embed' \
                else (hidden[0], in_size)
            for k, h in enumerate(hidden):
                if k > 0:
                    shapes[stack + 'proj{}/W'.format(k)] = (h, hidden[k - 1])
                shapes[stack + 'rec{}/W'.format(k)] = (h, h)
                shapes[stack + 'rec{}/b'.format(k)] = (h,)
    shapes['head/W'] = (n, hidden[-1] * (2 if config.get('bidirectional') else 1))
    shapes['head/b'] = (n,)
    k = config.get('ensemble') or 1
    if k > 1:
        return {'{}/{}'.format(i, key): shape for i in range(k) for key, shape in shapes.items()}
    return shapes


def _check_arrays(npz, cfg, config, headers):
    """Every array of ``model.npz`` is one ``config`` describes, of its shape."""
    layers = {'hrnn': 2, 'rows-rnn': 1}.get(config['model'])
    if layers is not None and len(config['hidden']) != layers:
        raise UserError('{}: hidden {} for model {}, which takes {} size{}'.format(
            cfg, config['hidden'], config['model'], layers, 's' if layers > 1 else ''))
    want = expected_shapes(config)
    have = {k: v for k, v in headers.items() if k != DESCRIPTION_ENTRY}
    arch = 'model {}, in_size {}, hidden {}, n_class {}'.format(
        config['model'], config['in_size'], config['hidden'], config['n_class'])
    extra = sorted(set(have) - set(want))
    if extra:
        raise UserError('{}: holds {} of shape {}, which {} ({}) does not describe; the two '
                        'files belong to different models'.format(
                            npz, extra[0], have[extra[0]][0], cfg, arch))
    for key in sorted(want):
        if key not in have:
            raise UserError('{}: has no {}, which {} ({}) describes; the two files belong to '
                            'different models'.format(npz, key, cfg, arch))
        shape, dtype = have[key]
        if shape != want[key]:
            raise UserError('{}: holds {} of shape {}; {} ({}) gives {}; the two files '
                            'belong to different models'.format(
                                npz, key, shape, cfg, arch, want[key]))
        if dtype.kind != 'f':
            raise UserError('{}: holds {} as {}, not floats'.format(npz, key, dtype))
