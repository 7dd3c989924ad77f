"""``Variable(x, volatile=...)`` shim: no graph, volatility propagates."""
import numpy
import pytest

from tests.compat_tests.v1_helpers import v1_warnings

X = numpy.ones((2, 3), numpy.float32)


@pytest.mark.parametrize('flag', [True, 'on', 'ON'])
def test_volatile_builds_no_graph_and_propagates(chainer_v1, flag):
    F = chainer_v1.functions
    lin = chainer_v1.links.Linear(3, 2)
    x = chainer_v1.Variable(X, volatile=flag)
    h = F.relu(lin(x))
    assert x.volatile is True and h.volatile is True
    assert h.creator is None
    y = F.sum(h * 2)
    assert y.creator is None


@pytest.mark.parametrize('flag', [False, 'off', 'auto', None])
def test_non_volatile_builds_the_graph(chainer_v1, flag):
    lin = chainer_v1.links.Linear(3, 2)
    x = chainer_v1.Variable(X, volatile=flag)
    y = chainer_v1.functions.sum(lin(x))
    assert x.volatile is False and y.creator is not None
    y.backward()
    assert lin.W.grad is not None


def test_positional_volatile_and_bad_flag(chainer_v1):
    assert chainer_v1.Variable(X, True).volatile is True
    with pytest.raises(ValueError):
        chainer_v1.Variable(X, volatile='maybe')


def test_plain_variables_untouched_and_warning_once(chainer_v1):
    assert not hasattr(chainer_v1.Variable(X), '_v1_volatile')
    messages = v1_warnings(lambda: chainer_v1.Variable(X, volatile=True))
    assert len(messages) == 1 and 'no_backprop_mode' in messages[0]
