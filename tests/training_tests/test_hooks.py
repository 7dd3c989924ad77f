"""Optimizer hooks (chainer_irnn.training.hooks)."""
import warnings

import numpy
import pytest

import chainer
import chainer.links as L

from chainer_irnn.training import hooks
from chainer_irnn.training.config import OptimizerConfig
from chainer_irnn.training.trainer import setup_optimizer


def with_grads(seed, scale=1.0, zero=False):
    """An SGD optimizer on a small two-layer link whose gradients are set."""
    rng = numpy.random.RandomState(seed)
    model = chainer.Sequential(L.Linear(4, 3), L.Linear(3, 2))
    model(numpy.zeros((1, 4), numpy.float32))      # initialise the parameters
    for p in model.params():
        p.grad = numpy.zeros_like(p.array) if zero else \
            (rng.randn(*p.shape) * scale).astype(p.dtype)
    opt = chainer.optimizers.SGD(lr=0.1)
    opt.setup(model)
    return opt


def grads(opt):
    return {name: p.grad.copy() for name, p in opt.target.namedparams()}


@pytest.mark.parametrize('threshold', [0.5, 3.0, 1e3])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_clipping_equals_chainers_to_the_bit(seed, threshold):
    ours, theirs = with_grads(seed), with_grads(seed)
    before = grads(ours)
    hooks.GradientClipping(threshold)(ours)
    chainer.optimizer_hooks.GradientClipping(threshold)(theirs)
    for name, g in grads(theirs).items():
        assert grads(ours)[name].dtype == g.dtype
        numpy.testing.assert_array_equal(grads(ours)[name], g, err_msg=name)
    norm = lambda gs: numpy.sqrt(sum(float((g.astype(numpy.float64) ** 2).sum())  # NOQA: E731
                                     for g in gs.values()))
    assert norm(grads(ours)) <= threshold * (1 + 1e-6)
    changed = any((grads(ours)[k] != before[k]).any() for k in before)
    assert changed == (norm(before) > threshold)
    assert changed or threshold > 100       # both cases are seen


def test_a_zero_gradient_is_left_alone_without_a_warning():
    opt = with_grads(0, zero=True)
    with warnings.catch_warnings():
        warnings.simplefilter('error')      # any RuntimeWarning fails the test
        hooks.GradientClipping(1.0)(opt)
    assert all((g == 0).all() for g in grads(opt).values())
    # what the hook replaces does warn there
    with pytest.warns(RuntimeWarning, match='divide by zero'):
        chainer.optimizer_hooks.GradientClipping(1.0)(with_grads(0, zero=True))


def test_the_optimizer_of_a_run_uses_it_under_chainers_name():
    model = chainer.Sequential(L.Linear(4, 3))
    opt = setup_optimizer(model, OptimizerConfig(name='sgd', lr=0.1, clip=1.0))
    found = opt._hookable._pre_update_hooks
    hook = found['GradientClipping']
    assert isinstance(hook, hooks.GradientClipping) and hook.threshold == 1.0
    opt.remove_hook('GradientClipping')     # found by the name Chainer's has
    assert 'GradientClipping' not in found


def test_an_update_with_dead_units_is_quiet():
    """A whole update (SGD, clipping, the finite check) on zero gradients."""
    model = chainer.Sequential(L.Linear(4, 3))
    opt = setup_optimizer(model, OptimizerConfig(name='sgd', lr=0.1, clip=1.0))
    before = model[0].W.array.copy()
    model.cleargrads()
    model(numpy.zeros((2, 4), numpy.float32))
    for p in model.params():
        p.grad = numpy.zeros_like(p.array)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        opt.update()
    numpy.testing.assert_array_equal(model[0].W.array, before)
