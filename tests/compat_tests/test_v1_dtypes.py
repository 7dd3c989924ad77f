"""Chainer 1.x arithmetic of float64 and float32 Variables (``compat.v1.dtypes``)."""
import numpy
import pytest


def test_float64_accumulator_of_float32_losses(chainer_v1):
    chainer, F = chainer_v1, chainer_v1.functions
    w = chainer.Variable(numpy.array([1., 2.], numpy.float32))
    accum_loss = chainer.Variable(numpy.zeros(()))          # float64, as in 2015
    for _ in range(3):
        accum_loss += F.sum(w * w)
    assert accum_loss.dtype == numpy.float64 and float(accum_loss.array) == 15.
    accum_loss.backward()
    assert w.grad.dtype == numpy.float32
    numpy.testing.assert_allclose(w.grad, [6., 12.])
    y = 2 * w - chainer.Variable(numpy.ones(2))            # reflected and sub
    assert y.dtype == numpy.float64


def test_same_dtypes_are_chainer7s_own(chainer_v1):
    chainer = chainer_v1
    a = chainer.Variable(numpy.ones(2, numpy.float32))
    assert (a + a).dtype == numpy.float32
    with pytest.raises(Exception):
        a + chainer.Variable(numpy.ones(2, numpy.int32))   # not floats: still refused
