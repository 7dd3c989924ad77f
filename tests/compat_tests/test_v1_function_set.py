"""``chainer.FunctionSet`` shim: a Chain with the 1.x tuples and order."""
import numpy
import pytest

from tests.compat_tests.v1_helpers import v1_warnings


def test_children_registered_and_parameter_order_sorted_by_name(chainer_v1):
    F = chainer_v1.functions
    model = chainer_v1.FunctionSet(zeta=F.Linear(2, 3), alpha=F.EmbedID(4, 5),
                                   mid=F.Linear(3, 6, nobias=True))
    assert isinstance(model, chainer_v1.Chain)
    assert sorted(model._children) == ['alpha', 'mid', 'zeta']
    shapes = [a.shape for a in model.parameters]
    # 1.x: sorted(name) -> alpha.W, mid.W, zeta.W, zeta.b
    assert shapes == [(4, 5), (6, 3), (3, 2), (3,)]
    assert all(isinstance(a, numpy.ndarray) for a in model.parameters)
    grads = model.gradients
    assert [g.shape for g in grads] == shapes and all((g == 0).all() for g in grads)


def test_attribute_assignment_registers_a_link(chainer_v1):
    F = chainer_v1.functions
    model = chainer_v1.FunctionSet(a=F.Linear(2, 3))
    model.b = F.Linear(3, 1)
    assert sorted(model._children) == ['a', 'b']
    assert len(list(model.params())) == 4


def test_collect_parameters_sets_up_optimizer_and_parameters_setter(chainer_v1):
    F = chainer_v1.functions
    model = chainer_v1.FunctionSet(a=F.Linear(2, 3))
    params, grads = model.collect_parameters()
    assert len(params) == len(grads) == 2
    opt = chainer_v1.optimizers.SGD(lr=0.1)
    opt.setup(model.collect_parameters())
    assert opt.target is model
    model.parameters = [numpy.ones((3, 2), numpy.float32), numpy.full(3, 2, numpy.float32)]
    assert (model.a.W.array == 1).all() and (model.a.b.array == 2).all()
    model.copy_parameters_from([numpy.zeros((3, 2), numpy.float32),
                                numpy.zeros(3, numpy.float32)])
    assert (model.a.W.array == 0).all()


def test_setup_with_a_plain_tuple_is_refused(chainer_v1):
    opt = chainer_v1.optimizers.SGD()
    with pytest.raises(TypeError, match='collect_parameters'):
        opt.setup((), )


def test_warns_once_naming_chain(chainer_v1):
    F = chainer_v1.functions
    messages = v1_warnings(lambda: chainer_v1.FunctionSet(a=F.Linear(1, 1)))
    assert sum('FunctionSet' in m for m in messages) == 1
    assert any('chainer.Chain' in m for m in messages)


def test_numpy_array_of_parameters_is_an_object_array_as_in_2015(chainer_v1, tmp_path):
    # libDNN's save_param: numpy.save(dst, numpy.array(model.to_cpu().parameters))
    import numpy
    F = chainer_v1.functions
    model = chainer_v1.FunctionSet(l1=F.Linear(3, 2), l2=F.Linear(2, 2))
    param = numpy.array(model.to_cpu().parameters)
    assert param.dtype == object and param.shape == (4,)
    numpy.testing.assert_array_equal(param[0], model.l1.W.array)
    numpy.save(str(tmp_path / 'p.npy'), param)
    assert numpy.load(str(tmp_path / 'p.npy'), allow_pickle=True).shape == (4,)
    same = numpy.array(chainer_v1.FunctionSet(a=F.Linear(2, 2, nobias=True)).parameters)
    assert same.dtype == numpy.float32 and same.shape == (1, 2, 2)
