"""Python 2 -> Python 3: the syntax-tree step shared by ``migrate`` and ``legacy run``.

Chainer 1.0-1.x examples were Python 2 (``print x``, ``xrange``, ``cPickle``,
``iteritems``, ``except X, e``).  :func:`to_python3` runs the 2to3 fixers of
``fissix`` (the maintained lib2to3 fork) where it is installed, else of the
standard library's ``lib2to3`` (Python <= 3.12), and then replaces ``/`` by
:func:`_py2_div`, a small function written into the output that keeps
Python 2's floor division of integers (unless the script had
``from __future__ import division``).

Python 2 is recognised by its syntax (source that does not compile as
Python 3) or, for source that compiles, by its idioms (:func:`python2_idioms`:
``import cPickle``, ``xrange``, ``d.iteritems()``, ``raw_input``, ``file(...)``,
``print (x)`` next to those, ...).  Code with neither keeps Python 3 meaning
(``/`` is true division) unless the caller forces the translation.

Beyond 2to3, :func:`to_python3` writes ``open`` for the ``file`` builtin,
opens the files that ``pickle.load``/``pickle.dump`` read or write directly in
binary mode (``pickle.load(open(f))`` worked on Python 2's text files), drops
the class argument of Python 2's ``types.MethodType(f, obj, cls)`` and writes
``time.perf_counter`` for ``time.clock`` (removed in Python 3.8).
"""
import ast
import linecache
import re
import warnings

import libcst as cst

from chainer_irnn.errors import UserError

DIV_HELPER_NAME = '_py2_div'

# Python 2's "/", the one definition: migrate writes this text into its output;
# legacy run gives the function it defines (py2_div, compiled from this text)
# to the modules it runs.
DIV_HELPER = '''

def _py2_div(a, b):
    """Python 2's ``/``: floor division of integers (written by chainer-irnn migrate)."""
    import numbers
    import numpy

    def is_int(v):
        return (isinstance(v, numbers.Integral) or
                (isinstance(v, numpy.ndarray) and v.dtype.kind in 'iub'))

    if is_int(a) and is_int(b):
        return a // b
    return a / b
'''


def _compiled(code, name):
    """The function ``name`` that the source ``code`` defines, compiled; its
    lines are kept in :mod:`linecache` so that tracebacks show them."""
    filename = '<chainer-irnn {}>'.format(name)
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace = {'__name__': __name__}
    exec(compile(code, filename, 'exec', dont_inherit=True), namespace)
    return namespace[name]


# Modules of Python 2's standard library that Python 3 renamed or removed.
PY2_MODULES = frozenset((
    'cPickle', 'StringIO', 'cStringIO', 'Queue', 'urllib2', 'urlparse',
    'ConfigParser', '__builtin__', 'copy_reg', 'HTMLParser', 'httplib',
    'commands', 'Tkinter', 'SocketServer', 'cookielib', 'htmlentitydefs',
    'xmlrpclib', 'dummy_thread', 'thread', 'repr', 'anydbm', 'dbhash',
    'robotparser', 'UserDict', 'UserList', 'UserString', 'exceptions'))
# Builtins that only Python 2 has.
PY2_BUILTINS = frozenset((
    'xrange', 'raw_input', 'unicode', 'basestring', 'long', 'unichr',
    'execfile', 'file', 'reduce', 'cmp', 'reload', 'buffer', 'intern',
    'apply', 'coerce'))
# Methods that only Python 2's dict (and friends) had.
PY2_METHODS = frozenset((
    'iteritems', 'itervalues', 'iterkeys', 'has_key', 'viewitems',
    'viewkeys', 'viewvalues'))


