"""cuda.init/get_device, train=/test= flags, install/uninstall."""
import numpy
import pytest

from chainer_irnn.compat import v1
from tests.compat_tests.v1_helpers import v1_warnings


def test_cuda_init_without_gpu_raises_like_1x(chainer_v1):
    cuda = chainer_v1.backends.cuda
    if cuda.available:
        pytest.skip('a GPU is present')
    with pytest.raises(RuntimeError, match='CUDA environment is not correctly set up'):
        chainer_v1.cuda.init()
    messages = v1_warnings(lambda: pytest.raises(RuntimeError, cuda.init))
    assert messages == []   # warned once already, above


def test_cuda_to_cpu_roundtrip(chainer_v1):
    a = numpy.arange(3)
    assert chainer_v1.cuda.to_cpu(a) is a


def test_dropout_train_kwarg(chainer_v1):
    F = chainer_v1.functions
    x = numpy.ones((100, 100), numpy.float32)
    numpy.testing.assert_array_equal(F.dropout(x, 0.5, train=False).array, x)
    assert (F.dropout(x, 0.5, train=True).array == 0).any()
    assert chainer_v1.config.train is True
    messages = v1_warnings(lambda: F.dropout(x, train=False))
    assert messages == []   # the call above already warned


def test_batch_normalization_test_kwarg_uses_running_statistics(chainer_v1):
    bn = chainer_v1.links.BatchNormalization(2)
    x = numpy.array([[1., 2.], [3., 6.]], numpy.float32)
    # running mean 0, var 1, gamma 1, beta 0: test mode ~ identity
    numpy.testing.assert_allclose(bn(x, test=True).array, x, rtol=1e-4)
    assert abs(bn(x, test=False).array.mean()) < 1e-5


def test_install_is_idempotent_and_uninstall_restores():
    import chainer
    import chainer.functions as F
    original_init = chainer.Variable.__init__
    v1.install()
    v1.install()
    assert v1.installed() and hasattr(chainer, 'FunctionSet') and hasattr(F, 'Linear')
    v1.uninstall()
    assert not v1.installed()
    assert not hasattr(chainer, 'FunctionSet') and not hasattr(F, 'Linear')
    assert chainer.Variable.__init__ is original_init
    with pytest.raises(ValueError, match='volatile'):
        chainer.Variable(numpy.zeros(1), volatile=True)


def test_to_cpu_of_1x_parameters_and_variables(chainer_v1):
    # libDNN's visualizer: cuda.to_cpu(layer.W), cuda.to_cpu(output).data
    import numpy
    cuda = chainer_v1.backends.cuda
    f = chainer_v1.functions.Linear(2, 3)
    w = cuda.to_cpu(f.W)
    assert type(w) is numpy.ndarray and w.shape == (3, 2)
    v = chainer_v1.Variable(numpy.ones(2, numpy.float32))
    assert cuda.to_cpu(v).data is v.data
