"""Apply the modern-stack shims whenever any code imports :mod:`chainer`.

Two routes register the hook: ``import chainer_irnn`` (every install mode,
editable included), and ``chainer_irnn_compat.pth``, which a regular install
puts in site-packages so that Python runs it at start-up, before a user's
own ``import chainer``.  The ``.pth`` line loads this file as the
stand-alone module ``_chainer_irnn_autoload`` (without importing the
:mod:`chainer_irnn` package, so that a source checkout on ``sys.path``
still wins over the installed copy).

It only registers a meta-path finder: nothing else is imported here (not
even :mod:`importlib.abc`), so start-up stays cheap.  The finder notices the
first ``import chainer`` anywhere and wraps Chainer's loader so that
:func:`chainer_irnn.compat.modern.before_import` runs before Chainer's
``__init__`` and :func:`chainer_irnn.compat.modern.after_import` after it.

``CHAINER_IRNN_NO_AUTOLOAD=1`` switches the start-up route off; importing
:mod:`chainer_irnn` still registers the hook.
"""
import os
import sys


class _ShimLoader(object):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        from chainer_irnn.compat import modern
        modern.before_import()
        self._loader.exec_module(module)
        modern.after_import(module)


class ChainerShimFinder(object):
    """Finds ``chainer`` through the normal path and wraps its loader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'chainer':
            return None
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _ShimLoader(spec.loader)
        return spec

    def invalidate_caches(self):
        pass


def install():
    """Register the finder once (idempotent, whichever copy of this file).

    When Chainer was imported before (without the hook), the after-import
    shims are applied now.
    """
    if not any(type(f).__name__ == 'ChainerShimFinder' for f in sys.meta_path):
        sys.meta_path.insert(0, ChainerShimFinder())
    if 'chainer' in sys.modules and __name__ != '_chainer_irnn_autoload':
        from chainer_irnn.compat import modern
        modern.apply()


if __name__ == '_chainer_irnn_autoload' and \
        os.environ.get('CHAINER_IRNN_NO_AUTOLOAD', '') != '1':
    install()