def _name_of(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id + '.' + node.attr
    return None


def _bound_names(tree):
    """Every name the module binds anywhere (assignments, defs, imports, args)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split('.')[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def python2_idioms(source, filename='<script>'):
    """``[(line, what)]``: Python 2 idioms in ``source`` that compiles as Python 3.

    Strong idioms only (each one fails or means something else on Python 3):
    Python 2 modules, Python 2 builtins that the module does not define itself,
    ``.iteritems()``-style methods.  ``print (x)`` with a space (Python 2's
    statement around one parenthesised value) counts only next to one of those.
    Returns ``[]`` for source that does not compile.
    """
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
    found = []
    bound = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] in PY2_MODULES:
                    found.append((node.lineno, 'import ' + alias.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split('.')[0] in PY2_MODULES:
            found.append((node.lineno, 'from {} import'.format(node.module)))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                node.id in PY2_BUILTINS:
            if bound is None:
                bound = _bound_names(tree)
            if node.id not in bound:
                found.append((node.lineno, node.id))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in PY2_METHODS and \
                len(node.args) == (1 if node.func.attr == 'has_key' else 0) and \
                not node.keywords and _name_of(node.func.value) not in ('six', 'future'):
            # d.iteritems() / d.has_key(k); six.iteritems(d) is Python 2/3 code
            found.append((node.lineno, '.{}()'.format(node.func.attr)))
        elif isinstance(node, ast.Call) and _name_of(node.func) in (
                'MethodType', 'types.MethodType', 'new.instancemethod') and \
                len(node.args) == 3:
            found.append((node.lineno, 'MethodType(f, obj, cls)'))
        elif isinstance(node, ast.Attribute) and node.attr == 'clock' and \
                isinstance(node.value, ast.Name) and node.value.id == 'time':
            found.append((node.lineno, 'time.clock'))
    if found:
        for i, line in enumerate(source.splitlines(), 1):
            if re.match(r'\s*print\s+\(', line):
                found.append((i, 'print (...)'))
    return sorted(found)


def is_python2(source, filename='<script>'):
    """True if ``source`` is Python 2: by its syntax, or by its idioms when it
    also compiles as Python 3 (:func:`python2_idioms`)."""
    try:
        compile(source, filename, 'exec', dont_inherit=True)
        return bool(python2_idioms(source, filename))
    except SyntaxError:
        pass
    try:
        _refactor(source, filename)
    except UserError:
        return False
    return True


def _lib2to3():
    try:
        from fissix import refactor   # NOQA
        return refactor, 'fissix.fixes'
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            try:
                from lib2to3 import refactor   # NOQA
            except ImportError:
                raise UserError(
                    'translating Python 2 needs fissix (pip install fissix) on '
                    'Python >= 3.13')
        return refactor, 'lib2to3.fixes'


def _refactor(source, filename):
    refactor, package = _lib2to3()
    fixers = refactor.get_fixers_from_package(package)
    tool = refactor.RefactoringTool(fixers)
    if not source.endswith('\n'):
        source += '\n'
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            tree = tool.refactor_string(source, filename)
    except Exception as e:   # ParseError / TokenError carry a position
        context = getattr(e, 'context', None)
        line, col = (context[1] if context and len(context) > 1 else (None, None))
        where = '{}, line {}, column {}'.format(filename, line, col + 1) \
            if line else filename
        raise UserError('{}: neither Python 3 nor Python 2 syntax ({}): fix '
                        'the script there'.format(where, type(e).__name__))
    return str(tree)


class _DivisionTransformer(cst.CSTTransformer):
    def __init__(self):
        self.count = 0

    def leave_BinaryOperation(self, original, updated):
        if isinstance(updated.operator, cst.Divide):
            self.count += 1
            return cst.Call(func=cst.Name(DIV_HELPER_NAME), args=[
                cst.Arg(updated.left),
                cst.Arg(updated.right)])
        return updated

    def leave_AugAssign(self, original, updated):
        if isinstance(updated.operator, cst.DivideAssign):
            self.count += 1
            return cst.Assign(
                targets=[cst.AssignTarget(updated.target)],
                value=cst.Call(func=cst.Name(DIV_HELPER_NAME), args=[
                    cst.Arg(updated.target), cst.Arg(updated.value)]))
        return updated


class _Py2Builtins(cst.CSTTransformer):
    """``file(...)`` -> ``open(...)``; ``pickle.load(open(f))`` -> ``open(f, 'rb')``."""

    def __init__(self, bound):
        self.bound = bound
        self.count = 0

    def leave_Attribute(self, original, updated):
        # time.clock() (gone in Python 3.8) -> time.perf_counter()
        if updated.attr.value == 'clock' and isinstance(updated.value, cst.Name) and \
                updated.value.value == 'time':
            self.count += 1
            return updated.with_changes(attr=cst.Name('perf_counter'))
        return updated

    def leave_Call(self, original, updated):
        if isinstance(updated.func, cst.Name) and updated.func.value == 'file' and \
                'file' not in self.bound:
            self.count += 1
            updated = updated.with_changes(func=cst.Name('open'))
        # types.MethodType(f, obj, cls) of Python 2 -> MethodType(f, obj)
        func = updated.func
        fname = func.value if isinstance(func, cst.Name) else (
            func.attr.value if isinstance(func, cst.Attribute) else None)
        if fname == 'MethodType' and len(updated.args) == 3 and \
                not any(a.keyword or a.star for a in updated.args):
            self.count += 1
            args = list(updated.args[:2])
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            updated = updated.with_changes(args=args)
        func = updated.func
        if isinstance(func, cst.Attribute) and func.attr.value in ('load', 'dump') and \
                isinstance(func.value, cst.Name) and \
                func.value.value in ('pickle', 'cPickle', 'six.moves.cPickle'):
            index = 0 if func.attr.value == 'load' else 1
            if len(updated.args) > index:
                arg = updated.args[index]
                new = self._binary(arg.value, 'rb' if index == 0 else 'wb')
                if new is not arg.value:
                    self.count += 1
                    args = list(updated.args)
                    args[index] = arg.with_changes(value=new)
                    updated = updated.with_changes(args=args)
        return updated

    @staticmethod
    def _binary(node, mode):
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and
                node.func.value == 'open' and node.args):
            return node
        args = list(node.args)
        if len(args) == 1:
            return node.with_changes(args=[args[0].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(' '))),
                cst.Arg(cst.SimpleString(repr(mode)))])
        m = args[1].value
        if args[1].keyword is None and isinstance(m, cst.SimpleString) and \
                'b' not in m.evaluated_value:
            args[1] = args[1].with_changes(value=cst.SimpleString(
                repr(m.evaluated_value + 'b')))
            return node.with_changes(args=args)
        return node


def _has_future_division(module):
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom) and \
                        isinstance(small.module, cst.Name) and \
                        small.module.value == '__future__' and \
                        not isinstance(small.names, cst.ImportStar) and \
                        any(a.name.value == 'division' for a in small.names):
                    return True
    return False


def _insert_after_imports(module, code):
    """Insert ``code`` after the docstring, ``__future__`` and leading imports."""
    body = list(module.body)
    index = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) or
                (i == 0 and isinstance(s, cst.Expr) and
                 isinstance(s.value, cst.SimpleString)) for s in stmt.body):
            index = i + 1
        else:
            break
    helper = list(cst.parse_module(code).body)
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    helper[0] = helper[0].with_changes(leading_lines=blank if index else [])
    rest = body[index:]
    if rest:
        rest[0] = rest[0].with_changes(leading_lines=blank + list(
            getattr(rest[0], 'leading_lines', [])))
    body = body[:index] + helper + rest
    return module.with_changes(body=body)


#: Python 2's ``/``: the ``_py2_div`` of :data:`DIV_HELPER`, for code run by
#: ``legacy run``: given to the translated module instead of written into it,
#: so that its lines keep the original file's numbers.
py2_div = _compiled(DIV_HELPER, DIV_HELPER_NAME)


def to_python3(source, filename='<script>', div_helper=True):
    """Translate Python 2 ``source`` to Python 3; return ``(code, notes)``.

    ``notes`` are human-readable lines about what was rewritten.  With
    ``div_helper=False`` the ``_py2_div`` function is not written into the code
    (the caller defines it in the module's namespace: :func:`py2_div`), so each
    statement stays on its original line.
    """
    # 2to3 drops ``from __future__`` imports: look before translating.
    future_division = re.search(r'^from\s+__future__\s+import\s+[^#\n]*\bdivision\b',
                                source, re.M) is not None
    code = _refactor(source, filename)
    notes = ['Python 2 syntax translated with the 2to3 fixers']
    module = cst.parse_module(code)
    fixer = _Py2Builtins(_bound_names(ast.parse(code)))
    module = module.visit(fixer)
    if fixer.count:
        notes.append('{} Python 2 file()/text-mode pickle/MethodType/time.clock '
                     'use(s) rewritten'.format(fixer.count))
    if not future_division and not _has_future_division(module):
        transformer = _DivisionTransformer()
        module = module.visit(transformer)
        if transformer.count and div_helper:
            module = _insert_after_imports(module, DIV_HELPER)
            notes.append('{} "/" kept as Python 2 division via {}()'.format(
                transformer.count, DIV_HELPER_NAME))
    return module.code, notes
