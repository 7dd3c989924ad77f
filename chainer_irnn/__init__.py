"""chainer-irnn: identity-initialised ReLU recurrent networks for Chainer.

Importing this package is cheap; the names below load Chainer (through the
modern-stack shims in :mod:`chainer_irnn.compat`) on first use.
"""
from chainer_irnn._version import __version__  # NOQA

_LAZY = {
    'IRNN': 'chainer_irnn.links.irnn',
    'RecurrentClassifier': 'chainer_irnn.links.classifier',
    'irnn_recurrence': 'chainer_irnn.functions',
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        from chainer_irnn import compat
        compat.apply()
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError('module {!r} has no attribute {!r}'.format(__name__, name))
