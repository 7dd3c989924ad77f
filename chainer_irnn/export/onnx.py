"""A trained IRNN classifier as an ONNX graph, for runtimes without Chainer.

An IRNN layer is exactly ONNX's ``RNN`` operator: for ``t = 1..T``

    IRNN (:class:`~chainer_irnn.links.IRNN`):  h_t = f(P x_t + R h_{t-1} + b)
    ONNX RNN:                                  H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb)

with ``W = P`` (Chainer's ``Linear.W`` is ``(out, in)``, as ONNX's ``W`` of
one direction), ``R`` the recurrent ``Linear.W``, ``Wb = b`` and ``Rb = 0``,
``f`` ``Relu`` or ``Tanh`` (``activation='relu'``/``'tanh'``), no initial
state (the IRNN starts from zeros; ``initial_h`` left out) and the batch's
``lengths`` as ``sequence_lens``: past its length a sequence's state no
longer changes in the IRNN, and ONNX's ``Y_h`` is each sequence's state at
its last valid step, the state the IRNN returns (``hs[-1]``).  Stacked
layers feed ``Y`` (squeezed) into the next ``RNN`` with the projection
``proj{k}.W`` as its ``W``; ONNX zero-fills ``Y`` past each length where the
IRNN repeats the frozen state, which changes nothing because the next layer
ignores those steps too.  An ``embed`` input (``EmbedID``, no bias) is a
``Gather`` of the embedding rows followed by an ``RNN`` whose ``W`` is the
identity (exact in float32: each output sums one product by 1 and zeros).
Dropout, input noise and the input augmentations act in training only, so
the exported graph, like ``predict``, has none.  The head is ``Gemm`` (the ``Linear``) and
``Softmax``.  It reads ``Y_h`` of the last layer (``pool='last'``), or for a
pooled model (``pool='mean'``/``'max'`` in ``model.json``) the mean or
element-wise maximum of that layer's ``Y`` over each sequence's own steps:
the steps at or past its length are masked out (``Range`` < ``lengths``,
``Where``), as ``IRNN._pooled`` masks them, and the mean divides by the
length (``ReduceSum``, ``Div``; ``ReduceMax`` over ``-inf`` for the maximum).
A bidirectional IRNN (``"bidirectional": true``) adds its ``reverse`` stack as
``RNN`` layers with ``direction='reverse'`` and the same ``sequence_lens``:
ONNX's reverse direction reads each sequence from its step ``lengths - 1``
down to its first and writes each state at the step it belongs to, so the
next reverse layer, ``Y_h`` (the state after the first step) and the pooling
take it as they take the forward stack's; the two pooled vectors are joined
(``Concat``, forward first) before the head.

The graph (opset :data:`OPSET`, IR version :data:`IR_VERSION`):

* input ``x``: ``(batch, steps, features)`` float32 values exactly as the CSV
  holds them — the training fill of missing cells (``zero``, ``mean`` or
  ``ffill``) and standardisation (``(x - mean) / std``, in float64 as
  :class:`~chainer_irnn.datasets.tabular.Preprocessor` does) are inside the
  graph, and so is the averaging over windows of ``k`` steps of a model
  trained with ``max_steps`` (``"window_mean": k`` in model.json: each
  sequence's own steps, ``t < lengths``, in windows of ``k``, the last one
  over the steps it has; the RNN then reads ``ceil(lengths / k)`` steps) —
  or, for ``embed`` models, ``(batch, steps)`` int64 tokens;
* input ``lengths`` (optional): ``(batch,)`` int64 true lengths, each in
  ``1..steps``, of a zero-padded batch; left out, every sequence has
  ``steps`` steps (its default is one huge value, clipped to ``steps``);
* output ``probabilities``: ``(batch, classes)`` float32.

Class names, feature names and the model's ``model.json`` go into the
model's metadata (``metadata_props``: ``classes``, ``feature_names``,
``input``, ``model.json``).

The graph is built with ``onnx.helper``: onnx-chainer 1.6.0 (Chainer's own
exporter) cannot trace inside the fused recurrence node, and it does not
import with today's ``onnx`` (it needs ``onnx.mapping``, removed from onnx).

Models other than these are refused with one message naming what cannot be
exported (for instance ``model 'hrnn'``, whose layers are LSTMs).
"""
import json
import os

