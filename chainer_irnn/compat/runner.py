"""Run a Chainer 1.x script as is (``chainer-irnn legacy run``): :func:`run_script`.

The script runs in this process with the Chainer 1.x shims installed
(:mod:`chainer_irnn.compat.v1`), ``sys.argv`` set to the script and its
arguments, ``__name__ == '__main__'`` and the script's folder first on
``sys.path`` (so its own ``data.py``/``net.py`` import).  Python 2 (by its
syntax or its idioms) is translated on the fly by the same syntax-tree step as
``migrate`` (:mod:`chainer_irnn.migrate.py2`), in the script
(:func:`load_script`) and in the local modules it imports (an import hook
limited to the script's folder: :class:`LocalPy2Finder`); ``refuse_py2``
refuses it instead.

Not imported by :mod:`chainer_irnn.compat` itself (the start-up hook loads
that package in every process).
"""
import importlib.abc
import importlib.machinery
import os
import sys

from chainer_irnn.errors import Setting, UserError


def load_script(path, force_py2=False, refuse_py2=False):
    """Read ``path`` and return ``(code object, python2)``; errors as UserError.

    The file is decoded as Python would (its PEP 263 coding declaration, else
    UTF-8).  Python 2 is translated line for line: Python 2's ``/`` calls
    ``_py2_div``, which the caller puts into the module's namespace
    (:func:`chainer_irnn.migrate.py2.py2_div`) instead of the translation
    writing it into the code, so warnings and tracebacks name the original
    file's lines.
    """
    from chainer_irnn.migrate import py2
    from chainer_irnn.migrate.source import read_source
    source, _ = read_source(path)
    python2 = force_py2 or py2.is_python2(source, path)
    if python2:
        if refuse_py2:
            raise UserError('{} is Python 2; translate it first (chainer-irnn migrate {}), or '
                            'drop {}'.format(path, path, Setting('python2', False)))
        translated, _ = py2.to_python3(source, path, div_helper=False)
        lines = [t.rstrip('\n').count('\n') + 1 for t in (translated, source)]
        if lines[0] != lines[1]:
            # 2to3's fixers for tuple parameters and __metaclass__ add or drop a line
            print('chainer-irnn legacy: {}: the Python 2 translation has {} lines for '
                  'the file\'s {} (tuple parameters or __metaclass__): line numbers '
                  'in tracebacks after that place are off'.format(path, *lines),
                  file=sys.stderr)
        source = translated
    try:
        return compile(source, path, 'exec', dont_inherit=True), python2
    except SyntaxError as e:
        raise UserError('{}, line {}, column {}: {}{}'.format(
            path, e.lineno, e.offset, e.msg,
            ' (after the Python 2 translation)' if python2 else ''))


class _Py2Loader(importlib.machinery.SourceFileLoader):
    """Loads a local module, translating it first if it is Python 2.

    Never reads or writes ``__pycache__``: the code depends on the translation.
    """

    def __init__(self, fullname, path, project_py2, refuse_py2):
        super().__init__(fullname, path)
        self.project_py2 = project_py2
        self.refuse_py2 = refuse_py2

    def get_code(self, fullname):
        code, _ = load_script(self.path, force_py2=self.project_py2,
                              refuse_py2=self.refuse_py2)
        return code

    def exec_module(self, module):
        from chainer_irnn.migrate import py2
        module.__dict__.setdefault(py2.DIV_HELPER_NAME, py2.py2_div)
        super().exec_module(module)


def _installed(path):
    """``path`` belongs to an installed package or to this package itself."""
    parts = path.split(os.sep)
    if 'site-packages' in parts or 'dist-packages' in parts:
        return True
    own = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))   # chainer_irnn/
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(os.path.commonpath([path, p]) == p for p in prefixes | {own})


class LocalPy2Finder(importlib.abc.MetaPathFinder):
    """Finds modules under ``root`` (the script's folder), or under a folder that
    the script itself added to ``sys.path``, with :class:`_Py2Loader`.

    ``project_py2``: the script itself is Python 2, so its local modules are
    too (a module valid in both keeps Python 2's ``/``); otherwise each local
    module is translated only if it is Python 2 by its syntax or idioms.
    """

    def __init__(self, root, project_py2=False, refuse_py2=False):
        self.root = os.path.realpath(root)
        self.project_py2 = project_py2
        self.refuse_py2 = refuse_py2
        self.initial_path = set(sys.path)

    def _roots(self):
        """The script's folder and the folders the script put on ``sys.path``
        itself (``sys.path.append('..')`` to reach its own library)."""
        roots = [self.root]
        for entry in sys.path:
            if entry not in self.initial_path and isinstance(entry, str) and \
                    os.path.isdir(entry or '.'):
                roots.append(os.path.realpath(entry or '.'))
        return roots

    def find_spec(self, fullname, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.origin.endswith('.py') or \
                not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None
        origin = os.path.realpath(spec.origin)
        if not any(os.path.commonpath([origin, root]) == root for root in self._roots()):
            return None
        if _installed(origin):
            return None     # a virtual environment inside the script's folder
        spec.loader = _Py2Loader(fullname, spec.origin, self.project_py2, self.refuse_py2)
        return spec


def run_script(path, argv, force_py2=False, refuse_py2=False):
    """Run ``path`` as ``__main__`` with the shims; return its exit status."""
    from chainer_irnn.compat import v1
    code, python2 = load_script(path, force_py2, refuse_py2)
    v1.install()
    path = os.path.abspath(path)
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    finder = LocalPy2Finder(os.path.dirname(path), project_py2=python2,
                            refuse_py2=refuse_py2)
    sys.meta_path.insert(0, finder)
    saved_main = sys.modules.get('__main__')
    import types
    main = types.ModuleType('__main__')
    main.__file__ = path
    main.__builtins__ = __builtins__
    if python2:
        from chainer_irnn.migrate import py2
        setattr(main, py2.DIV_HELPER_NAME, py2.py2_div)
    sys.argv = [path] + list(argv)
    sys.path.insert(0, os.path.dirname(path))
    sys.modules['__main__'] = main
    try:
        exec(code, main.__dict__)
        return 0
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        print(e.code, file=sys.stderr)
        return 1
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        sys.argv, sys.path[:] = saved_argv, saved_path
        if saved_main is not None:
            sys.modules['__main__'] = saved_main
