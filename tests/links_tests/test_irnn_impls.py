"""IRNN(impl='fused') trains exactly like IRNN(impl='naive')."""
import numpy
import pytest

import chainer
import chainer.links as L

from chainer_irnn.functions.rnn import irnn_recurrence as rec_mod
from chainer_irnn.links import IRNN, RecurrentClassifier

NUMBA = pytest.param('numba', marks=pytest.mark.skipif(
    not rec_mod.numba_available(), reason='numba cannot be imported here'))


def train(impl, kernel, dtype, input, lengths, monkeypatch, iterations=20):
    monkeypatch.setenv(rec_mod.ENV_VAR, kernel)
    B, T, V = 4, 9, 11
    rng = numpy.random.RandomState(5)
    if input == 'embed':
        xs = [rng.randint(0, V, (B, T)).astype(numpy.int32) for _ in range(iterations)]
    else:
        xs = [rng.randn(B, T, 3).astype(dtype) for _ in range(iterations)]
    ts = [rng.randint(0, 3, B).astype(numpy.int32) for _ in range(iterations)]
    lens = None if lengths is None else numpy.array(lengths, dtype=numpy.int32)
    with chainer.using_config('dtype', dtype):
        numpy.random.seed(0)   # the same initial weights for both impls
        model = L.Classifier(RecurrentClassifier(
            IRNN(V if input == 'embed' else 3, (6, 5), input=input,
                 input_std=0.5, identity_scale=0.9, impl=impl), 3))
    assert model.predictor.encoder.rec0.W.dtype == dtype
    opt = chainer.optimizers.SGD(lr=0.1)
    opt.setup(model)
    # threshold below the gradient norm, so the clipping scale is exercised
    opt.add_hook(chainer.optimizer_hooks.GradientClipping(0.5))
    losses = []
    for x, t in zip(xs, ts):
        model.cleargrads()
        loss = model(x, lens, t) if lens is not None else model(x, t)
        loss.backward()
        opt.update()
        losses.append(float(loss.array))
    return numpy.array(losses), {n: p.array.copy() for n, p in model.namedparams()}


@pytest.mark.parametrize('kernel', ['numpy', NUMBA])
@pytest.mark.parametrize('input,lengths', [('embed', None), ('embed', [9, 3, 0, 6]),
                                           ('linear', [1, 9, 9, 4])])
@pytest.mark.parametrize('dtype', [numpy.float64, numpy.float32])
def test_fused_and_naive_train_identically(dtype, input, lengths, kernel, monkeypatch):
    naive_losses, naive_params = train('naive', kernel, dtype, input, lengths, monkeypatch)
    fused_losses, fused_params = train('fused', kernel, dtype, input, lengths, monkeypatch)
    # Tolerance: both implementations compute the same expressions and differ
    # only in the order of floating-point sums (bias added before or after the
    # matrix product, gW as one product over all steps instead of one per
    # step, the EmbedID gradient summed in another order).  Each reordering
    # changes a result by a few units in the last place; 20 iterations of a
    # 9-step, 2-layer net chain a few hundred such operations, and gradient
    # clipping rescales by a norm that carries the same relative error.  In
    # float64 that is ~1e-13 relative, so rtol 1e-9 leaves four orders of
    # margin while still catching any real difference (a wrong mask, a missed
    # step or a missing term moves results by >= 1e-3 here).  In float32 the
    # same chain gives ~1e-5, hence rtol 1e-4; atol covers weights near zero.
    rtol, atol = (1e-9, 1e-12) if dtype == numpy.float64 else (1e-4, 1e-6)
    assert naive_losses.std() > 0 and abs(naive_losses[0] - naive_losses[-1]) > 1e-3
    numpy.testing.assert_allclose(fused_losses, naive_losses, rtol=rtol, atol=atol)
    assert fused_params.keys() == naive_params.keys()
    for name in naive_params:
        assert fused_params[name].dtype == dtype
        numpy.testing.assert_allclose(fused_params[name], naive_params[name],
                                      rtol=rtol, atol=atol, err_msg=name)
