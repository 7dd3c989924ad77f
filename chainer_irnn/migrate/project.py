"""What a script's own modules say about it, read without running them.

``migrate FILE`` rewrites one file, but a 1.x project often defines its model
(``FunctionSet``, ``F.Linear``) in another file: ``f.W`` in the script is then
an array although nothing in the script says so.  :func:`local_context`
follows the script's imports of modules in its own folder (transitively,
reading their source as text: nothing is imported or run) and reports whether
they use Chainer and Chainer 1.x's parameterised functions.
"""
import os
import re

V1_PATTERN = re.compile(r'\bFunctionSet\b|\b(F|functions)\.(Linear|EmbedID|Convolution2D)\(')
_IMPORT = re.compile(r'^[ \t]*import[ \t]+([\w. \t,]+)', re.M)
_FROM = re.compile(r'^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([\w. \t,]+)', re.M)


def imported_names(source):
    """``[(level, dotted name)]`` of every module ``source`` may import:
    ``import a.b`` gives ``a.b``; ``from a import b`` gives ``a`` and ``a.b``."""
    names = []
    for m in _IMPORT.finditer(source):
        for part in m.group(1).split(','):
            words = part.split()
            if words:
                names.append((0, words[0]))
    for m in _FROM.finditer(source):
        level, module = len(m.group(1)), m.group(2)
        if module:
            names.append((level, module))
        for part in m.group(3).split(','):
            words = part.split()
            if words and words[0] != '*':
                names.append((level, module + '.' + words[0] if module else words[0]))
    return names


def _module_file(folder, dotted):
    base = os.path.join(folder, *dotted.split('.'))
    for candidate in (base + '.py', os.path.join(base, '__init__.py')):
        if os.path.isfile(candidate):
            return candidate
    return None


def local_context(path, source, limit=200):
    """``(chainer_project, v1_project, followed)`` for the script ``path``.

    ``followed``: the local module files read.  A module that cannot be read
    or decoded counts as using Chainer (nothing can be said about it).
    """
    from chainer_irnn.errors import UserError
    from chainer_irnn.migrate.source import read_source
    root = os.path.dirname(os.path.abspath(path))
    seen = {os.path.realpath(path)}
    queue = [(path, source)]
    followed = []
    chainer_project = v1_project = False
    while queue and len(followed) < limit:
        current, text = queue.pop()
        folder = os.path.dirname(os.path.abspath(current))
        for level, dotted in imported_names(text):
            base = root if level == 0 else folder
            for _ in range(max(level - 1, 0)):
                base = os.path.dirname(base)
            found = _module_file(base, dotted)
            if found is None or os.path.realpath(found) in seen:
                continue
            seen.add(os.path.realpath(found))
            followed.append(found)
            try:
                module_source, _ = read_source(found)
            except UserError:
                chainer_project = True
                continue
            chainer_project = chainer_project or 'chainer' in module_source
            v1_project = v1_project or V1_PATTERN.search(module_source) is not None
            queue.append((found, module_source))
    return chainer_project, v1_project, followed
