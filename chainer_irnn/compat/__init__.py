"""Compatibility layer.

``modern``  — shims that let Chainer 7.8.1 run on Python 3.11/3.12, NumPy 1.26
and 2.x, setuptools without ``pkg_resources`` and CuPy 13/14.
``autoload`` — the start-up hook that applies them before any ``import chainer``.

This package imports nothing heavy: the start-up hook imports it in every
Python process of the environment.
"""


def apply():
    """Apply the modern-stack shims and return the imported ``chainer``."""
    from chainer_irnn.compat import modern
    return modern.apply()
