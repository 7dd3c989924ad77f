"""Apply the modern-stack shims whenever any code imports :mod:`chainer`.

Installing chainer-irnn puts ``chainer_irnn_compat.pth`` in site-packages;
Python runs it at start-up, and it loads this file as the stand-alone module
``_chainer_irnn_autoload`` (without importing the :mod:`chainer_irnn` package,
so that a source checkout on ``sys.path`` still wins over the installed copy).
It only registers a meta-path finder: no NumPy, no Chainer is imported here,
so start-up stays cheap.  The finder notices the first ``import chainer`` anywhere — a user's
own script included — and wraps Chainer's loader so that
:func:`chainer_irnn.compat.modern.before_import` runs before Chainer's
``__init__`` and :func:`chainer_irnn.compat.modern.after_import` after it.

Set ``CHAINER_IRNN_NO_AUTOLOAD=1`` to switch the hook off (then call
``chainer_irnn.compat.apply()`` yourself, or import :mod:`chainer_irnn` first).
"""
import importlib.abc
import importlib.machinery
import os
import sys


class _ShimLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        from chainer_irnn.compat import modern
        modern.before_import()
        self._loader.exec_module(module)
        modern.after_import(module)


class ChainerShimFinder(importlib.abc.MetaPathFinder):
    """Finds ``chainer`` through the normal path and wraps its loader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'chainer':
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _ShimLoader(spec.loader)
        return spec


def install():
    """Register the finder once (idempotent, whichever copy of this file)."""
    if not any(type(f).__name__ == 'ChainerShimFinder' for f in sys.meta_path):
        sys.meta_path.insert(0, ChainerShimFinder())


if os.environ.get('CHAINER_IRNN_NO_AUTOLOAD', '') != '1':
    install()
