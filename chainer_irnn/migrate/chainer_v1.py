"""Chainer 1.x API -> Chainer 7 API, as a LibCST transformer.

Each 1.x form, and how it is written for Chainer 7:

- ``FunctionSet(a=..., b=...)``, ``class M(FunctionSet)``
  -> ``chainer.Chain(a=..., b=...)``, ``class M(chainer.Chain)``
- ``F.Linear(i, o, wscale=s, bias=c)``
  -> ``L.Linear(i, o, initialW=chainer.initializers.Normal(s * math.sqrt(1. / i)),
  initial_bias=c)``
- ``F.EmbedID``/``Convolution2D``/``BatchNormalization``/...
  -> ``L.*`` (1.x defaults kept: BN ``eps=1e-5``)
- ``Variable(x, volatile=v)``
  -> ``Variable(x)``; the rest of the block in
  ``with chainer.using_config('enable_backprop', not v):`` (``no_backprop_mode()`` for ``True``)
- ``F.dropout(x, train=t)``
  -> the statement in ``with chainer.using_config('train', t):``
- ``bn(x, test=t)``
  -> the statement in ``with chainer.using_config('train', not t):``
- ``opt.setup(m.collect_parameters())``
  -> ``opt.setup(m)``
- ``opt.zero_grads()``
  -> ``opt.target.cleargrads()``
- ``opt.clip_grads(c)``
  -> ``chainer.optimizer_hooks.GradientClipping(c)(opt)`` (the hook, applied now)
- ``opt.weight_decay(d)``
  -> a loop adding ``d * p.array`` to each gradient
- ``opt.compute_grads_norm()``
  -> ``math.sqrt(sum(...))`` over ``opt.target.params()``
- ``f.W = a`` / ``f.W[...] = a`` / ``f.gW``
  -> ``f.W.array = a`` / ``f.W.array[...] = a`` / ``f.W.grad``
- ``f.W.max()``, ``for row in f.W``, ``f.W[i]`` (reads)
  -> ``f.W.array.max()``, ... where 1.x functions made W an array
- ``Variable(np.zeros(()))`` (float64)
  -> ``Variable(np.zeros((), dtype=np.float32))``
- ``cuda.init()`` / ``cuda.init(n)``
  -> ``cuda.check_cuda_available()`` / ``cuda.get_device_from_id(n).use()``
- ``cuda.get_device(n)``
  -> ``cuda.get_device_from_id(n)``
- ``F.ReLU()``, ``F.AveragePooling2D(8, 1)``
  -> ``F.relu``, ``functools.partial(F.average_pooling_2d, ksize=8, stride=1)``

Everything else that 1.x-only code may rely on (``.parameters``/``.gradients``
tuples, ``.volatile``, ``accumulate_grads``, flags given as strings) gets a
``# MIGRATE:`` comment and a :class:`~chainer_irnn.migrate.findings.Finding`.

The rules live in :mod:`chainer_irnn.migrate.v1`, one module per family
(attributes and parameters, whole statements, calls), mixed into
:class:`ChainerV1Transformer` here.
"""
import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from chainer_irnn.migrate.py2 import _insert_after_imports
from chainer_irnn.migrate.v1.attributes import AttributeRules
from chainer_irnn.migrate.v1.blocks import Rewriter, _RedundantWith
from chainer_irnn.migrate.v1.calls import CallRules
from chainer_irnn.migrate.v1.names import (
    FUNCTION_OBJECTS, PARAM_ATTRS, TRAIN_FUNCTIONS, V1_LINKS)
from chainer_irnn.migrate.v1.scan import _Aliases, _IntegralNames
from chainer_irnn.migrate.v1.statements import StatementRules

__all__ = ['ARRAY_OF_HELPER', 'ChainerV1Transformer', 'FUNCTION_OBJECTS', 'PARAM_ATTRS',
           'TRAIN_FUNCTIONS', 'V1_LINKS', 'migrate_module']


class ChainerV1Transformer(AttributeRules, StatementRules, CallRules, Rewriter):
    """Rewrites one module; :attr:`findings` lists what it left to the user."""

    def __init__(self, aliases, context, chainer_project=False, v1_project=False,
                 integral_names=None):
        super().__init__(aliases, context)
        # names that look integral, where Python 2's "/" is to be flagged (else None)
        self.integral_names = integral_names
        self.chainer_project = chainer_project
        # W/b are 1.x arrays here: the file (or its project) uses FunctionSet/F.Linear
        self.v1_arrays = v1_project or aliases.uses_function_set or aliases.uses_v1_functions
        self._param_skip = set()    # f.W nodes followed by .array/.data/.grad/... or assigned
        self._consumed = set()      # collect_parameters() calls inside setup()
        self._called = set()        # ids of the original func of every Call
        self._classes = []          # enclosing class names
        self._assigned = set()      # ids of ``X.parameters`` assignment targets
        self._checked = set()       # attributes checked against Chainer 7
        self.need_array_of = False  # write the _v1_array_of helper
        self._statement_calls = set()   # calls that are a whole statement
        self._array_like = set()    # f.W nodes used as an array (W.max(), W[i], to_cpu(W))


ARRAY_OF_HELPER = '''

def _v1_array_of(arrays):
    """numpy.array() of 1.x parameter arrays as the NumPy of 2015 made it: an
    object array when the shapes differ (written by chainer-irnn migrate)."""
    import numpy
    arrays = [numpy.asarray(a) for a in arrays]
    if len({a.shape for a in arrays}) <= 1:
        return numpy.array(arrays)
    out = numpy.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        out[i] = a
    return out
'''


def migrate_module(module, chainer_project=False, v1_project=False, flag_division=False):
    """Rewrite a parsed module; return ``(module, findings, rewrites)``.

    ``chainer_project``: the module belongs to a project that uses Chainer
    (``migrate DIR``), so an unknown ``x.parameters`` is flagged even where
    the module does not import chainer itself.  ``v1_project``: the project
    uses 1.x parameterised functions, so ``f.W`` read here is an array.
    ``flag_division``: the module was taken as Python 3 without being told
    (it may still be Python 2): ``/`` between values that look integral is
    flagged, since Python 2 floored it.
    """
    aliases = _Aliases()
    module.visit(aliases)
    integral_names = None
    if flag_division:
        names = _IntegralNames()
        module.visit(names)
        integral_names = names.integral()
    context = CodemodContext()
    wrapper = cst.MetadataWrapper(module)
    transformer = ChainerV1Transformer(aliases, context, chainer_project, v1_project,
                                       integral_names)
    module = wrapper.visit(transformer)
    module = module.visit(_RedundantWith())
    for name in ('FunctionSet',):
        RemoveImportsVisitor.remove_unused_import(context, 'chainer', name)
    module = RemoveImportsVisitor(context).transform_module(module)
    module = AddImportsVisitor(context).transform_module(module)
    if transformer.need_array_of:
        module = _insert_after_imports(module, ARRAY_OF_HELPER)
    return module, transformer.findings, transformer.rewrites
