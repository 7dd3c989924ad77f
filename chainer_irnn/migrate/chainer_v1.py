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
"""
import importlib
import importlib.util
import os
import sys

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import PositionProvider

from chainer_irnn.errors import Setting
from chainer_irnn.migrate.findings import Finding

V1_LINKS = ('Linear', 'EmbedID', 'Convolution2D', 'BatchNormalization',
            'NegativeSampling', 'BinaryHierarchicalSoftmax', 'PReLU',
            'Bilinear', 'Parameter')
# 1.x function objects (F.ReLU(), F.AveragePooling2D(...)): see compat.v1.function_objects
FUNCTION_OBJECTS = ('ReLU', 'Sigmoid', 'Tanh', 'Softmax', 'LeakyReLU', 'AveragePooling2D',
                    'MaxPooling2D')
TRAIN_FUNCTIONS = ('dropout', 'zoneout', 'simplified_dropconnect', 'rrelu',
                   'gaussian')
PARAM_ATTRS = ('W', 'b', 'gamma', 'beta')


def _dotted(node):
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return None if head is None else head + '.' + node.attr.value
    return None


def _is_param(node):
    """``f.W`` / ``f.b`` / ... (not ``self.W``)."""
    return isinstance(node, cst.Attribute) and node.attr.value in PARAM_ATTRS and \
        _dotted(node.value) != 'self'


def _installed_chainer(origin):
    """``origin`` (a file of the ``chainer`` package) is an installed Chainer:
    under the interpreter's prefixes or a site-packages folder, not a script's
    ``chainer.py`` or ``chainer/`` that shadows it from the current folder."""
    origin = os.path.realpath(origin)
    parts = origin.split(os.sep)
    if 'site-packages' in parts or 'dist-packages' in parts:
        return True
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(os.path.commonpath([origin, p]) == p for p in prefixes)


def _import_chainer(module):
    """Import ``module`` (``chainer`` or ``chainer.*``) to check a name against
    Chainer 7, only from the installed Chainer: migrating never imports (and so
    never runs) the user's code.  None when that cannot be done safely."""
    if module != 'chainer' and not module.startswith('chainer.'):
        return None
    top = sys.modules.get('chainer')
    if top is None:
        spec = importlib.util.find_spec('chainer')   # finds; executes nothing
        if spec is None or not spec.origin or not _installed_chainer(spec.origin):
            return None
    elif not getattr(top, '__file__', None) or not _installed_chainer(top.__file__):
        return None
    return importlib.import_module(module)


def _expr(code):
    return cst.parse_expression(code)


def _code(node):
    return cst.Module(body=[]).code_for_node(node)


class _IntegralNames(cst.CSTVisitor):
    """Names whose every binding in the module looks integral (``n = len(x)``,
    ``batchsize = 100``, ``for i in range(n)``): Python 2's ``/`` floored them."""

    def __init__(self):
        self.values = {}    # name -> [expressions bound to it] (None: not integral)

    def _bind(self, target, value):
        if isinstance(target, cst.Name):
            self.values.setdefault(target.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for e in target.elements:
                self._bind(e.value, None)

    def visit_Assign(self, node):
        for t in node.targets:
            self._bind(t.target, node.value)

    def visit_AnnAssign(self, node):
        self._bind(node.target, node.value)

    def visit_AugAssign(self, node):
        self._bind(node.target, node.value if isinstance(
            node.operator, (cst.AddAssign, cst.SubtractAssign, cst.MultiplyAssign,
                            cst.FloorDivideAssign, cst.ModuloAssign,
                            cst.DivideAssign)) else None)

    def visit_For(self, node):
        it = node.iter
        integral = isinstance(it, cst.Call) and _dotted(it.func) in ('range', 'xrange')
        self._bind(node.target, cst.Integer('0') if integral else None)

    def visit_Param(self, node):
        self._bind(node.name, None)

    def visit_AsName(self, node):
        self._bind(node.name, None)

    def visit_CompFor(self, node):
        self._bind(node.target, None)

    def integral(self):
        names, changed = set(), True
        while changed:      # n = len(x); m = n * 2: both
            changed = False
            for name, values in self.values.items():
                if name not in names and all(
                        v is not None and _integral(v, names) for v in values):
                    names.add(name)
                    changed = True
        return names


def _integral(node, names):
    """``node`` looks like an integer (to Python 2): a literal, ``len()``/
    ``int()``, a ``.shape[i]``/``.size``/``.ndim``, a name in ``names``, or
    arithmetic of those."""
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.Name):
        return node.value in names
    if isinstance(node, cst.Call):
        return _dotted(node.func) in ('len', 'int', 'ord')
    if isinstance(node, cst.Attribute):
        return node.attr.value in ('size', 'ndim')
    if isinstance(node, cst.Subscript):
        return isinstance(node.value, cst.Attribute) and node.value.attr.value == 'shape' \
            and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, (cst.Minus, cst.Plus)) and \
            _integral(node.expression, names)
    if isinstance(node, cst.BinaryOperation):
        # "/" too: Python 2's n / 4 of integers is an integer
        return isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply,
                                          cst.FloorDivide, cst.Modulo, cst.Divide)) and \
            _integral(node.left, names) and _integral(node.right, names)
    return False


