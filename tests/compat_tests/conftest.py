"""Fixtures of the compatibility tests."""
import pytest

from chainer_irnn.compat import v1


@pytest.fixture
def chainer_v1():
    """The ``chainer`` module with the Chainer 1.x shims; removed afterwards."""
    chainer = v1.install()
    v1.reset_warnings()
    yield chainer
    v1.uninstall()
