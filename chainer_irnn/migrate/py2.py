"""Python 2 -> Python 3: the syntax-tree step shared by ``migrate`` and ``legacy run``.

Chainer 1.0-1.x examples were Python 2 (``print x``, ``xrange``, ``cPickle``,
``iteritems``, ``except X, e``).  :func:`to_python3` runs the 2to3 fixers of
``fissix`` (the maintained lib2to3 fork) where it is installed, else of the
standard library's ``lib2to3`` (Python <= 3.12), and then replaces ``/`` by
:func:`_py2_div`, a small function written into the output that keeps
Python 2's floor division of integers (unless the script had
``from __future__ import division``).

A script that already compiles as Python 3 is left alone by :func:`is_python2`
callers: Python 2 code that is also valid Python 3 keeps Python 3 meaning
(``/`` is true division) unless the caller forces the translation.
"""
import re
import warnings

import libcst as cst

from chainer_irnn.errors import UserError

DIV_HELPER_NAME = '_py2_div'

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


def is_python2(source, filename='<script>'):
    """True if ``source`` does not compile as Python 3 but does as Python 2."""
    try:
        compile(source, filename, 'exec', dont_inherit=True)
        return False
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
    return module.with_changes(body=body[:index] + list(helper) + body[index:])


def to_python3(source, filename='<script>'):
    """Translate Python 2 ``source`` to Python 3; return ``(code, notes)``.

    ``notes`` are human-readable lines about what was rewritten.
    """
    # 2to3 drops ``from __future__`` imports: look before translating.
    future_division = re.search(r'^from\s+__future__\s+import\s+[^#\n]*\bdivision\b',
                                source, re.M) is not None
    code = _refactor(source, filename)
    notes = ['Python 2 syntax translated with the 2to3 fixers']
    module = cst.parse_module(code)
    if not future_division and not _has_future_division(module):
        transformer = _DivisionTransformer()
        module = module.visit(transformer)
        if transformer.count:
            module = _insert_after_imports(module, DIV_HELPER)
            notes.append('{} "/" kept as Python 2 division via {}()'.format(
                transformer.count, DIV_HELPER_NAME))
    return module.code, notes