class _Aliases(cst.CSTVisitor):
    """Which local names mean ``chainer.functions``, ``chainer.links``, ..."""

    def __init__(self):
        self.functions = {'chainer.functions'}
        self.links = set()
        self.function_set = {'chainer.FunctionSet'}
        self.variable = {'chainer.Variable'}
        self.cuda = {'chainer.cuda', 'chainer.backends.cuda', 'cuda'}
        self.uses_function_set = False
        self.imports_chainer = False
        self.fs_classes = set()     # classes of this file deriving from FunctionSet
        self.fs_names = set()       # names assigned a FunctionSet (or subclass) instance
        self.defines_parameters = set()   # classes that define their own .parameters
        self.uses_v1_functions = False    # F.Linear(...) & co: W/b are arrays
        self.modules = {'chainer': 'chainer'}   # local name -> chainer module path

    def visit_Call(self, node):
        name = _dotted(node.func) or ''
        head, _, last = name.rpartition('.')
        if head in self.functions and last in V1_LINKS:
            self.uses_v1_functions = True

    def visit_Name(self, node):
        if node.value == 'FunctionSet':
            self.uses_function_set = True

    def visit_ClassDef(self, node):
        bases = {_dotted(a.value) for a in node.bases}
        if bases & (self.function_set | self.fs_classes):
            self.fs_classes.add(node.name.value)
        for stmt in _walk(node):
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == 'parameters':
                self.defines_parameters.add(node.name.value)
            elif isinstance(stmt, cst.AssignTarget) and \
                    _dotted(stmt.target) == 'self.parameters':
                self.defines_parameters.add(node.name.value)

    def visit_Assign(self, node):
        if isinstance(node.value, cst.Call) and _dotted(node.value.func) in \
                (self.function_set | self.fs_classes):
            for t in node.targets:
                name = _dotted(t.target)
                if name:
                    self.fs_names.add(name)

    def visit_Import(self, node):
        for alias in node.names:
            name = _dotted(alias.name)
            local = alias.asname.name.value if alias.asname else name
            if name == 'chainer' or name.startswith('chainer.'):
                self.imports_chainer = True
                self.modules[local] = name
            if name == 'chainer.functions':
                self.functions.add(local)
            elif name == 'chainer.links':
                self.links.add(local)

    def visit_ImportFrom(self, node):
        module = _dotted(node.module) if node.module else None
        if module and (module == 'chainer' or module.startswith('chainer.')):
            self.imports_chainer = True
        if module and (module == 'chainer' or module.startswith('chainer.')) and \
                not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if isinstance(alias.name, cst.Name):
                    local = alias.asname.name.value if alias.asname else alias.name.value
                    self.modules.setdefault(local, module + '.' + alias.name.value)
        if module != 'chainer' or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = alias.name.value
            local = alias.asname.name.value if alias.asname else name
            {'functions': self.functions, 'links': self.links,
             'FunctionSet': self.function_set, 'Variable': self.variable,
             'cuda': self.cuda}.get(name, set()).add(local)


