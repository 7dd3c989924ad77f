"""``F.Linear``/``F.EmbedID``/... shims: 1.x initialisation and attributes."""
import math

import numpy

from tests.compat_tests.v1_helpers import v1_warnings


def test_linear_wscale_draws_exactly_what_1x_drew(chainer_v1):
    F = chainer_v1.functions
    numpy.random.seed(3)
    f = F.Linear(50, 7, wscale=2.5, bias=0.5)
    numpy.random.seed(3)
    # Chainer 1.0 functions/linear.py: normal(0, wscale * sqrt(1 / in_size))
    expected = numpy.random.normal(0, 2.5 * math.sqrt(1. / 50), (7, 50)).astype(numpy.float32)
    numpy.testing.assert_array_equal(f.W.array, expected)
    assert (f.b.array == 0.5).all()
    assert F.Linear(3, 2, nobias=True).b is None


def test_linear_default_scale_is_sqrt_one_over_fan_in(chainer_v1):
    numpy.random.seed(0)
    f = chainer_v1.functions.Linear(400, 300)
    assert abs(f.W.array.std() - math.sqrt(1. / 400)) < 0.002


def test_embed_id_is_randn(chainer_v1):
    numpy.random.seed(1)
    f = chainer_v1.functions.EmbedID(10, 4)
    numpy.random.seed(1)
    numpy.testing.assert_array_equal(f.W.array,
                                     numpy.random.randn(10, 4).astype(numpy.float32))


def test_convolution_fan_in_and_bias(chainer_v1):
    numpy.random.seed(2)
    f = chainer_v1.functions.Convolution2D(3, 4, 5, wscale=2, bias=0.1)
    numpy.random.seed(2)
    expected = numpy.random.normal(0, 2 * math.sqrt(1. / (3 * 5 * 5)), (4, 3, 5, 5))
    numpy.testing.assert_array_equal(f.W.array, expected.astype(numpy.float32))
    numpy.testing.assert_allclose(f.b.array, 0.1)


def test_batch_normalization_keeps_1x_eps(chainer_v1):
    assert chainer_v1.functions.BatchNormalization(3).eps == 1e-5


def test_array_assignment_keeps_the_parameter_and_gw(chainer_v1):
    F = chainer_v1.functions
    f = F.Linear(3, 3)
    f.W = numpy.identity(3, dtype=numpy.float32)
    assert isinstance(f.W, chainer_v1.Parameter)
    assert len(list(f.params())) == 2
    numpy.testing.assert_array_equal(f.W.array, numpy.identity(3))
    y = chainer_v1.functions.sum(f(numpy.ones((1, 3), numpy.float32)))
    y.backward()
    numpy.testing.assert_array_equal(f.gW, numpy.ones((3, 3)))
    assert f.parameters[0] is f.W.array and f.gradients[1] is f.b.grad


def test_aliases_and_huffman_tree(chainer_v1):
    F = chainer_v1.functions
    assert isinstance(F.NegativeSampling(3, [1, 2, 3], 2), chainer_v1.links.NegativeSampling)
    tree = F.create_huffman_tree({0: 3, 1: 2, 2: 1})
    assert isinstance(F.BinaryHierarchicalSoftmax(3, tree),
                      chainer_v1.links.BinaryHierarchicalSoftmax)


def test_each_function_warns_once_naming_links(chainer_v1):
    F = chainer_v1.functions
    messages = v1_warnings(lambda: (F.Linear(1, 1), F.EmbedID(2, 1)))
    assert len(messages) == 2
    assert any('chainer.links.Linear' in m for m in messages)
    assert any('chainer.links.EmbedID' in m for m in messages)


def test_1x_parameters_behave_as_the_arrays_they_were(chainer_v1):
    F = chainer_v1.functions
    numpy.random.seed(0)
    model = chainer_v1.FunctionSet(conv1=F.Convolution2D(1, 2, 3), l=F.Linear(3, 2))
    f = model.l
    assert isinstance(f.W, chainer_v1.Parameter)            # still a parameter
    # reads: model.conv1.W.max() and friends return array values
    assert model.conv1.W.max() == model.conv1.W.array.max()
    assert abs(f.W.mean() - f.W.array.mean()) < 1e-7 and f.W.T.shape == (3, 2)
    # iteration and formatting: saving a model row by row (odashi/chainer_examples)
    rows = [' '.join('%.8e' % x for x in row) for row in f.W]
    assert rows[0].split()[0] == '%.8e' % f.W.array[0, 0]
    assert '{:.3f}'.format(f.b[0]) == '0.000' and float(f.b[1]) == 0.
    # item assignment: loading it back row by row
    for i, row in enumerate(f.W):
        f.W[i] = numpy.arange(3) + i
    numpy.testing.assert_array_equal(f.W.array, [[0, 1, 2], [1, 2, 3]])
    # arithmetic gives arrays; in-place arithmetic changes the parameter
    assert isinstance(f.W * 2, numpy.ndarray) and (2 * f.W)[1, 2] == 6
    f.W -= 1
    numpy.testing.assert_array_equal(f.W.array, [[-1, 0, 1], [0, 1, 2]])
    numpy.testing.assert_array_equal(numpy.asarray(f.W), f.W.array)
    # and the link trains as a Chainer 7 link
    x = chainer_v1.Variable(numpy.ones((1, 3), numpy.float32))
    opt = chainer_v1.optimizers.SGD(lr=1.)
    opt.setup(model)
    opt.zero_grads()
    chainer_v1.functions.sum(f(x)).backward()
    opt.update()
    numpy.testing.assert_array_equal(f.W.array, [[-2, -1, 0], [-1, 0, 1]])


def test_1x_parameter_class_survives_pickle_and_copy(chainer_v1):
    import copy
    import pickle
    from chainer_irnn.compat.v1.parameter_array import V1Parameter
    f = chainer_v1.functions.Linear(2, 2)
    for g in (pickle.loads(pickle.dumps(f)), copy.deepcopy(f)):
        assert isinstance(g.W, V1Parameter) and g.W.max() == f.W.max()
    assert not isinstance(chainer_v1.links.Linear(2, 2).W, V1Parameter)   # 1.5+ links


def test_1x_function_objects(chainer_v1):
    # dsanno/chainer-cifar's net.py: F.AveragePooling2D(8, 1, 0, False, True), F.ReLU()
    F = chainer_v1.functions
    x = chainer_v1.Variable(numpy.arange(2 * 8 * 8, dtype=numpy.float32).reshape(1, 2, 8, 8))
    pool = F.AveragePooling2D(8, 1, 0, False, True)
    numpy.testing.assert_allclose(pool(x).array, F.average_pooling_2d(x, 8, 1, 0).array)
    assert F.ReLU()(x - 100).array.min() == 0
    assert F.MaxPooling2D(2, stride=2)(x).shape == (1, 2, 4, 4)