import numpy

from chainer_irnn.errors import ParameterError, UserError

#: The ONNX operator set the graph is written for (default of :func:`to_onnx`).
OPSET = 17
#: The ONNX IR version written (IR 8 is the one of opset 17: onnx 1.12 and
#: onnxruntime 1.12 and later read it).
IR_VERSION = 8
#: The lowest opset the graph can be written for (``Shape`` with ``start``).
MIN_OPSET = 15

INPUT, LENGTHS, OUTPUT = 'x', 'lengths', 'probabilities'
_ACTIVATIONS = {'relu': 'Relu', 'tanh': 'Tanh'}
_NO_LENGTH = numpy.iinfo(numpy.int64).max
#: What feeds the head: each sequence's last state, or the mean or maximum of
#: the last layer's states over its own steps (:class:`~chainer_irnn.links.IRNN`'s ``pool``).
POOLS = ('last', 'mean', 'max')


def _import_onnx():
    try:
        import onnx
        from onnx import helper  # NOQA
    except ImportError as e:
        raise UserError("exporting to ONNX needs the onnx package ({}); install it with "
                        "pip install 'chainer-irnn[onnx]'".format(e))
    return onnx


def _cpu(param):
    from chainer.backends import cuda
    if param is None or param.array is None:
        return None
    return numpy.asarray(cuda.to_cpu(param.array), dtype=numpy.float32)