class ChainerV1Transformer(cst.CSTTransformer):
    """Rewrites one module; :attr:`findings` lists what it left to the user."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, aliases, context, chainer_project=False, v1_project=False,
                 integral_names=None):
        super().__init__()
        # names that look integral, where Python 2's "/" is to be flagged (else None)
        self.integral_names = integral_names
        self.aliases = aliases
        self.chainer_project = chainer_project
        # W/b are 1.x arrays here: the file (or its project) uses FunctionSet/F.Linear
        self.v1_arrays = v1_project or aliases.uses_function_set or aliases.uses_v1_functions
        self._param_skip = set()    # f.W nodes followed by .array/.data/.grad/... or assigned
        self.context = context
        self.findings = []
        self.rewrites = 0
        links = sorted(aliases.links)
        self.L = links[0] if links else 'L'
        self._stmt_stack = []       # per statement: {'comments': [], 'wrap': [], 'rest': []}
        self._wrap_rest = {}        # id(updated statement) -> [context exprs]
        self._consumed = set()      # collect_parameters() calls inside setup()
        self._called = set()        # ids of the original func of every Call
        self._classes = []          # enclosing class names
        self._assigned = set()      # ids of ``X.parameters`` assignment targets
        self._checked = set()       # attributes checked against Chainer 7
        self.need_array_of = False  # write the _v1_array_of helper
        self._statement_calls = set()   # calls that are a whole statement
        self._array_like = set()    # f.W nodes used as an array (W.max(), W[i], to_cpu(W))

    # -- bookkeeping ---------------------------------------------------
    def _need(self, module, obj=None, asname=None):
        AddImportsVisitor.add_needed_import(self.context, module, obj, asname)

    def _chainer(self, code):
        self._need('chainer')
        return _expr(code)

    def _line(self, node):
        try:
            return self.get_metadata(PositionProvider, node).start.line
        except KeyError:
            return 0

    def _flag(self, node, message):
        self.findings.append(Finding(self._line(node), message))
        if self._stmt_stack:
            self._stmt_stack[-1]['comments'].append(message)

    def on_visit(self, node):
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._stmt_stack.append({'comments': [], 'wrap': [], 'rest': [],
                                     'simple': isinstance(node, cst.SimpleStatementLine)})
        return super().on_visit(node)

    def on_leave(self, original, updated):
        result = super().on_leave(original, updated)
        if isinstance(original, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            info = self._stmt_stack.pop()
            if isinstance(result, cst.CSTNode):
                if info['wrap']:
                    result = self._with(info['wrap'], [result], result.leading_lines)
                if info['comments']:
                    comments = [cst.EmptyLine(comment=cst.Comment('# MIGRATE: ' + c))
                                for c in dict.fromkeys(info['comments'])]
                    result = result.with_changes(
                        leading_lines=list(result.leading_lines) + comments)
                if info['rest']:
                    self._wrap_rest[id(result)] = info['rest']
        return result

    def _with(self, contexts, body, leading_lines=()):
        items = [cst.WithItem(c) for c in contexts]
        body = [b.with_changes(leading_lines=[]) if i == 0 else b
                for i, b in enumerate(body)]
        return cst.With(items=items, body=cst.IndentedBlock(body=body),
                        leading_lines=list(leading_lines))

    def _add_context(self, node, key, context):
        """Run the current statement (``key='wrap'``) or the rest of its block
        (``'rest'``) inside ``context``."""
        info = next((i for i in reversed(self._stmt_stack) if i['simple']), None) \
            if self._stmt_stack and self._stmt_stack[-1]['simple'] else None
        if info is None:
            self._flag(node, 'wrap this statement in "with {}:" by hand '
                             '(it is a compound statement\'s header)'.format(_code(context)))
            return
        if _code(context) not in [_code(c) for c in info[key]]:
            info[key].append(context)

    def _wrap_block(self, body, active=()):
        body = list(body)
        for i, stmt in enumerate(body):
            contexts = [c for c in self._wrap_rest.pop(id(stmt), [])
                        if _code(c) not in active]
            if contexts:
                rest = self._wrap_block(
                    body[i + 1:], set(active) | {_code(c) for c in contexts})
                return body[:i] + [self._with(contexts, [stmt] + rest,
                                              stmt.leading_lines)]
        return body

    def leave_IndentedBlock(self, original, updated):
        if any(id(s) in self._wrap_rest for s in updated.body):
            return updated.with_changes(body=self._wrap_block(updated.body))
        return updated

    def leave_Module(self, original, updated):
        if any(id(s) in self._wrap_rest for s in updated.body):
            return updated.with_changes(body=self._wrap_block(updated.body))
        return updated

    # -- classes ---------------------------------------------------------
    def leave_Arg(self, original, updated):
        return updated

    def visit_ClassDef(self, node):
        self._classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original, updated):
        self._classes.pop()
        bases = []
        for arg in updated.bases:
            if _dotted(arg.value) in self.aliases.function_set:
                arg = arg.with_changes(value=self._chainer('chainer.Chain'))
                self.rewrites += 1
            bases.append(arg)
        return updated.with_changes(bases=bases)

    # -- attributes ------------------------------------------------------
    # after f.W, these read the same on a 1.x array and a Chainer 7 parameter
    SAME_ON_BOTH = ('array', 'data', 'grad', 'shape', 'dtype', 'ndim', 'size', 'name',
                    'to_cpu', 'to_gpu', 'creator', 'xp', 'grad_var', 'cleargrad',
                    'zerograd', 'copydata', 'addgrad', 'initializer', 'update_rule')
    NOT_LINKS = ('args', 'opts', 'options', 'config', 'conf', 'np', 'numpy',
                 'math', 'os', 'sys', 'chainer', 'cuda', 'F', 'L')

    def visit_Attribute(self, node):
        if node.attr.value in self.SAME_ON_BOTH and isinstance(node.value, cst.Attribute):
            self._param_skip.add(id(node.value))
        elif _is_param(node.value):
            self._array_like.add(id(node.value))      # f.W.max(), f.W.T.dot(...)
        return True

    def _flag_division(self, node, left, right, code):
        if self.integral_names is not None and _integral(left, self.integral_names) and \
                _integral(right, self.integral_names):
            self._flag(node, '"{}" divides values that look integral: Python 2 floored '
                       'this (//), Python 3 gives a float; if the script is Python 2, '
                       'migrate it with {}, else ignore this'.format(
                           code, Setting('python2', True)))

    def visit_BinaryOperation(self, node):
        if isinstance(node.operator, cst.Divide):
            self._flag_division(node, node.left, node.right, _code(node))
        # '%e' % f.W / '%e %e' % (f.W, f.b)
        if isinstance(node.operator, cst.Modulo) and isinstance(
                node.left, (cst.SimpleString, cst.ConcatenatedString)):
            items = [e.value for e in node.right.elements] \
                if isinstance(node.right, cst.Tuple) else [node.right]
            self._array_like.update(id(i) for i in items if _is_param(i))
        return True

    def visit_AugAssign(self, node):
        if isinstance(node.operator, cst.DivideAssign):
            self._flag_division(node, node.target, node.value, _code(node).strip())
        return True

    # calls that take an array where 1.x code passed f.W
    ARRAY_FUNCTIONS = ('to_cpu', 'to_gpu', 'asarray', 'asnumpy', 'array', 'save', 'savetxt')

    def visit_Subscript(self, node):
        if _is_param(node.value):
            self._array_like.add(id(node.value))      # f.W[i], f.W[i] = v
        return True

    def visit_Assign(self, node):
        if _is_param(node.value):
            self._array_like.add(id(node.value))      # W = f.W (then W.max(), W[i] = v)
        return True

    def visit_For(self, node):
        if _is_param(node.iter):
            self._array_like.add(id(node.iter))       # for row in f.W
        return True

    def visit_CompFor(self, node):
        if _is_param(node.iter):
            self._array_like.add(id(node.iter))       # [... for row in f.W]
        return True

    def _note_array_use(self, original):
        """``f.W`` used as an array where nothing says what ``f`` is: a note."""
        a = self.aliases
        if id(original) not in self._array_like or not (
                a.imports_chainer or self.chainer_project):
            return
        code = _code(original)
        self._flag(original, '"{0}" used as an array: if {1} is a 1.x link (defined '
                   'in another file?), write {0}.array'.format(code, _code(original.value)))

    def _v1_array_read(self, original, updated):
        """``f.W`` read in 1.x-era code (an ndarray then) -> ``f.W.array``;
        where the file does not say that ``f`` is a 1.x link and ``f.W`` is used
        as an array, a ``# MIGRATE:`` note instead."""
        if id(original) in self._param_skip or id(original) in self._called:
            return None
        owner = _dotted(updated.value)
        if owner == 'self':     # a link's own W (custom link code)
            return None
        if owner is not None and owner.split('.')[0] in self.NOT_LINKS + tuple(
                self.aliases.functions | self.aliases.links):
            return None
        if not self.v1_arrays:
            self._note_array_use(original)
            return None
        self.rewrites += 1
        return cst.Attribute(value=updated, attr=cst.Name('array'))

    # rewritten elsewhere (calls) or by this rule: not "missing from Chainer 7"
    HANDLED = {'chainer.functions': set(V1_LINKS) | {'create_huffman_tree'},
               'chainer': {'FunctionSet'},
               'chainer.cuda': {'init', 'zeros', 'ones', 'empty'},
               'chainer.backends.cuda': {'init', 'zeros', 'ones', 'empty'}}

    def _missing_in_chainer7(self, original, updated):
        """Flag ``F.foo`` / ``chainer.foo`` / ``cuda.foo`` that Chainer 7 lacks."""
        owner = _dotted(updated.value)
        module = self.aliases.modules.get(owner) if owner else None
        if module is None or id(original) in self._checked:
            return
        self._checked.add(id(original))
        attr = updated.attr.value
        if attr in self.HANDLED.get(module, ()):
            return
        if module == 'chainer.functions' and attr in FUNCTION_OBJECTS and \
                id(original) in self._called:
            return      # F.ReLU() & co: rewritten in leave_Call
        try:
            obj = _import_chainer(module)
        except ImportError:
            try:
                head, _, tail = module.rpartition('.')
                obj = getattr(_import_chainer(head), tail)
            except (ImportError, AttributeError):
                return
        if obj is None:
            return
        if not hasattr(obj, attr):
            try:
                _import_chainer(module + '.' + attr)
            except ImportError:
                self._flag(original, '"{}.{}" does not exist in Chainer 7 (Chainer 1.x '
                           'API?): replace it by hand'.format(owner, attr))

    def leave_Attribute(self, original, updated):
        attr = updated.attr.value
        owner = _dotted(updated.value)
        self._missing_in_chainer7(original, updated)
        if attr == 'data' and isinstance(updated.value, cst.Call) and \
                (_dotted(updated.value.func) or '').rpartition('.')[0] in self.aliases.cuda \
                and (_dotted(updated.value.func) or '').endswith('.to_cpu') and \
                len(updated.value.args) == 1:
            # cuda.to_cpu(v).data: v is a Variable (1.0-1.2 passed it through)
            self.rewrites += 1
            call = updated.value
            arg = call.args[0]
            return call.with_changes(args=[arg.with_changes(value=cst.Attribute(
                value=arg.value, attr=cst.Name('data')))])
        if owner in self.aliases.cuda and attr in ('zeros', 'ones', 'empty'):
            self.rewrites += 1      # cuda.zeros of 1.x: CuPy's
            return _expr('{}.cupy.{}'.format(owner, attr))
        if attr in PARAM_ATTRS:
            read = self._v1_array_read(original, updated)
            if read is not None:
                return read
        if attr in ('gW', 'gb', 'ggamma', 'gbeta') and owner != 'self':
            self.rewrites += 1
            return cst.Attribute(value=cst.Attribute(value=updated.value,
                                                     attr=cst.Name(attr[1:])),
                                 attr=cst.Name('grad'))
        if attr in ('parameters', 'gradients') and id(original) not in self._called \
                and id(original) not in self._assigned:
            verdict = self._v1_params_receiver(original.value)
            if verdict == 'yes':
                # 1.x order: children sorted by name, W before b (= sorted paths)
                self.rewrites += 1
                if attr == 'gradients':
                    self._flag(original, '"{}.gradients": Chainer 7 gradients may be None '
                               '(after cleargrads) where 1.x had arrays'.format(
                                   _code(original.value)))
                return _expr('[_p.{} for _, _p in sorted({}.namedparams())]'.format(
                    'array' if attr == 'parameters' else 'grad', _code(updated.value)))
            if verdict == 'maybe':
                self._flag(original, '"{0}.{1}": if {0} is a 1.x FunctionSet or link, '
                           'write [_p.{2} for _, _p in sorted({0}.namedparams())]'.format(
                               _code(original.value), attr,
                               'array' if attr == 'parameters' else 'grad'))
        if attr in V1_LINKS and owner in self.aliases.functions and \
                id(original) not in self._called:
            # F.BinaryHierarchicalSoftmax used as a value (not called)
            self.rewrites += 1
            self._need_links()
            return _expr('{}.{}'.format(self.L, attr))
        if attr == 'volatile':
            self._flag(original, '".volatile" has no Chainer 7 counterpart; '
                                 'read chainer.config.enable_backprop')
        return updated

    MODEL_WORDS = ('model', 'net', 'chain', 'link', 'encdec', 'encoder', 'decoder',
                   'rnn', 'lstm', 'cnn', 'mlp', 'function_set', 'functionset', 'fs',
                   'generator', 'discriminator', 'gen', 'dis', 'classifier', 'predictor')

    def _v1_params_receiver(self, node):
        """Is ``node.parameters`` the 1.x tuple of a FunctionSet/function?

        'yes' (rewrite), 'maybe' (flag: the receiver's type cannot be known)
        or 'no' (not Chainer's: leave it).
        """
        a = self.aliases
        chainer_file = a.imports_chainer or a.uses_function_set or self.chainer_project
        name = _dotted(node)
        if name == 'self':
            cls = self._classes[-1] if self._classes else None
            if cls in a.defines_parameters or not chainer_file:
                return 'no'
            return 'yes' if cls in a.fs_classes else 'maybe'
        if isinstance(node, cst.Call):
            func = _dotted(node.func) or ''
            last = func.rsplit('.', 1)[-1]
            if last == 'signature':     # inspect.signature(f).parameters
                return 'no'
            if last in ('to_cpu', 'to_gpu', 'copy', 'deepcopy') or \
                    func in a.function_set | a.fs_classes:
                inner = node.func.value if isinstance(node.func, cst.Attribute) and \
                    last in ('to_cpu', 'to_gpu') else (node.args[0].value if node.args else None)
                if last in ('copy', 'deepcopy') and inner is None:
                    return 'maybe'
                if last in ('to_cpu', 'to_gpu') or func in a.function_set | a.fs_classes:
                    return 'yes'
                return self._v1_params_receiver(inner)
            return 'maybe' if chainer_file else 'no'
        if name is None:
            return 'maybe' if chainer_file else 'no'
        if name in a.fs_names or a.uses_function_set:
            return 'yes'
        words = name.lower().split('.')
        if any(w in self.MODEL_WORDS or w.startswith(self.MODEL_WORDS) or
               w.endswith(self.MODEL_WORDS) for w in words[-2:]):
            return 'yes'
        return 'maybe' if chainer_file else 'no'

    def _param_target(self, target):
        """``f.W`` (not ``self.W``) as an assignment target -> ``f.W.array``."""
        if isinstance(target, cst.Attribute) and target.attr.value in PARAM_ATTRS \
                and _dotted(target.value) != 'self':
            self.rewrites += 1
            return cst.Attribute(value=target, attr=cst.Name('array'))
        if isinstance(target, cst.Subscript):
            value = self._param_target(target.value)
            if value is not target.value:
                return target.with_changes(value=value)
        return target

    def visit_AssignTarget(self, node):
        target = node.target
        while isinstance(target, cst.Subscript):
            target = target.value
        if isinstance(target, cst.Attribute):
            self._param_skip.add(id(target))
        if isinstance(node.target, cst.Attribute) and \
                node.target.attr.value in ('parameters', 'gradients'):
            self._assigned.add(id(node.target))
        return True

    def leave_AssignTarget(self, original, updated):
        return updated.with_changes(target=self._param_target(updated.target))

    # -- calls -----------------------------------------------------------
    def leave_Expr(self, original, updated):
        return updated

    def _is_link_call(self, node):
        """``F.Linear(...)`` (1.x) or ``L.X(...)``: a link is being created."""
        if not isinstance(node, cst.Call):
            return False
        name = _dotted(node.func) or ''
        head, _, last = name.rpartition('.')
        return (head in self.aliases.functions and last in V1_LINKS) or \
            (head in self.aliases.links | {'chainer.links'})

    def _function_set_object(self, node):
        """``node`` is a FunctionSet (a plain Chain after migration)."""
        name = _dotted(node)
        if name == 'self':
            return bool(self._classes) and self._classes[-1] in self.aliases.fs_classes
        return name is not None and name in self.aliases.fs_names

    def _add_link(self, original, updated):
        """``m.l2 = F.Linear(...)`` / ``setattr(m, 'l2', F.Linear(...))`` on a
        FunctionSet registered the link (1.x); on a Chainer 7 Chain outside
        ``init_scope`` it would be a plain attribute the optimizer never sees."""
        if len(original.body) != 1:
            return None
        o, u = original.body[0], updated.body[0]
        if isinstance(o, cst.Assign) and len(o.targets) == 1 and \
                isinstance(o.targets[0].target, cst.Attribute) and \
                self._is_link_call(o.value) and \
                self._function_set_object(o.targets[0].target.value):
            target = o.targets[0].target
            call = '{}.add_link({!r}, {})'.format(_code(target.value), target.attr.value,
                                                  _code(u.value))
        elif isinstance(o, cst.Expr) and isinstance(o.value, cst.Call) and \
                _dotted(o.value.func) == 'setattr' and len(o.value.args) == 3 and \
                self._is_link_call(o.value.args[2].value) and \
                self._function_set_object(o.value.args[0].value):
            args = u.value.args
            call = '{}.add_link({}, {})'.format(_code(args[0].value), _code(args[1].value),
                                                _code(args[2].value))
        else:
            return None
        self.rewrites += 1
        return updated.with_changes(body=[cst.Expr(_expr(call))])

    def leave_SimpleStatementLine(self, original, updated):
        added = self._add_link(original, updated)
        if added is not None:
            return added
        # m.parameters = arrays (1.x setter) -> a loop over the parameters
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Assign) and \
                len(updated.body[0].targets) == 1 and \
                isinstance(updated.body[0].targets[0].target, cst.Attribute) and \
                updated.body[0].targets[0].target.attr.value in ('parameters', 'gradients'):
            target = updated.body[0].targets[0].target
            verdict = self._v1_params_receiver(target.value)
            what = 'array' if target.attr.value == 'parameters' else 'grad'
            if verdict == 'yes':
                self.rewrites += 1
                return cst.parse_statement(
                    'for (_, _p), _a in zip(sorted({}.namedparams()), {}):\n'
                    '    _p.{} = _a\n'.format(_code(target.value),
                                              _code(updated.body[0].value), what)
                ).with_changes(leading_lines=updated.leading_lines)
            if verdict == 'maybe':
                self._flag(original, '"{0}.{1} = ...": if {0} is a 1.x FunctionSet or '
                           'link, set _p.{2} for _, _p in sorted({0}.namedparams())'.format(
                               _code(target.value), target.attr.value, what))
        # m.copy_parameters_from(arrays) (1.x) as a statement -> a loop
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Expr):
            call = updated.body[0].value
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and call.func.attr.value == 'copy_parameters_from' and \
                    len(call.args) == 1 and not call.args[0].keyword and \
                    self._v1_params_receiver(call.func.value) == 'yes':
                self.rewrites += 1
                return cst.parse_statement(
                    'for (_, _p), _a in zip(sorted({}.namedparams()), {}):\n'
                    '    _p.array[...] = _p.xp.asarray(_a)\n'.format(
                        _code(call.func.value), _code(call.args[0].value))
                ).with_changes(leading_lines=updated.leading_lines)
        # opt.weight_decay(d) as a statement -> a loop
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Expr):
            call = updated.body[0].value
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and call.func.attr.value == 'weight_decay' and len(call.args) == 1:
                opt = _code(call.func.value)
                decay = _code(call.args[0].value)
                self.rewrites += 1
                return cst.parse_statement(
                    'for _param in {}.target.params():\n'
                    '    if _param.grad is None:\n'
                    '        _param.grad = _param.xp.zeros_like(_param.array)\n'
                    '    _param.grad += ({}) * _param.array\n'.format(opt, decay)
                ).with_changes(leading_lines=updated.leading_lines)
        return updated

    def _need_links(self):
        if self.L == 'L' and not self.aliases.links:
            self._need('chainer.links', asname='L')

    def visit_SimpleStatementLine(self, node):
        if len(node.body) == 1 and isinstance(node.body[0], cst.Expr) and \
                isinstance(node.body[0].value, cst.Call):
            self._statement_calls.add(id(node.body[0].value))
        return True

    def visit_Call(self, node):
        self._called.add(id(node.func))
        name = _dotted(node.func) or ''
        if name.rpartition('.')[2] in self.ARRAY_FUNCTIONS or \
                name.partition('.')[0] in ('np', 'numpy', 'cupy', 'xp'):
            self._array_like.update(id(a.value) for a in node.args if _is_param(a.value))
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == 'setup' \
                and len(node.args) == 1 and isinstance(node.args[0].value, cst.Call):
            self._consumed.add(id(node.args[0].value))
        return True

    def leave_Call(self, original, updated):
        name = _dotted(original.func)
        if name is None:
            return self._method_call(original, updated)
        head, _, last = name.rpartition('.')
        if head in self.aliases.functions and last not in V1_LINKS:
            updated = self._old_function_kwargs(original, updated, last)
        if last in ('array', 'asarray') and head in ('np', 'numpy') and \
                len(original.args) == 1 and not original.args[0].keyword and \
                isinstance(original.args[0].value, cst.Attribute) and \
                original.args[0].value.attr.value in ('parameters', 'gradients') and \
                isinstance(updated.args[0].value, cst.ListComp):
            # numpy.array(m.parameters): NumPy >= 1.24 refuses the ragged list
            self.need_array_of = True
            return updated.with_changes(func=cst.Name('_v1_array_of'))
        if head in self.aliases.functions and last in V1_LINKS:
            return self._v1_link(original, updated, last)
        if head in self.aliases.functions and last in FUNCTION_OBJECTS:
            return self._function_object(original, updated, head, last)
        if head in self.aliases.functions and last == 'create_huffman_tree':
            self.rewrites += 1
            return updated.with_changes(func=_expr(
                self.L + '.BinaryHierarchicalSoftmax.create_huffman_tree'))
        if head in self.aliases.functions and last in TRAIN_FUNCTIONS:
            return self._train_kwarg(original, updated, 'train', negate=False,
                                     position=2 if last == 'dropout' else None)
        if name in self.aliases.function_set:
            self.rewrites += 1
            return updated.with_changes(func=self._chainer('chainer.Chain'))
        if name in self.aliases.variable or last == 'Variable':
            return self._variable(original, updated)
        if head in self.aliases.cuda and last == 'init':
            self.rewrites += 1
            if updated.args:
                return _expr('{}.get_device_from_id({}).use()'.format(
                    head, _code(updated.args[0].value)))
            return _expr(head + '.check_cuda_available()')
        if head in self.aliases.cuda and last == 'get_device' and len(updated.args) == 1:
            arg = updated.args[0].value
            label = (_dotted(arg) or '').lower()
            if isinstance(arg, cst.Integer) or any(k in label.rsplit('.', 1)[-1]
                                                   for k in ('gpu', 'device', 'id')):
                self.rewrites += 1
                return updated.with_changes(func=_expr(head + '.get_device_from_id'))
        if any(k.keyword and k.keyword.value == 'test' for k in updated.args) and \
                any(s in last.lower() for s in ('bn', 'batch', 'norm')):
            return self._train_kwarg(original, updated, 'test', negate=True)
        return self._method_call(original, updated)

    def _function_object(self, original, updated, head, name):
        """``F.ReLU()`` -> ``F.relu``; ``F.AveragePooling2D(8, 1)`` ->
        ``functools.partial(F.average_pooling_2d, ksize=8, stride=1)``."""
        from chainer_irnn.compat.v1.function_objects import FUNCTION_OBJECTS as OBJECTS
        func_name, names, dropped = OBJECTS[name]
        if any(a.star for a in updated.args) or \
                len([a for a in updated.args if not a.keyword]) > len(names):
            self._flag(original, 'F.{}(...) objects are gone: call F.{}(x, ...)'.format(
                name, func_name))
            return updated
        bound = []
        for i, arg in enumerate(updated.args):
            key = arg.keyword.value if arg.keyword else names[i]
            if key not in dropped:
                bound.append((key, arg.value))
        self.rewrites += 1
        func = '{}.{}'.format(head, func_name)
        if not bound:
            return _expr(func)
        self._need('functools')
        return _expr('functools.partial({}, {})'.format(func, ', '.join(
            '{}={}'.format(k, _code(v)) for k, v in bound)))

    def _old_function_kwargs(self, original, updated, name):
        """``F.f(..., use_cudnn=c)`` -> ``F.f(...)`` (Chainer 7 refuses it; cuDNN
        is chosen by ``chainer.config.use_cudnn``); other 1.x-only keywords
        (``train=``/``test=`` outside the functions rewritten elsewhere) flagged."""
        if any(a.keyword and a.keyword.value == 'use_cudnn' for a in updated.args):
            _, updated = self._pop_arg(updated, 'use_cudnn')
            self.rewrites += 1
        if name not in TRAIN_FUNCTIONS:
            for a in updated.args:
                if a.keyword and a.keyword.value in ('train', 'test', 'volatile') and not (
                        a.keyword.value == 'test' and
                        any(k in name.lower() for k in ('bn', 'batch', 'norm'))):
                    self._flag(original, 'F.{}(..., {}=...): Chainer 7 has no such '
                               'argument; use chainer.using_config(\'train\', ...)'.format(
                                   name, a.keyword.value))
        return updated

    def _method_call(self, original, updated):
        if not isinstance(updated.func, cst.Attribute):
            return updated
        method = updated.func.attr.value
        obj = updated.func.value
        args = updated.args
        if method == 'setup' and len(args) == 1 and isinstance(args[0].value, cst.Call) \
                and isinstance(args[0].value.func, cst.Attribute) \
                and args[0].value.func.attr.value == 'collect_parameters':
            self.rewrites += 1
            return updated.with_changes(args=[cst.Arg(args[0].value.func.value)])
        if method == 'zero_grads' and not args:
            self.rewrites += 1
            return _expr(_code(obj) + '.target.cleargrads()')
        if method == 'clip_grads' and len(args) == 1:
            self.rewrites += 1
            return self._chainer('chainer.optimizer_hooks.GradientClipping({})({})'
                                 .format(_code(args[0].value), _code(obj)))
        if method == 'compute_grads_norm' and not args:
            self.rewrites += 1
            self._need('math')
            return _expr('math.sqrt(sum(float((_p.grad * _p.grad).sum()) for _p in '
                         '{}.target.params() if _p.grad is not None))'.format(_code(obj)))
        if method == 'collect_parameters' and id(original) not in self._consumed:
            self._flag(original, 'collect_parameters() is gone; pass the model '
                                 'itself to optimizer.setup()')
        if method == 'copy_parameters_from' and id(original) in self._statement_calls \
                and len(args) == 1 and self._v1_params_receiver(obj) == 'yes':
            return updated      # the statement becomes a loop (leave_SimpleStatementLine)
        if method in ('accumulate_grads', 'copy_parameters_from'):
            self._flag(original, '{}() is gone; use model.addgrads(other) / '
                                 'model.copyparams(other)'.format(method))
        return updated

    def _v1_link(self, original, updated, name):
        self.rewrites += 1
        self._need_links()
        func = _expr('{}.{}'.format(self.L, name))
        if name not in ('Linear', 'Convolution2D', 'BatchNormalization', 'EmbedID'):
            return updated.with_changes(func=func)
        spec = {'Linear': ['in_size', 'out_size', 'wscale', 'bias', 'nobias',
                           'initialW', 'initial_bias'],
                'EmbedID': ['in_size', 'out_size', 'initialW', 'ignore_label'],
                'Convolution2D': ['in_channels', 'out_channels', 'ksize', 'stride',
                                  'pad', 'wscale', 'bias', 'nobias', 'use_cudnn',
                                  'initialW', 'initial_bias'],
                'BatchNormalization': ['size', 'decay', 'eps', 'dtype']}[name]
        values = {}
        for i, arg in enumerate(updated.args):
            if arg.star:
                self._flag(original, 'F.{}(*args/**kwargs): check the arguments '
                                     'against L.{}'.format(name, name))
                return updated.with_changes(func=func)
            key = arg.keyword.value if arg.keyword else spec[i]
            values[key] = arg.value
        new = []
        for key in spec[:3 if name == 'Convolution2D' else 2]:
            if key in values:
                new.append(cst.Arg(values.pop(key)))
        if name == 'BatchNormalization':
            values.setdefault('eps', cst.Float('1e-5'))   # 1.x default; 7 has 2e-5
        if name == 'Convolution2D':
            values.pop('use_cudnn', None)
        wscale = values.pop('wscale', None)
        if wscale is not None and 'initialW' not in values:
            fan_in = _code(new[0].value)
            if name == 'Convolution2D':
                k = new[2].value
                if isinstance(k, cst.Tuple):
                    fan_in = '({}) * {}'.format(fan_in, ' * '.join(
                        '({})'.format(_code(e.value)) for e in k.elements))
                else:
                    fan_in = '({0}) * ({1}) * ({1})'.format(fan_in, _code(k))
            self._need('math')
            values['initialW'] = self._chainer(
                'chainer.initializers.Normal(({}) * math.sqrt(1. / ({})))'.format(
                    _code(wscale), fan_in))
        bias = values.pop('bias', None)
        if bias is not None and 'initial_bias' not in values:
            values['initial_bias'] = bias
        for key in ('stride', 'pad', 'decay', 'eps', 'dtype', 'nobias', 'initialW',
                    'initial_bias', 'ignore_label'):
            if key in values:
                new.append(cst.Arg(values.pop(key), keyword=cst.Name(key),
                                   equal=cst.AssignEqual(
                                       whitespace_before=cst.SimpleWhitespace(''),
                                       whitespace_after=cst.SimpleWhitespace(''))))
        return updated.with_changes(func=func, args=new)

    def _pop_arg(self, call, keyword, position=None):
        args = list(call.args)
        for i, arg in enumerate(args):
            if (arg.keyword and arg.keyword.value == keyword) or \
                    (position is not None and i == position and not arg.keyword
                     and not arg.star):
                value = arg.value
                del args[i]
                if args:
                    args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                return value, call.with_changes(args=args)
        return None, call

    def _train_kwarg(self, original, updated, keyword, negate, position=None):
        value, updated = self._pop_arg(updated, keyword, position)
        if value is None:
            return updated
        self.rewrites += 1
        if negate:
            value = value.expression if isinstance(value, cst.UnaryOperation) and \
                isinstance(value.operator, cst.Not) else _expr('not ({})'.format(_code(value)))
        self._add_context(original, 'wrap', self._chainer(
            "chainer.using_config('train', {})".format(_code(value))))
        return updated

    def _float64_array(self, updated):
        """``Variable(np.zeros(()))`` (float64) -> ``np.zeros((), dtype=np.float32)``.

        Chainer 1.0-1.1 added float32 losses to such a float64 accumulator;
        Chainer 7 refuses mixed dtypes.  ``cuda.zeros`` (1.x) is
        ``cuda.cupy.zeros``.
        """
        if not updated.args or updated.args[0].keyword or updated.args[0].star:
            return updated
        call = updated.args[0].value
        if not isinstance(call, cst.Call):
            return updated
        name = _dotted(call.func) or ''
        head, _, last = name.rpartition('.')
        if last not in ('zeros', 'ones', 'empty') or not head or \
                any(a.keyword and a.keyword.value == 'dtype' for a in call.args) or \
                len([a for a in call.args if not a.keyword]) != 1:
            return updated
        if head in self.aliases.cuda:
            head = head + '.cupy'
            call = call.with_changes(func=_expr(head + '.' + last))
        self.rewrites += 1
        args = list(call.args)
        args[-1] = args[-1].with_changes(comma=cst.Comma(
            whitespace_after=cst.SimpleWhitespace(' ')))
        args.append(cst.Arg(_expr(head + '.float32'), keyword=cst.Name('dtype'),
                            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(''),
                                                  whitespace_after=cst.SimpleWhitespace(''))))
        first = updated.args[0].with_changes(value=call.with_changes(args=args))
        return updated.with_changes(args=[first] + list(updated.args[1:]))

    def _variable(self, original, updated):
        updated = self._float64_array(updated)
        value, updated = self._pop_arg(updated, 'volatile', 1)
        if value is None:
            return updated
        self.rewrites += 1
        literal = _code(value).strip()
        if literal in ('True', "'on'", '"on"', 'chainer.flag.ON', 'flag.ON'):
            context = self._chainer('chainer.no_backprop_mode()')
        elif literal in ('False', 'None', "'off'", '"off"', "'auto'", '"auto"',
                         'chainer.flag.OFF', 'chainer.flag.AUTO', 'flag.OFF',
                         'flag.AUTO'):
            return updated
        else:
            if any(isinstance(n, cst.SimpleString) for n in _walk(value)) or \
                    'flag' in literal:
                self._flag(original, 'volatile flag "{}" may be a 1.x string flag; '
                           'check the enable_backprop value'.format(literal))
            enable = value.expression if isinstance(value, cst.UnaryOperation) and \
                isinstance(value.operator, cst.Not) else _expr('not ({})'.format(literal))
            context = self._chainer("chainer.using_config('enable_backprop', {})"
                                    .format(_code(enable)))
        self._add_context(original, 'rest', context)
        return updated


class _RedundantWith(cst.CSTTransformer):
    """Drop a ``with`` whose contexts an enclosing ``with`` (same function) set."""

    def __init__(self):
        super().__init__()
        self._frames = [[]]

    def visit_FunctionDef(self, node):
        self._frames.append([])

    def leave_FunctionDef(self, original, updated):
        self._frames.pop()
        return updated

    def visit_With(self, node):
        active = set().union(*self._frames[-1]) if self._frames[-1] else set()
        self._frames[-1].append({_code(i.item) for i in node.items} - active)

    def leave_With(self, original, updated):
        own = self._frames[-1].pop()
        if not own and isinstance(updated.body, cst.IndentedBlock) and \
                all(_code(i.item).startswith('chainer.') for i in updated.items):
            body = list(updated.body.body)
            body[0] = body[0].with_changes(leading_lines=list(
                updated.leading_lines) + list(body[0].leading_lines))
            return cst.FlattenSentinel(body)
        return updated


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


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


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
        from chainer_irnn.migrate.py2 import _insert_after_imports
        module = _insert_after_imports(module, ARRAY_OF_HELPER)
    return module, transformer.findings, transformer.rewrites
