"""Optimizer 1.x methods: zero_grads, clip_grads, weight_decay, ..."""
import math

import numpy

from tests.compat_tests.v1_helpers import v1_warnings


def setup(chainer):
    F = chainer.functions
    model = chainer.FunctionSet(a=F.Linear(2, 2), b=F.Linear(2, 1))
    opt = chainer.optimizers.SGD(lr=1.0)
    opt.setup(model)
    return model, opt


def test_zero_grads_fills_zeros_and_backprop_accumulates(chainer_v1):
    model, opt = setup(chainer_v1)
    opt.zero_grads()
    assert all((g == 0).all() for g in model.gradients)
    x = numpy.ones((1, 2), numpy.float32)
    chainer_v1.functions.sum(model.b(model.a(x))).backward()
    once = [g.copy() for g in model.gradients]
    chainer_v1.functions.sum(model.b(model.a(x))).backward()
    for g, g1 in zip(model.gradients, once):   # 1.x: accumulate until zero_grads
        numpy.testing.assert_allclose(g, 2 * g1)
    opt.zero_grads()
    assert all((g == 0).all() for g in model.gradients)


def test_clip_grads_and_norm(chainer_v1):
    model, opt = setup(chainer_v1)
    for g in model.gradients:
        g.fill(3)
    n = sum(g.size for g in model.gradients)
    assert math.isclose(opt.compute_grads_norm(), 3 * math.sqrt(n), rel_tol=1e-6)
    opt.clip_grads(1.0)
    assert math.isclose(opt.compute_grads_norm(), 1.0, rel_tol=1e-6)
    opt.clip_grads(5.0)   # below the threshold: unchanged
    assert math.isclose(opt.compute_grads_norm(), 1.0, rel_tol=1e-6)


def test_weight_decay_and_accumulate(chainer_v1):
    model, opt = setup(chainer_v1)
    opt.zero_grads()
    opt.weight_decay(0.5)
    for p, g in zip(model.parameters, model.gradients):
        numpy.testing.assert_allclose(g, 0.5 * p)
    opt.zero_grads()
    opt.accumulate_grads([numpy.ones_like(g) for g in model.gradients])
    assert all((g == 1).all() for g in model.gradients)


def test_update_after_v1_loop_matches_sgd(chainer_v1):
    model, opt = setup(chainer_v1)
    before = [p.copy() for p in model.parameters]
    opt.zero_grads()
    for g in model.gradients:
        g.fill(0.25)
    opt.update()
    for p, p0 in zip(model.parameters, before):
        numpy.testing.assert_allclose(p, p0 - 0.25)


def test_warnings_once_each(chainer_v1):
    model, opt = setup(chainer_v1)
    messages = v1_warnings(lambda: (opt.zero_grads(), opt.clip_grads(1.0)))
    assert len([m for m in messages if 'zero_grads' in m]) == 1
    assert len([m for m in messages if 'clip_grads' in m]) == 1
    assert any('cleargrads' in m for m in messages)
    assert any('GradientClipping' in m for m in messages)
