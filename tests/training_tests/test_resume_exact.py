"""Resuming is exact with dropout and input noise: the random draws of a
resumed run are those of the uninterrupted run (issue 22, item 7)."""
import json
import os

import chainer
import numpy
import pytest

from chainer_irnn.training import fit, mnist_data, snapshots
from chainer_irnn.training.config import TrainConfig


def toy(n=48, T=5, F=2, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, T, F).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(numpy.int32)
    return chainer.datasets.TupleDataset(x, y)


def meta():
    return {'data': 'arrays', 'data_source': 'test', 'in_size': 2, 'n_class': 2}


def read_log(out):
    with open(os.path.join(out, 'log')) as f:
        return [{k: v for k, v in e.items() if k != 'elapsed_time'} for e in json.load(f)]


def params(model):
    return {k: v.array.copy() for k, v in model.namedparams()}


def killed_after(out, keep_until):
    """As if the run had been killed right after snapshot ``keep_until``."""
    for it, path in snapshots.find_snapshots(out):
        if it > keep_until:
            os.remove(path)
    for name in ('model.npz', 'model.json'):
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))


def check_resume_is_exact(tmp_path, cfg, train, val, meta, keep_until):
    full = fit(cfg, train, val, out=str(tmp_path / 'full'), meta=meta, resume='none')
    part = str(tmp_path / 'part')
    fit(cfg, train, val, out=part, meta=meta, resume='none')
    killed_after(part, keep_until)
    # what the process does between the runs must not matter either
    numpy.random.seed(12345)
    numpy.random.rand(7)
    resumed = fit(cfg, train, val, out=part, meta=meta, resume='auto')
    assert read_log(part) == read_log(str(tmp_path / 'full'))
    want = params(full.model)
    for k, v in params(resumed.model).items():
        numpy.testing.assert_array_equal(v, want[k], err_msg=k)


@pytest.mark.parametrize('over', [dict(dropout=0.3), dict(input_noise=0.2),
                                  dict(input_dropout=0.2, hidden=(8, 6), dropout=0.2),
                                  dict(augment_scale=0.2, augment_slice=0.3),
                                  dict(bidirectional=True, hidden=(6, 4), dropout=0.2,
                                       input_noise=0.1, augment_slice=0.2, pool='max')])
def test_resume_with_dropout_or_noise_equals_uninterrupted_run(tmp_path, over):
    cfg = TrainConfig.from_preset(
        None, **dict(dict(input='linear', hidden=(8,), optimizer='adam', lr=0.01,
                          batchsize=8, iteration=12, eval_interval=3, snapshot_interval=3,
                          log_interval=1, progress=False, plots=False, report=False,
                          keep_snapshots=0), **over))
    check_resume_is_exact(tmp_path, cfg, toy(48, seed=1), toy(16, seed=2), meta(), 6)


def test_resume_of_the_csv_preset_equals_uninterrupted_run(tmp_path):
    """The csv preset: input noise 0.1, validation-driven, rollbacks."""
    cfg = TrainConfig.from_preset('csv', ensemble=1, iteration=12, min_iteration=0, eval_interval=3,
                                  snapshot_interval=3, log_interval=1, progress=False,
                                  plots=False, report=False, keep_snapshots=0)
    assert cfg.model.input_noise > 0
    check_resume_is_exact(tmp_path, cfg, toy(48, seed=1), toy(16, seed=2), meta(), 6)


@pytest.mark.slow
def test_resume_of_the_irnn_preset_equals_uninterrupted_run(tmp_path):
    """The irnn preset (dropout 0.2) on the embedded MNIST subset."""
    cfg = TrainConfig.from_preset('irnn', iteration=6, batchsize=8, eval_interval=3,
                                  snapshot_interval=2, log_interval=1, progress=False,
                                  plots=False, report=False, keep_snapshots=0)
    assert cfg.model.dropout > 0
    train, test, meta_ = mnist_data(cfg, source='embedded', n_train=32, n_test=8,
                                    progress=False)
    check_resume_is_exact(tmp_path, cfg, train, test, meta_, 2)
