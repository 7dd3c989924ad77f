import json
import os

import numpy
import pytest

import chainer

from chainer_irnn.links import IRNN, RecurrentClassifier
from chainer_irnn.training import extensions as ext
from chainer_irnn.training import presets
from chainer_irnn.training import trainer as trainer_mod


def toy_data(n=64, T=5, F=2, seed=0, nan_at=None):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, T, F).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(numpy.int32)
    if nan_at is not None:
        x[nan_at] = numpy.nan
    return chainer.datasets.TupleDataset(x, y)


def make_factory(train, out, settings_over=None, stop=(12, 'iteration'), snap=4):
    over = dict(dict(input='linear', hidden=(6,), optimizer='sgd', lr=0.05, batchsize=8),
                **(settings_over or {}))
    settings = presets.resolve(None, **over)

    def make():
        numpy.random.seed(0)
        model = chainer.links.Classifier(RecurrentClassifier(
            IRNN(2, settings['hidden'], input='linear', input_std=0.3, impl='naive'), 2))
        tr = trainer_mod.build_trainer(
            model, train, None, settings, out, chainer.get_device('@numpy'),
            stop=stop, snapshot_interval=(snap, 'iteration'),
            log_interval=(1, 'iteration'), progress=False, plots=False)
        return model, tr
    return make


def params(model):
    return {k: v.array.copy() for k, v in model.namedparams()}


def read_log(out):
    with open(os.path.join(out, 'log')) as f:
        return [{k: v for k, v in e.items() if k != 'elapsed_time'} for e in json.load(f)]


def test_resume_reproduces_uninterrupted_run(tmp_path):
    """Stop after 6 iterations, resume from the snapshot at 4, run to 12:
    parameters and log equal a run straight to 12 (3 epochs: shuffles too)."""
    train = toy_data(n=32)
    full = str(tmp_path / 'full')
    m_full = trainer_mod.run_training(make_factory(train, full), full, resume='none')

    part = str(tmp_path / 'part')
    model, tr = make_factory(train, part, stop=(6, 'iteration'))()
    tr.run()
    # snapshots every 4 iterations and at the end; drop the last one, as if
    # the run had been killed after iteration 6: 5 and 6 are done again
    assert [i for i, _ in ext.find_snapshots(part)] == [4, 6]
    os.remove(ext.find_snapshots(part)[-1][1])
    m_res = trainer_mod.run_training(make_factory(train, part), part, resume='auto')
    for k, v in params(m_full).items():
        numpy.testing.assert_array_equal(params(m_res)[k], v)
    assert read_log(part) == read_log(full)
    assert len(read_log(full)) == 12


def test_order_sampler_is_a_function_of_the_previous_order():
    s = ext.ChainedShuffleOrderSampler(seed=3)
    a = s(numpy.arange(10), 0)
    assert sorted(a) == list(range(10))
    numpy.testing.assert_array_equal(a, ext.ChainedShuffleOrderSampler(3)(numpy.arange(10), 0))
    assert not numpy.array_equal(s(a, 10), a)
    assert not numpy.array_equal(ext.ChainedShuffleOrderSampler(4)(numpy.arange(10), 0), a)


def test_nan_loss_stops_with_message_and_keeps_last_snapshot(tmp_path):
    # example 0 holds NaN: divergence comes at the iteration that draws it
    train = toy_data(n=32, nan_at=[0])
    out = str(tmp_path)
    with pytest.raises(ext.DivergenceError) as e:
        trainer_mod.run_training(make_factory(train, out), out, resume='none')
    assert 'at iteration {}'.format(e.value.iteration) in str(e.value)
    assert 'Remedies' in str(e.value)
    for _, path in ext.find_snapshots(out):
        it = int(path.rsplit('_', 1)[1])
        assert it < e.value.iteration


def test_rollback_reloads_last_snapshot_with_lower_learning_rate(tmp_path):
    """SGD lr 500 without clipping overflows to NaN at iteration 12; a
    rollback reloads snapshot 8 at lr 5 and the run completes."""
    train = toy_data(n=32)
    factory = make_factory(train, str(tmp_path / 'x'), settings_over={'lr': 500, 'clip': 0},
                           stop=(16, 'iteration'))
    with pytest.raises(ext.DivergenceError) as e:
        trainer_mod.run_training(factory, str(tmp_path / 'x'), resume='none')
    assert e.value.iteration == 12
    out = str(tmp_path / 'y')
    factory = make_factory(train, out, settings_over={'lr': 500, 'clip': 0},
                           stop=(16, 'iteration'))
    model = trainer_mod.run_training(factory, out, resume='none', on_nan='rollback',
                                     max_rollbacks=3, factor=0.01)
    with open(os.path.join(out, trainer_mod.ROLLBACKS_FILE)) as f:
        assert json.load(f) == [{'iteration': 12, 'snapshot': 'snapshot_iter_8'}]
    assert all(numpy.isfinite(p.array).all() for p in model.params())
    assert [e['iteration'] for e in read_log(out)] == list(range(1, 17))


def test_rollback_gives_up_after_max(tmp_path):
    train = toy_data(n=8, nan_at=[3])   # every batch holds the NaN example
    out = str(tmp_path)
    with pytest.raises(ext.DivergenceError) as e:
        trainer_mod.run_training(make_factory(train, out, snap=1), out, resume='none',
                                 on_nan='rollback', max_rollbacks=2)
    assert 'no snapshot' in str(e.value) or 'still diverging' in str(e.value)


def test_partial_snapshot_leftovers_are_ignored_and_removed(tmp_path):
    out = tmp_path
    (out / 'tmpsnapshot_iter_8abc').mkdir()
    (out / 'tmpsnapshot_iter_8abc' / 'snapshot_iter_8').write_bytes(b'half')
    train = toy_data(n=32)
    model, tr = make_factory(train, str(out))()
    assert trainer_mod.load_snapshot(tr, str(out), 'auto') is None
    assert not (out / 'tmpsnapshot_iter_8abc').exists()


def test_corrupt_snapshot_is_a_user_error(tmp_path):
    (tmp_path / 'snapshot_iter_4').write_bytes(b'PK\x03\x04 truncated')
    model, tr = make_factory(toy_data(), str(tmp_path))()
    with pytest.raises(trainer_mod.UserError) as e:
        trainer_mod.load_snapshot(tr, str(tmp_path), 'auto')
    assert 'snapshot_iter_4' in str(e.value)


def test_log_plot_draws_from_the_log_at_most_every_interval_and_at_the_end(tmp_path):
    from types import SimpleNamespace

    from chainer_irnn.training.extensions import LogPlot
    pytest.importorskip('matplotlib')
    report = SimpleNamespace(log=[])
    plot = LogPlot(report, {'loss.png': ['main/loss', 'validation/main/loss']}, interval=3600)
    trainer = SimpleNamespace(out=str(tmp_path))
    plot(trainer)                                   # nothing logged yet: nothing drawn
    assert not (tmp_path / 'loss.png').exists()
    report.log.append({'iteration': 1, 'main/loss': 2.0})
    plot(trainer)                                   # the first line is drawn at once
    first = (tmp_path / 'loss.png').stat().st_mtime_ns
    report.log.append({'iteration': 2, 'main/loss': 1.5, 'validation/main/loss': 1.7})
    plot(trainer)                                   # within the interval: not redrawn
    assert (tmp_path / 'loss.png').stat().st_mtime_ns == first
    plot.finalize()                                 # the end: redrawn with both lines
    assert (tmp_path / 'loss.png').stat().st_mtime_ns != first
    assert (tmp_path / 'loss.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert not list(tmp_path.glob('*.tmp'))
