"""chainer-irnn: identity-initialised ReLU recurrent networks for Chainer.

Importing this package is cheap: it registers the modern-stack shims (so a
later ``import chainer``, here or in user code, works on NumPy 2 and Python
3.12) and loads the names below on first use.

The library API:

* :class:`IRNNClassifier` — a scikit-learn estimator over sequences.
* :func:`read_csv`, :func:`read_ts` — labelled sequences from CSV and
  UCR/UEA ``.ts`` files.
* :func:`load_model` — a saved model as a predictor for arrays and files.
* :func:`fit`, :class:`TrainConfig`, :func:`mnist_data` — the training entry
  point the CLI, the estimator and tuning share.
* :class:`IRNN`, :class:`RecurrentClassifier`, :func:`irnn_recurrence` —
  the Chainer link and function.
"""
from chainer_irnn._version import __version__  # NOQA
from chainer_irnn.compat import autoload as _autoload

_autoload.install()

_LAZY = {
    'IRNN': 'chainer_irnn.links',
    'RecurrentClassifier': 'chainer_irnn.links',
    'irnn_recurrence': 'chainer_irnn.functions',
    'IRNNClassifier': 'chainer_irnn.estimator',
    'read_csv': 'chainer_irnn.datasets.tabular',
    'read_ts': 'chainer_irnn.datasets.ts',
    'load_model': 'chainer_irnn.predictor',
    'fit': 'chainer_irnn.training.fitting',
    'mnist_data': 'chainer_irnn.training.fitting',
    'TrainConfig': 'chainer_irnn.training.config',
}

__all__ = sorted(_LAZY) + ['__version__']


def __getattr__(name):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError('module {!r} has no attribute {!r}'.format(__name__, name))


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
