"""What a module holds, read before it is rewritten.

:class:`_Aliases` finds the local names of ``chainer.functions``,
``chainer.links``, ``FunctionSet``, ``Variable`` and ``cuda`` and the
FunctionSet classes and objects of the module; :class:`_IntegralNames` and
:func:`_integral` find the values that look integral, where Python 2's ``/``
floored.
"""
import libcst as cst

from chainer_irnn.migrate.v1.names import V1_LINKS, _dotted, _walk


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
