"""No import circle between chainer_irnn modules.

The graph is read from the source with :mod:`ast` (nothing is imported): a
node per module of the package, an edge from a module to each chainer_irnn
module its ``import`` and ``from ... import`` statements load.

* ``import a.b.c`` loads ``a``, ``a.b`` and ``a.b.c``; ``from a.b import c``
  loads ``a``, ``a.b`` and, when ``c`` is a submodule, ``a.b.c``.
* A module's own enclosing packages are not edges when they are only implied
  by such a path: Python has them (being) initialised before the module
  itself runs.  Reading a name that a package's ``__init__`` defines, from a
  module inside that package (``from chainer_irnn.migrate import helper``
  in ``chainer_irnn/migrate/x.py``), is an edge: that is the circle in which
  the name may not exist yet.
* Relative imports are resolved; ``importlib.import_module`` and other
  imports by a computed name are not seen.

Imports inside functions (deferred imports) are checked twice over:
:func:`test_no_circle_at_module_level` takes only the statements that run
when a module is imported (module body, class bodies, ``if``/``try`` blocks
at that level), where a circle can break an import outright;
:func:`test_no_circle_with_deferred_imports` takes every import, those
inside functions included, since deferring one end of a circle hides it
from the interpreter, not from the design.  A deferred circle listed in
:data:`KNOWN_DEFERRED` (exactly those modules, with the reason it is there)
is let through until it is taken apart; any other fails.
"""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'chainer_irnn'

#: Circles through imports inside functions, still to be taken apart:
#: {frozenset of the modules: why}.
KNOWN_DEFERRED = {}


def modules():
    """``{dotted name: path}`` of every module of the package."""
    found = {}
    for folder, dirs, files in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, '.')
                if dotted.endswith('.__init__'):
                    dotted = dotted[:-len('.__init__')]
                found[dotted] = path
    return found


def _parents(module):
    parts = module.split('.')
    return {'.'.join(parts[:i]) for i in range(1, len(parts))}


def _path_to(module, target):
    """``target`` and the packages above it, less those enclosing ``module``."""
    parts = target.split('.')
    return ['.'.join(parts[:i]) for i in range(1, len(parts) + 1)
            if '.'.join(parts[:i]) not in _parents(module)]


def _targets(module, is_package, node, known):
    """The modules one import statement of ``module`` loads."""
    if isinstance(node, ast.Import):
        return [t for alias in node.names for t in _path_to(module, alias.name)]
    if node.level:
        base = module if is_package else module.rpartition('.')[0]
        for _ in range(node.level - 1):
            base = base.rpartition('.')[0]
        base = base + '.' + node.module if node.module else base
    else:
        base = node.module
    out = []
    for alias in node.names:
        sub = base + '.' + alias.name
        if sub in known:
            out += _path_to(module, sub)
        else:
            out += _path_to(module, base)
            if base in _parents(module):
                out.append(base)    # a name of the package still being initialised
    return out


def _imports(tree, deferred):
    """Import statements of a module; inside functions only if ``deferred``."""
    if deferred:
        return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def import_graph(deferred):
    """``{module: set of chainer_irnn modules it imports}``."""
    known = modules()
    graph = {}
    for module, path in known.items():
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        is_package = path.endswith('__init__.py')
        graph[module] = {t for node in _imports(tree, deferred)
                         for t in _targets(module, is_package, node, known)
                         if t in known and t != module}
    return graph


def circles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def describe(graph, component):
    members = set(component)
    return '; '.join('{} -> {}'.format(m, ', '.join(sorted(graph[m] & members)))
                     for m in component)


def test_no_circle_at_module_level():
    graph = import_graph(deferred=False)
    found = circles(graph)
    assert not found, [describe(graph, c) for c in found]


def test_no_circle_with_deferred_imports():
    graph = import_graph(deferred=True)
    found = [c for c in circles(graph) if frozenset(c) not in KNOWN_DEFERRED]
    assert not found, [describe(graph, c) for c in found]


def test_the_walk_sees_circles():
    """The checks above would see a circle, direct or through a package."""
    assert circles({'a': {'b'}, 'b': {'a'}, 'c': set()}) == [['a', 'b']]
    assert circles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == [['a', 'b', 'c']]
    known = {'p': '', 'p.x': '', 'p.y': ''}
    tree = ast.parse('from p import helper\nfrom p import y\nimport p.y\n'
                     'def f():\n    from p.x import z\n')
    assert [_targets('p.x', False, n, known) for n in _imports(tree, False)] == [
        ['p'], ['p.y'], ['p.y']]
    assert ['p.x'] in [_targets('p.y', False, n, known) for n in _imports(tree, True)]
    graph = import_graph(deferred=True)
    assert 'chainer_irnn.functions.rnn.irnn_recurrence' in graph
    assert 'chainer_irnn.functions._numba' in graph[
        'chainer_irnn.functions.connection.embed_id']
