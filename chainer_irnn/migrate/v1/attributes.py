"""Rules for attributes, parameters and classes.

``class M(FunctionSet)`` -> ``chainer.Chain``; ``f.W`` read or assigned where
1.x had an array -> ``f.W.array``; ``f.gW`` -> ``f.W.grad``;
``m.parameters``/``m.gradients`` -> lists from ``namedparams()``;
``cuda.zeros`` -> ``cuda.cupy.zeros``; names Chainer 7 lacks, ``.volatile``
and ``/`` between values that look integral (where the input may be Python 2)
are flagged.
"""
import libcst as cst

from chainer_irnn.errors import Setting
from chainer_irnn.migrate.v1.names import (
    FUNCTION_OBJECTS, PARAM_ATTRS, V1_LINKS, _code, _dotted, _expr, _import_chainer, _is_param)
from chainer_irnn.migrate.v1.scan import _integral


class AttributeRules:
    """Mixin of :class:`~chainer_irnn.migrate.chainer_v1.ChainerV1Transformer`."""

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
