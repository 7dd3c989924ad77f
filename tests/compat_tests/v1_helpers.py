"""Shared fixtures of the Chainer 1.x shim tests."""
import warnings

import pytest

from chainer_irnn.compat import v1


@pytest.fixture
def chainer_v1():
    """The ``chainer`` module with the 1.x shims; removed again afterwards."""
    chainer = v1.install()
    v1.reset_warnings()
    yield chainer
    v1.uninstall()


def v1_warnings(func, times=2):
    """Call ``func`` ``times`` times; return the ChainerV1Warning messages."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for _ in range(times):
            func()
    return [str(w.message) for w in caught if issubclass(w.category, v1.ChainerV1Warning)]
