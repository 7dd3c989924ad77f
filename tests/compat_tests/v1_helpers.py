"""Helpers of the Chainer 1.x shim tests (the ``chainer_v1`` fixture is in conftest)."""
import warnings

from chainer_irnn.compat import v1


def v1_warnings(func, times=2):
    """Call ``func`` ``times`` times; return the ChainerV1Warning messages."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for _ in range(times):
            func()
    return [str(w.message) for w in caught if issubclass(w.category, v1.ChainerV1Warning)]