class _Spec(object):
    """What the graph needs, as NumPy arrays and plain values."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _refuse(what):
    raise UserError('cannot export to ONNX: {}; ONNX export covers IRNN classifiers (models '
                    "'irnn' and 'rows-rnn': an IRNN encoder, stacked or not, and one Linear "
                    'head)'.format(what))


def spec(model, description):
    """Checks that ``model`` can be exported and reads what the graph needs.

    Args:
        model: a ``chainer.links.Classifier`` wrapping a
            :class:`~chainer_irnn.links.RecurrentClassifier` (what
            :func:`chainer_irnn.load_model` and training build), or the
            ``RecurrentClassifier`` itself.
        description (dict): its ``model.json``.

    Returns:
        an object with the layers' weights, the head, the input kind and
        the preprocessing.

    Raises:
        UserError: one line naming what cannot be exported.
    """
    import chainer.links as L

    from chainer_irnn.links import HierarchicalRNN, IRNN, RecurrentClassifier, RowRNN

    kind = description.get('model', 'irnn')
    for key in ('ensemble', 'members'):
        if description.get(key):
            _refuse('an ensemble ({!r} in model.json)'.format(key))
    predictor = model.predictor if isinstance(model, L.Classifier) else model
    if type(predictor) is not RecurrentClassifier:
        _refuse('the classifier {} (not a RecurrentClassifier)'.format(type(predictor).__name__))
    if getattr(predictor, 'pool', None) not in (None, 'last'):
        _refuse('the pooled head (pool={!r})'.format(predictor.pool))
    encoder = predictor.encoder
    if isinstance(encoder, HierarchicalRNN):
        _refuse("model {!r}: its HierarchicalRNN encoder is made of LSTM layers".format(kind))
    if type(encoder) not in (IRNN, RowRNN):
        _refuse('model {!r}: the encoder {} is not an IRNN'.format(kind, type(encoder).__name__))
    if type(predictor.head) is not L.Linear:
        _refuse('the head {} (not a Linear)'.format(type(predictor.head).__name__))
    hidden = tuple(encoder.hidden)
    bidirectional = bool(getattr(encoder, 'bidirectional', False))
    stacks = ('/encoder/', '/encoder/reverse/') if bidirectional else ('/encoder/',)
    expected = {'/head/W', '/head/b'}
    for stack in stacks:
        expected.add(stack + 'input_map/W')
        for k in range(len(hidden)):
            expected |= {stack + 'rec{}/W'.format(k), stack + 'rec{}/b'.format(k)}
            if k:
                expected.add(stack + 'proj{}/W'.format(k))
    names = {name for name, _ in predictor.namedparams()}
    if names - expected:
        _refuse('parameters outside the IRNN and its head: {}'.format(
            ', '.join(sorted(names - expected))))
    pool = getattr(encoder, 'pool', 'last')
    if pool not in POOLS:
        _refuse('the pooled head (pool={!r})'.format(pool))
    if description.get('pool', 'last') != pool:
        _refuse("model.json's pool {!r}, where the model pools {!r}".format(
            description.get('pool', 'last'), pool))
    if bool(description.get('bidirectional', False)) != bidirectional:
        _refuse("model.json's bidirectional {}, where the model reads {}".format(
            json.dumps(description.get('bidirectional', False)),
            'both ways' if bidirectional else 'one way'))
    if encoder.activation not in _ACTIVATIONS:
        _refuse('activation {!r}'.format(encoder.activation))
    if any(p.array is None for _, p in predictor.namedparams()):
        _refuse('parameters not initialised')

    def layers_of(stack):
        layers = []
        for k, size in enumerate(hidden):
            rec = getattr(stack, 'rec{}'.format(k))
            if k == 0:
                W = numpy.eye(size, dtype=numpy.float32) if encoder.input == 'embed' \
                    else _cpu(stack.input_map.W)
            else:
                W = _cpu(getattr(stack, 'proj{}'.format(k)).W)
            b = _cpu(rec.b)
            layers.append({'W': W, 'R': _cpu(rec.W),
                           'b': numpy.zeros(size, numpy.float32) if b is None else b})
        return layers

    layers = layers_of(encoder)
    reverse = None
    if bidirectional:
        reverse = {'layers': layers_of(encoder.reverse),
                   'embed': _cpu(encoder.reverse.input_map.W)
                   if encoder.input == 'embed' else None}
    head_b = _cpu(predictor.head.b)
    head_W = _cpu(predictor.head.W)
    if head_b is None:
        head_b = numpy.zeros(head_W.shape[0], numpy.float32)
    tab = description.get('tabular') or {}
    prep = None
    if tab and encoder.input != 'embed':
        fill = tab.get('fill')
        if fill not in (None, 'zero', 'mean', 'ffill'):
            _refuse('the missing-value fill {!r}'.format(fill))
        prep = {'mean': numpy.asarray(tab['mean'], dtype=numpy.float64),
                'std': numpy.asarray(tab['std'], dtype=numpy.float64),
                'fill': fill, 'standardize': bool(tab.get('standardize', True)),
                'window_mean': int(tab.get('window_mean', 1))}
    return _Spec(input=encoder.input, in_size=int(encoder.in_size), hidden=hidden,
                 activation=_ACTIVATIONS[encoder.activation], layers=layers,
                 embed=_cpu(encoder.input_map.W) if encoder.input == 'embed' else None,
                 head_W=head_W, head_b=head_b, n_class=int(head_W.shape[0]), prep=prep,
                 kind=kind, pool=pool, reverse=reverse)


def build(model, description, classes=None, opset=OPSET):
    """The ONNX model (``onnx.ModelProto``) of a trained classifier.

    Args:
        model, description: as for :func:`spec`.
        classes (list of str): class names in the order of the output
            columns (default: from ``description``, else ``0..n-1``).
        opset (int): the ONNX operator set, ``15`` up to what the installed
            ``onnx`` knows (default :data:`OPSET`).

    Raises:
        UserError: the model cannot be exported, or ``onnx`` is missing.
        ParameterError: ``opset`` out of range.
    """
    onnx = _import_onnx()
    from onnx import TensorProto, helper, numpy_helper

    top = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or isinstance(opset, bool) or not MIN_OPSET <= opset <= top:
        raise ParameterError('opset', 'must be an integer from {} to {} (what the installed '
                             'onnx {} knows), not {!r}'.format(MIN_OPSET, top,
                                                               onnx.__version__, opset))
    s = spec(model, description)
    if classes is None:
        tab = description.get('tabular') or {}
        classes = tab.get('classes') or description.get('classes') or \
            [str(i) for i in range(s.n_class)]
    classes = [str(c) for c in classes]
    if len(classes) != s.n_class:
        raise ParameterError('classes', '{} names for a model of {} classes'.format(
            len(classes), s.n_class))

    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(numpy.asarray(array), name))
        return name

    def node(op, inputs, outputs, **attrs):
        nodes.append(helper.make_node(op, inputs, outputs, name='{}_{}'.format(
            op, len(nodes)), **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    # ---------------------------------------------------------- inputs
    tokens = s.input == 'embed'
    if tokens:
        x_info = helper.make_tensor_value_info(INPUT, TensorProto.INT64, ['batch', 'steps'])
        x_info.doc_string = 'int64 tokens (batch, steps), each in 0..{}'.format(s.in_size - 1)
    else:
        x_info = helper.make_tensor_value_info(INPUT, TensorProto.FLOAT,
                                               ['batch', 'steps', s.in_size])
        x_info.doc_string = ('float32 features (batch, steps, {}) as the data file holds '
                             'them{}'.format(s.in_size, '' if s.prep is None else
                                             ' (the training fill and standardisation{} are '
                                             'inside the graph)'.format(
                                                 '' if s.prep['window_mean'] == 1 else
                                                 ', and the averaging over windows of {} '
                                                 'steps,'.format(s.prep['window_mean']))))
    len_info = helper.make_tensor_value_info(LENGTHS, TensorProto.INT64, [None])
    len_info.doc_string = ('optional int64 (batch,): the true length of each sequence of a '
                           'zero-padded batch, in 1..steps; left out, all have steps steps')
    const(LENGTHS, numpy.asarray([_NO_LENGTH], dtype=numpy.int64))
    out_info = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT,
                                             ['batch', s.n_class])
    out_info.doc_string = 'class probabilities; column j is class {}'.format(
        json.dumps(classes[:20]) + (' ...' if len(classes) > 20 else ''))

    batch = node('Shape', [INPUT], ['batch_size'], start=0, end=1)
    steps = node('Shape', [INPUT], ['steps'], start=1, end=2)
    lens = node('Expand', [LENGTHS, batch], ['lengths_b'])
    lens64 = node('Min', [lens, steps], ['lengths_clipped'])

    # ---------------------------------------------------------- input map
    if tokens:
        ids = node('Transpose', [INPUT], ['ids_tm'], perm=[1, 0])
        seq = node('Gather', [const('embed_W', s.embed), ids], ['embedded'], axis=0)
    else:
        x = INPUT
        if s.prep is not None:
            p = s.prep
            x = node('Cast', [x], ['x_f64'], to=TensorProto.DOUBLE)
            if p['fill'] in ('zero', 'mean'):
                value = numpy.zeros(s.in_size) if p['fill'] == 'zero' else p['mean']
                nan = node('IsNaN', [x], ['x_nan'])
                x = node('Where', [nan, const('fill_value', value.astype(numpy.float64)), x],
                         ['x_filled'])
            elif p['fill'] == 'ffill':
                x = _ffill(helper, TensorProto, node, const, x, batch, p['mean'], s.in_size)
            if p['standardize']:
                x = node('Sub', [x, const('mean', p['mean'])], ['x_centred'])
                x = node('Div', [x, const('std', p['std'])], ['x_scaled'])
            if p['window_mean'] > 1:
                x, lens64, steps = _window_mean(TensorProto, node, const, x, lens64, steps,
                                                p['window_mean'], s.in_size)
            x = node('Cast', [x], ['x_f32'], to=TensorProto.FLOAT)
        seq = node('Transpose', [x], ['x_tm'], perm=[1, 0, 2])
    lens = node('Cast', [lens64], ['sequence_lens'], to=TensorProto.INT32)

    # ---------------------------------------------------------- layers
    last = _stack(node, const, TensorProto, seq, lens, lens64, steps, s, s.layers, 'forward',
                  '', opset)
    if s.reverse is not None:
        # the backward stack: RNN's reverse direction reads each sequence
        # from its step lengths - 1 down to 0 (sequence_lens) and gives its
        # states at the steps they belong to, so the next reverse layer, and
        # the pooling, take them as the forward stack's are taken
        if tokens:
            seq = node('Gather', [const('r_embed_W', s.reverse['embed']), ids],
                       ['r_embedded'], axis=0)
        back = _stack(node, const, TensorProto, seq, lens, lens64, steps, s,
                      s.reverse['layers'], 'reverse', 'r_', opset)
        last = node('Concat', [last, back], ['pooled_both'], axis=1)

    # ---------------------------------------------------------- head
    scores = node('Gemm', [last, const('head_W', s.head_W), const('head_b', s.head_b)],
                  ['scores'], transB=1)
    node('Softmax', [scores], [OUTPUT], axis=-1)

    graph = helper.make_graph(
        nodes, 'chainer_irnn_{}'.format(s.kind.replace('-', '_')), [x_info, len_info],
        [out_info], initializer=inits,
        doc_string='chainer-irnn {} classifier: {} -> {} x {} ({}) -> {} -> Linear -> '
                   'Softmax'.format(s.kind, 'EmbedID({}, {})'.format(s.in_size, s.hidden[0])
                                    if tokens else 'Linear({}, {})'.format(s.in_size,
                                                                           s.hidden[0]),
                                    len(s.hidden), list(s.hidden), s.activation,
                                    ('last state' if s.pool == 'last' else
                                     '{} over steps'.format(s.pool)) +
                                    (', read both ways' if s.reverse is not None else '')))
    from chainer_irnn._version import __version__
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)],
                              producer_name='chainer-irnn', producer_version=__version__,
                              ir_version=IR_VERSION if opset <= 17 else
                              helper.find_min_ir_version_for(
                                  [helper.make_opsetid('', opset)]))
    props = {'classes': json.dumps(classes), 'input': 'tokens' if tokens else 'features',
             'model.json': json.dumps(description, sort_keys=True)}
    names = (description.get('tabular') or {}).get('feature_names')
    if names:
        props['feature_names'] = json.dumps([str(n) for n in names])
    helper.set_model_props(proto, props)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _stack(node, const, TensorProto, seq, lens, lens64, steps, s, layers, direction, prefix,
           opset):
    """One direction's ``RNN`` layers over ``seq`` ``(T, B, in)``; returns
    what feeds the head from it, ``(B, H)``: the last layer's final state
    (``pool='last'``; for ``direction='reverse'`` the state after each
    sequence's first step) or its pooled states.  ``prefix`` keeps the
    names of the two directions apart."""
    for k, layer in enumerate(layers):
        H = s.hidden[k]
        W = const('{}W{}'.format(prefix, k), layer['W'][None])
        R = const('{}R{}'.format(prefix, k), layer['R'][None])
        B = const('{}B{}'.format(prefix, k), numpy.concatenate(
            [layer['b'], numpy.zeros(H, numpy.float32)])[None])
        final = k == len(layers) - 1
        outs = ['', '{}h{}_last'.format(prefix, k)] if final and s.pool == 'last' else \
            ['{}Y{}'.format(prefix, k)]
        res = node('RNN', [seq, W, R, B, lens], outs, hidden_size=H,
                   activations=[s.activation], direction=direction)
        if final and s.pool == 'last':
            return node('Squeeze', [res[1], const(prefix + 'axis0', numpy.asarray(
                [0], numpy.int64))], [prefix + 'h_last'])
        if final:
            return _pool(TensorProto, node, const, res, lens64, steps, s.pool, opset, prefix)
        seq = node('Squeeze', [res, const('{}axis1_{}'.format(prefix, k),
                                          numpy.asarray([1], numpy.int64))],
                   ['{}x{}_tm'.format(prefix, k + 1)])


def _pool(TensorProto, add, const, Y, lengths, steps, pool, opset, prefix=''):
    """The mean or element-wise maximum of the last layer's states ``Y``
    ``(T, 1, B, H)`` over each sequence's own steps ``t < lengths`` (int64
    ``(B,)``, already clipped to ``steps``), as ``IRNN._pooled``: the steps
    past a length are masked here, not left to ``RNN``'s zero fill (tanh
    states can be negative, and a mean divides by the length).  ``prefix``
    starts every name it makes (one pooling per direction)."""
    def ints(name, values):
        return const(prefix + name, numpy.asarray(values, numpy.int64))

    def node(op, inputs, outputs, **attrs):
        return add(op, inputs, [prefix + o for o in outputs], **attrs)

    hs = node('Squeeze', [Y, ints('pool_axis1', [1])], ['states'])
    T = node('Squeeze', [steps, ints('pool_axis0', [0])], ['steps_scalar'])
    t = node('Range', [ints('pool_start', 0), T, ints('pool_delta', 1)], ['step_index'])
    t = node('Unsqueeze', [t, ints('pool_col', [1])], ['step_index_col'])
    valid = node('Less', [t, lengths], ['step_valid'])                   # (T, B)
    valid = node('Unsqueeze', [valid, ints('pool_last', [2])], ['step_valid_3d'])
    if pool == 'max':
        masked = node('Where', [valid, hs, const(prefix + 'minus_inf',
                                                 numpy.float32(-numpy.inf))],
                      ['states_masked'])
        if opset >= 18:       # ReduceMax takes its axes as an input from opset 18
            return node('ReduceMax', [masked, ints('pool_axes', [0])], ['pooled'], keepdims=0)
        return node('ReduceMax', [masked], ['pooled'], axes=[0], keepdims=0)
    masked = node('Where', [valid, hs, const(prefix + 'pool_zero', numpy.float32(0))],
                  ['states_masked'])
    total = node('ReduceSum', [masked, ints('pool_axes', [0])], ['states_sum'], keepdims=0)
    count = node('Cast', [lengths], ['lengths_f32'], to=TensorProto.FLOAT)
    count = node('Unsqueeze', [count, ints('pool_row', [1])], ['lengths_col'])
    return node('Div', [total, count], ['pooled'])


def _window_mean(TensorProto, node, const, x, lengths, steps, k, F):
    """``(x, lengths, steps)`` averaged over windows of ``k`` steps, as
    :func:`~chainer_irnn.datasets.tabular.preprocess.window_means` averages
    each sequence alone: ``x`` ``(B, T, F)`` float64 with its steps at or past
    ``lengths`` (int64 ``(B,)``, clipped to ``steps``) zeroed, padded to
    ``n = ceil(T / k)`` windows, summed per window and divided by each
    window's own count of steps, ``min(k, lengths - j k)``; the new lengths
    are ``ceil(lengths / k)`` and the new ``steps`` ``n``."""
    def ints(name, values):
        return const(name, numpy.asarray(values, numpy.int64))

    T = node('Squeeze', [steps, ints('wm_axis0', [0])], ['wm_steps_scalar'])
    t = node('Range', [ints('wm_start', 0), T, ints('wm_delta', 1)], ['wm_step_index'])
    t = node('Unsqueeze', [t, ints('wm_row', [0])], ['wm_step_row'])           # (1, T)
    ends = node('Unsqueeze', [lengths, ints('wm_col', [1])], ['wm_lengths_col'])  # (B, 1)
    valid = node('Less', [t, ends], ['wm_step_valid'])
    valid = node('Unsqueeze', [valid, ints('wm_last', [2])], ['wm_step_valid_3d'])
    x = node('Where', [valid, x, const('wm_zero', numpy.float64(0))], ['x_wm_masked'])
    K = ints('wm_k', [k])
    n = node('Div', [node('Add', [steps, ints('wm_k_1', [k - 1])], ['wm_steps_up']), K],
             ['wm_windows'])                                                   # (1,)
    pad = node('Sub', [node('Mul', [n, K], ['wm_padded_steps']), steps], ['wm_pad'])
    pads = node('Concat', [ints('wm_pads_begin', [0, 0, 0, 0]), pad, ints('wm_pads_end', [0])],
                ['wm_pads'], axis=0)
    x = node('Pad', [x, pads], ['x_wm_padded'])
    x = node('Reshape', [x, ints('wm_shape', [0, -1, k, F])], ['x_wm_windows'])
    sums = node('ReduceSum', [x, ints('wm_axes', [2])], ['x_wm_sums'], keepdims=0)
    j = node('Range', [ints('wm_start_j', 0),
                       node('Squeeze', [n, ints('wm_axis0_n', [0])], ['wm_windows_scalar']),
                       ints('wm_delta_j', 1)], ['wm_window_index'])
    first = node('Unsqueeze', [node('Mul', [j, K], ['wm_window_start']), ints('wm_row_j', [0])],
                 ['wm_window_start_row'])                                      # (1, n)
    count = node('Sub', [ends, first], ['wm_left'])                           # (B, n)
    count = node('Min', [node('Max', [count, ints('wm_one', [1])], ['wm_left_1']), K],
                 ['wm_count'])
    count = node('Cast', [count], ['wm_count_f64'], to=TensorProto.DOUBLE)
    count = node('Unsqueeze', [count, ints('wm_last_c', [2])], ['wm_count_3d'])
    x = node('Div', [sums, count], ['x_wm_means'])
    lengths = node('Div', [node('Add', [lengths, ints('wm_k_1b', [k - 1])], ['wm_lengths_up']),
                           K], ['wm_lengths'])
    return x, lengths, n


def _ffill(helper, TensorProto, node, const, x, batch, mean, F):
    """Forward fill over time of ``x`` ``(B, T, F)`` float64 with ``Scan``:
    a missing cell takes the previous step's value, the training mean
    before the first value (as ``Preprocessor.transform``)."""
    body = helper.make_graph(
        [helper.make_node('IsNaN', ['cell'], ['missing']),
         helper.make_node('Where', ['missing', 'prev', 'cell'], ['filled']),
         helper.make_node('Identity', ['filled'], ['next'])],
        'ffill_step',
        [helper.make_tensor_value_info('prev', TensorProto.DOUBLE, [None, F]),
         helper.make_tensor_value_info('cell', TensorProto.DOUBLE, [None, F])],
        [helper.make_tensor_value_info('next', TensorProto.DOUBLE, [None, F]),
         helper.make_tensor_value_info('filled', TensorProto.DOUBLE, [None, F])])
    shape = node('Concat', [batch, const('n_features', numpy.asarray([F], numpy.int64))],
                 ['ffill_shape'], axis=0)
    start = node('Expand', [const('ffill_start', numpy.asarray(mean, numpy.float64)), shape],
                 ['ffill_state'])
    return node('Scan', [start, x], ['ffill_last', 'x_ffilled'], body=body,
                num_scan_inputs=1, scan_input_axes=[1], scan_output_axes=[1])[1]


def save(proto, path):
    """Writes ``proto`` to ``path`` (complete, or not at all)."""
    if os.path.isdir(path):
        raise ParameterError('path', '{}: is a directory; give a file name'.format(path))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ParameterError('path', '{}: the folder {} does not exist'.format(path, folder))
    tmp = path + '.tmp'
    try:
        with open(tmp, 'wb') as f:
            f.write(proto.SerializeToString())
        os.replace(tmp, path)
    except OSError as e:
        raise UserError('{}: cannot write ({})'.format(path, e.strerror or e))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def to_onnx(model, description, path=None, classes=None, opset=OPSET):
    """Exports a trained classifier to ONNX; writes it to ``path`` if given.

    See the module docstring for the graph's inputs and outputs and
    :func:`build` for the arguments.  Returns the ``onnx.ModelProto``.
    """
    proto = build(model, description, classes=classes, opset=opset)
    if path is not None:
        save(proto, os.fspath(path))
    return proto
