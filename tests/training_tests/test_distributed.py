"""Data-parallel training with ChainerMN (chainer_irnn.training.distributed).

The MPI tests start ``mpiexec -n 2`` on this very file: run as a script it is
the worker (``python test_distributed.py SCENARIO OUT``), which trains and
leaves what the test then checks in OUT.  They skip when mpiexec or mpi4py
is missing, unless ``CHAINER_IRNN_REQUIRE_MPI=1`` (scripts/test.sh sets it
where it could install MPI), where they fail instead.
"""
import io
import json
import os
import shutil
import subprocess
import sys

import numpy
import pytest

import chainer

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from chainer_irnn.errors import ParameterError, QuietExit, UserError  # NOQA: E402
from chainer_irnn.links import IRNN, RecurrentClassifier  # NOQA: E402
from chainer_irnn.training import distributed  # NOQA: E402
from chainer_irnn.training.loss_guard import DivergenceError  # NOQA: E402
from chainer_irnn.training.order_samplers import ChainedShuffleOrderSampler  # NOQA: E402
from chainer_irnn.training import TrainConfig  # NOQA: E402
from chainer_irnn.training import trainer as trainer_mod  # NOQA: E402

pytestmark = pytest.mark.slow   # MPI processes

SEED = 3
N_TRAIN, N_TEST, BATCH, STEPS = 64, 20, 4, 12   # per rank: 32 examples, 8 steps an epoch
CPU = chainer.get_device('@numpy')
WRITERS = ('LogReport', 'PrintReport', '_Snapshot', 'ProgressBar', 'LogPlot')


# ---------------------------------------------------------------- shared set-up

def toy_data(n, seed):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, 5, 2).astype(numpy.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(numpy.int32)
    return chainer.datasets.TupleDataset(x, y)


def config(batchsize, stop, **over):
    return TrainConfig.from_preset(None, input='linear', hidden=(6,), optimizer='sgd', lr=0.1,
                                   batchsize=batchsize, iteration=stop, snapshot_interval=4,
                                   log_interval=1, eval_interval=6, progress=False,
                                   plots=False, seed=SEED, **over)


def factory(train, test, out, batchsize, stop, dist=distributed.ONE_PROCESS, dropout=0.0):
    settings = config(batchsize, stop)

    def make():
        numpy.random.seed(0)
        model = chainer.links.Classifier(RecurrentClassifier(
            IRNN(2, (6,), input='linear', input_std=0.3, impl='naive', dropout=dropout,
                 input_noise=dropout), 2))
        tr = trainer_mod.build_trainer(model, train, test, settings, out, CPU, dist=dist)
        return model, tr
    return make


def save_params(model, path):
    numpy.savez(path, **{k: v.array for k, v in model.namedparams()})


def read_log(out):
    with open(os.path.join(out, 'log')) as f:
        return [{k: v for k, v in e.items() if k != 'elapsed_time'} for e in json.load(f)]


# ---------------------------------------------------------------- the MPI worker

def worker_train(out):
    """2 ranks x batch 4: a straight run, and a run stopped at 6 and resumed."""
    dist = distributed.create('naive', CPU)
    r = dist.rank
    train, test = dist.load(lambda: (toy_data(N_TRAIN, 0), toy_data(N_TEST, 1)), SEED)
    shard = [int(train._order[i]) for i in range(train._start, train._finish)]
    with open(os.path.join(out, 'shard-rank{}.json'.format(r)), 'w') as f:
        json.dump({'shard': shard, 'n_test': len(test)}, f)

    def train_to(d, stop, dropout=0.0):
        return trainer_mod.run_training(factory(train, test, d, BATCH, stop, dist, dropout), d,
                                        config(BATCH, stop), resume='auto', dist=dist)

    full = os.path.join(out, 'full')
    save_params(train_to(full, STEPS), os.path.join(out, 'full-rank{}.npz'.format(r)))
    part = os.path.join(out, 'part')
    train_to(part, 6)
    save_params(train_to(part, STEPS), os.path.join(out, 'resumed-rank{}.npz'.format(r)))
    # dropout and input noise: each rank draws from (seed, iteration, rank)
    save_params(train_to(os.path.join(out, 'dfull'), STEPS, 0.3),
                os.path.join(out, 'dfull-rank{}.npz'.format(r)))
    train_to(os.path.join(out, 'dpart'), 6, 0.3)
    numpy.random.seed(99)     # whatever the process drew in between
    save_params(train_to(os.path.join(out, 'dpart'), STEPS, 0.3),
                os.path.join(out, 'dresumed-rank{}.npz'.format(r)))

    _, tr = factory(train, test, os.path.join(out, 'unused'), BATCH, 1, dist)()
    with open(os.path.join(out, 'extensions-rank{}.json'.format(r)), 'w') as f:
        json.dump(sorted(tr._extensions), f)


def worker_rollback(out):
    """NaN in one example of rank 1's shard: both ranks diverge at the same
    step, roll back together, and end with the same DivergenceError."""
    dist = distributed.create('naive', CPU)

    def load():
        data = toy_data(N_TRAIN, 0)
        perm = numpy.random.RandomState(SEED).permutation(N_TRAIN)
        data._datasets[0][perm[40]] = numpy.nan          # position 8 of rank 1's shard
        return data, None
    train, _ = dist.load(load, SEED)
    if dist.is_writer:   # progress from the writer rank, as the CLI sets it up
        import logging
        logging.basicConfig(level=logging.INFO, format='%(message)s')
    d = os.path.join(out, 'rollback')
    dist.require_shared_out(d, '--on-nan rollback')
    try:
        trainer_mod.run_training(factory(train, None, d, BATCH, STEPS, dist), d,
                                 config(BATCH, STEPS, on_divergence='rollback',
                                        max_rollbacks=2),
                                 resume=dist.resume_from(d, 'auto'), dist=dist)
        result = 'finished'
    except DivergenceError as e:
        result = str(e)
    with open(os.path.join(out, 'rollback-rank{}.json'.format(dist.rank)), 'w') as f:
        json.dump(result, f)


def worker_size1(out):
    dist = distributed.create('naive', CPU)
    with open(os.path.join(out, 'size1.json'), 'w') as f:
        json.dump({'size': dist.size, 'rank': dist.rank, 'writer': dist.is_writer}, f)


# ---------------------------------------------------------------- launching

def mpi_problem():
    """Why the MPI tests cannot run here, or None."""
    if shutil.which('mpiexec') is None:
        return 'mpiexec not found (apt-get install openmpi-bin libopenmpi-dev)'
    try:
        import mpi4py  # NOQA
    except ImportError:
        return 'mpi4py not installed (CHAINER_IRNN_MPI=1 scripts/setup_env.sh)'
    return None


@pytest.fixture
def mpi():
    problem = mpi_problem()
    if problem:
        if os.environ.get('CHAINER_IRNN_REQUIRE_MPI') == '1':
            pytest.fail('CHAINER_IRNN_REQUIRE_MPI=1 but ' + problem)
        pytest.skip(problem)
    return mpirun


def mpirun(n, args, cwd=None, timeout=300):
    """Runs ``args`` (after the python executable) in ``n`` MPI processes."""
    cmd = ['mpiexec', '-n', str(n)]
    version = subprocess.run(['mpiexec', '--version'], capture_output=True, text=True)
    if 'Open MPI' in version.stdout + version.stderr or 'OpenRTE' in version.stdout:
        cmd += ['--oversubscribe', '--bind-to', 'none']
    # root is allowed; no CMA single-copy (containers often forbid ptrace)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1',
               OMPI_MCA_rmaps_base_oversubscribe='1',
               OMPI_MCA_btl_vader_single_copy_mechanism='none',
               PYTHONPATH=ROOT, MPLBACKEND='Agg')
    return subprocess.run(cmd + [sys.executable] + args, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, cwd=cwd or ROOT, env=env, timeout=timeout)


def cli(args, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT)
    for k in distributed._LAUNCHER_VARIABLES:
        env.pop(k, None)
    return subprocess.run([sys.executable, '-m', 'chainer_irnn'] + args, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, cwd=ROOT, env=env,
                          timeout=timeout)


def reference_run(out, shards, steps):
    """One process x batch 8 shown, at step k, the 8 examples that the two
    ranks draw at step k: each rank's iterator is the order sampler over its
    32 shard positions, the same on both ranks, applied to its own shard."""
    positions = chainer.iterators.SerialIterator(
        numpy.arange(len(shards[0])), BATCH, order_sampler=ChainedShuffleOrderSampler(SEED))
    order = []
    for _ in range(steps):
        idx = numpy.asarray(positions.next())
        for shard in shards:
            order.extend(numpy.asarray(shard)[idx])
    data = toy_data(N_TRAIN, 0)
    seen = [data[i] for i in order]
    model, tr = factory(seen, toy_data(N_TEST, 1), out, 2 * BATCH, steps)()
    tr.updater._iterators['main'] = chainer.iterators.SerialIterator(
        seen, 2 * BATCH, shuffle=False)
    tr.run()
    return model, order


# ---------------------------------------------------------------- MPI tests

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    problem = mpi_problem()
    if problem:
        return problem
    out = str(tmp_path_factory.mktemp('mpi'))
    res = mpirun(2, [HERE, 'train', out])
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def use(trained):
    if isinstance(trained, str) and not os.path.isdir(trained):
        if os.environ.get('CHAINER_IRNN_REQUIRE_MPI') == '1':
            pytest.fail('CHAINER_IRNN_REQUIRE_MPI=1 but ' + trained)
        pytest.skip(trained)
    return trained


def test_scatter_is_the_seeded_permutation_cut_in_two(trained):
    out = use(trained)
    shards = [json.load(open(os.path.join(out, 'shard-rank{}.json'.format(r)))) for r in (0, 1)]
    perm = numpy.random.RandomState(SEED).permutation(N_TRAIN)
    assert shards[0]['shard'] == list(perm[:32]) and shards[1]['shard'] == list(perm[32:])
    assert shards[0]['n_test'] == shards[1]['n_test'] == N_TEST // 2


def test_two_processes_follow_one_process_with_twice_the_batch(trained, tmp_path):
    """Tolerance: the two runs do the same arithmetic but for the order of
    summation (two means of 4 averaged through MPI vs one mean of 8, in
    float32), a relative difference of ~1e-7 per step that 12 SGD steps on
    this tiny model keep near 1e-6.  Any difference in what the runs see
    (a batch, the skipped first update of plain ChainerMN) is ~1e-2."""
    out = use(trained)
    shards = [json.load(open(os.path.join(out, 'shard-rank{}.json'.format(r))))['shard']
              for r in (0, 1)]
    model, order = reference_run(str(tmp_path), shards, STEPS)
    assert len(set(order[:64])) == 64          # the first epoch covers all 64 once
    two, one = read_log(os.path.join(out, 'full')), read_log(str(tmp_path))
    assert [e['iteration'] for e in two] == [e['iteration'] for e in one] == list(range(1, 13))
    for key in ('main/loss', 'main/accuracy', 'validation/main/loss'):
        a = [e[key] for e in two if key in e]
        b = [e[key] for e in one if key in e]
        assert len(a) == len(b) > 0
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=key)
    assert max(e['main/loss'] for e in two) - min(e['main/loss'] for e in two) > 1e-2
    ref = {k: v.array for k, v in model.namedparams()}
    with numpy.load(os.path.join(out, 'full-rank0.npz')) as p0, \
            numpy.load(os.path.join(out, 'full-rank1.npz')) as p1:
        for k, v in ref.items():
            numpy.testing.assert_array_equal(p0[k], p1[k])     # ranks stay in sync
            numpy.testing.assert_allclose(p0[k], v, rtol=1e-5, atol=1e-6, err_msg=k)


def test_distributed_resume_reproduces_uninterrupted_run(trained):
    """Every rank loads rank 0's snapshot: the iterator state in it is every
    rank's own (equal shard lengths, the same order sampler)."""
    out = use(trained)
    assert read_log(os.path.join(out, 'part')) == read_log(os.path.join(out, 'full'))
    with numpy.load(os.path.join(out, 'full-rank1.npz')) as a, \
            numpy.load(os.path.join(out, 'resumed-rank1.npz')) as b:
        for k in a.files:
            numpy.testing.assert_array_equal(a[k], b[k])
    assert json.load(open(os.path.join(out, 'part', distributed.WORLD_FILE)))['processes'] == 2


def test_distributed_resume_with_dropout_and_noise_reproduces_uninterrupted_run(trained):
    out = use(trained)
    for r in (0, 1):
        with numpy.load(os.path.join(out, 'dfull-rank{}.npz'.format(r))) as a, \
                numpy.load(os.path.join(out, 'dresumed-rank{}.npz'.format(r))) as b:
            for k in a.files:
                numpy.testing.assert_array_equal(a[k], b[k], err_msg=k)
    with numpy.load(os.path.join(out, 'dfull-rank0.npz')) as a, \
            numpy.load(os.path.join(out, 'full-rank0.npz')) as b:
        assert any((a[k] != b[k]).any() for k in a.files)     # dropout did act


def test_only_rank_0_writes(trained):
    out = use(trained)
    ext0 = json.load(open(os.path.join(out, 'extensions-rank0.json')))
    ext1 = json.load(open(os.path.join(out, 'extensions-rank1.json')))
    for name in ('LogReport', 'PrintReport', '_Snapshot'):
        assert any(e.startswith(name) for e in ext0), (name, ext0)
    assert not [e for e in ext1 if e.startswith(WRITERS)], ext1
    for names in (ext0, ext1):
        assert 'mean over ranks' in names and 'validation' in names
    assert sorted(f for f in os.listdir(os.path.join(out, 'part'))
                  if not f.startswith('snapshot_iter_')) == ['log', 'world.json']


def test_resuming_with_another_number_of_processes_is_refused(trained):
    out = use(trained)
    one = distributed.ONE_PROCESS
    with pytest.raises(UserError, match='2 processes; this run has 1'):
        one.resume_from(os.path.join(out, 'full'), 'auto')
    assert one.resume_from(os.path.join(out, 'full'), 'none') == distributed.Resume((), True)


def cli_args(out, *more, iteration=4):
    return ['-m', 'chainer_irnn', 'train', '--communicator', 'naive', '--out', out,
            '--hidden', '8', '--iteration', str(iteration), '-b', '8', '--impl', 'naive',
            '--no-progress', '--log-interval', '1', '--snapshot-interval', '2'] + list(more)


MNIST = ['--data', 'embedded', '--view', 'rows', '--input', 'linear', '--n-train', '64',
         '--n-test', '32']


def check_cli_run(res, out, n_test):
    assert res.returncode == 0, res.stdout + res.stderr
    text = res.stdout + res.stderr
    assert text.count('chainer-irnn train: done in') == 1, text         # rank 0 prints
    assert text.count('2 processes (naive), batch 8 per process = 16 per step') == 1, text
    files = sorted(os.listdir(out))
    for name in ('log', 'model.json', 'model.npz', 'settings.json', 'snapshot_iter_4',
                 'world.json'):
        assert name in files, files
    assert not [f for f in files if f.startswith('tmp')], files
    settings = json.load(open(os.path.join(out, 'settings.json')))
    assert settings['processes'] == 2 and settings['n_test'] == n_test
    log = read_log(out)
    assert [e['iteration'] for e in log] == [1, 2, 3, 4]
    assert all(numpy.isfinite(e['main/loss']) for e in log)


def test_cli_mnist_two_processes_and_resume(mpi, tmp_path):
    out = str(tmp_path / 'mnist')
    res = mpi(2, cli_args(out, *MNIST))
    check_cli_run(res, out, 32)
    res = mpi(2, cli_args(out, *MNIST, iteration=6))
    assert res.returncode == 0, res.stdout + res.stderr
    text = res.stdout + res.stderr
    assert text.count('resumed from {}'.format(os.path.join(out, 'snapshot_iter_4'))) == 1, text
    assert read_log(out)[-1]['iteration'] == 6


def csv_available():
    from chainer_irnn.cli import train
    import argparse
    try:
        import pandas  # NOQA: the CSV reader's dependency
    except ImportError:
        return False
    sub = argparse.ArgumentParser().add_subparsers()
    return '--csv' in train.add_parser(sub)._option_string_actions


@pytest.mark.skipif(not csv_available(),
                    reason='chainer-irnn train has no --csv yet, or pandas is missing')
def test_cli_csv_two_processes(mpi, tmp_path):
    rng = numpy.random.RandomState(0)
    x = rng.randn(80, 6).round(3)
    path = str(tmp_path / 'seq.csv')
    with open(path, 'w') as f:
        f.write('label,' + ','.join('x{}'.format(i) for i in range(6)) + '\n')
        for row in x:
            f.write('{},{}\n'.format(int(row.sum() > 0), ','.join(map(str, row))))
    out = str(tmp_path / 'csv')
    res = mpi(2, cli_args(out, '--csv', path, '--val-split', '0.25'))
    check_cli_run(res, out, 20)
    assert json.load(open(os.path.join(out, 'model.json')))['data'] == 'csv'


def test_an_error_on_rank_0_while_loading_ends_every_rank_with_one_message(mpi, tmp_path):
    res = mpi(2, cli_args(str(tmp_path / 'o'), '--data', str(tmp_path / 'nowhere')))
    text = res.stdout + res.stderr
    assert res.returncode == 2, text
    assert text.count('chainer-irnn train: error:') == 1, text
    assert 'MPI_ABORT' not in text


def test_divergence_on_one_rank_rolls_back_every_rank_together(mpi, tmp_path):
    res = mpi(2, [HERE, 'rollback', str(tmp_path)])
    assert res.returncode == 0, res.stdout + res.stderr
    ends = [json.load(open(str(tmp_path / 'rollback-rank{}.json'.format(r)))) for r in (0, 1)]
    assert ends[0] == ends[1] and ends[0].startswith('still diverging after 2 rollbacks'), ends
    rollbacks = json.load(open(str(tmp_path / 'rollback' / 'rollbacks.json')))
    assert [r['snapshot'] for r in rollbacks] == ['snapshot_iter_4'] * 2
    assert (res.stdout + res.stderr).count('rolling back to snapshot_iter_4') == 2


def test_one_process_under_mpiexec_is_allowed(mpi, tmp_path):
    res = mpi(1, [HERE, 'size1', str(tmp_path)])
    assert res.returncode == 0, res.stdout + res.stderr
    seen = json.load(open(str(tmp_path / 'size1.json')))
    assert seen == {'size': 1, 'rank': 0, 'writer': True}


def test_communicator_without_mpiexec_is_a_user_error(mpi, tmp_path):
    res = cli(['train', '--communicator', 'naive', '--data', 'embedded', '--out',
               str(tmp_path)])
    assert res.returncode == 2, res.stdout + res.stderr
    assert 'started without mpiexec' in res.stderr and 'mpiexec -n N' in res.stderr
    assert 'Traceback' not in res.stderr


# ---------------------------------------------------------------- no MPI needed

def test_missing_mpi4py_is_a_user_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mpi4py', None)
    with pytest.raises(UserError, match='needs mpi4py.*apt-get install openmpi-bin'):
        distributed.create_communicator('naive', CPU)


@pytest.mark.parametrize('name', ['flat', 'pure_nccl'])
def test_gpu_communicators_on_the_cpu_are_user_errors(name):
    with pytest.raises(UserError, match="needs a CuPy device.*communicator='naive'"):
        distributed.create_communicator(name, CPU)


def test_pure_nccl_without_nccl_is_a_user_error(monkeypatch):
    from chainermn import nccl

    class FakeGpu(object):
        xp = object()
    monkeypatch.setattr(nccl, '_available', False)
    with pytest.raises(UserError, match="pure_nccl' needs NCCL"):
        distributed.create_communicator('pure_nccl', FakeGpu())


def test_no_communicator_is_a_single_process():
    assert distributed.create_communicator(None, CPU) is None
    one = distributed.create(None, CPU)
    assert one is distributed.ONE_PROCESS is distributed.of(None)
    assert one.is_writer and one.size == 1 and one.rank == 0 and one.comm is None
    assert one.device(CPU) is CPU
    data = toy_data(8, 0)
    assert one.load(lambda: (data, None, 'meta'), 0) == (data, None, 'meta')
    marker = object()
    assert one.optimizer(marker) is marker and one.unwrap(marker) is marker
    assert one.evaluator(marker) is marker
    assert one.from_writer(lambda: marker) is marker
    with pytest.raises(ParameterError, match='larger than the training set'):
        one.check_batch(9, 8)


def test_of_wraps_a_communicator_once():
    comm = FakeComm(1)
    multi = distributed.of(comm)
    assert isinstance(multi, distributed.MultiNode) and multi.comm is comm
    assert (multi.rank, multi.size, multi.is_writer) == (1, 2, False)
    assert distributed.of(multi) is multi and distributed.of(comm=comm).comm is comm
    with pytest.raises(TypeError, match='not both'):
        distributed.of(multi, comm)


def test_fit_takes_one_distribution(tmp_path):
    from chainer_irnn.training import fit
    with pytest.raises(TypeError, match='not both'):
        fit(config(BATCH, 2), toy_data(16, 0), out=str(tmp_path),
            distribution=distributed.ONE_PROCESS, comm=FakeComm(0))


def test_launcher_detection():
    assert not distributed.launched_by_mpi({})
    assert distributed.launched_by_mpi({'OMPI_COMM_WORLD_SIZE': '1'})
    assert distributed.launched_by_mpi({'PMI_RANK': '0'})


def test_world_file_guards_resume(tmp_path):
    out, one = str(tmp_path), distributed.ONE_PROCESS
    snapshot = os.path.join(out, 'snapshot_iter_4')
    open(snapshot, 'w').close()
    with open(os.path.join(out, distributed.WORLD_FILE), 'w') as f:
        json.dump({'processes': 4}, f)
    with pytest.raises(UserError, match='4 processes; this run has 1.*mpiexec -n 4'):
        one.resume_from(out, 'auto')
    with pytest.raises(UserError, match='4 processes; this run has 1'):
        one.resume_from(out, snapshot)
    # a fresh start records this run's world; a later resume then agrees
    assert one.resume_from(out, 'none') == distributed.Resume((), fresh=True)
    assert json.load(open(os.path.join(out, distributed.WORLD_FILE)))['processes'] == 1
    assert one.resume_from(out, 'auto') == distributed.Resume((snapshot,), fresh=False)


def test_resume_is_resolved_in_one_place(tmp_path):
    """Newest first, leftovers of a killed run removed, a missing path
    refused; run_training takes the result as it is."""
    out, one = str(tmp_path), distributed.ONE_PROCESS
    for it in (2, 10, 4):
        open(os.path.join(out, 'snapshot_iter_{}'.format(it)), 'w').close()
    os.makedirs(os.path.join(out, 'tmpsnapshot_iter_12', 'x'))
    found = one.resume_from(out, 'auto')
    assert [os.path.basename(p) for p in found.paths] == [
        'snapshot_iter_10', 'snapshot_iter_4', 'snapshot_iter_2']
    assert not found.fresh and not os.path.exists(os.path.join(out, 'tmpsnapshot_iter_12'))
    with pytest.raises(ParameterError, match='nowhere: no such snapshot to resume from'):
        one.resume_from(out, os.path.join(out, 'nowhere'))


class FakeComm(object):
    def __init__(self, rank):
        self.rank, self.size, self.aborted = rank, 2, None
        self.mpi_comm = self

    def Abort(self, code):
        self.aborted = code

    def bcast_obj(self, obj):
        assert (obj is None) == (self.rank != 0)
        return obj


def test_a_writer_error_is_raised_on_every_rank():
    multi = distributed.MultiNode(FakeComm(0))
    assert multi.from_writer(lambda: 7) == 7

    def fail():
        raise ParameterError('resume', 'no such snapshot')
    with pytest.raises(distributed.CollectiveError, match='no such snapshot'):
        multi.from_writer(fail)


def test_guard_aborts_on_one_rank_errors(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, 'stderr', err)
    comm = FakeComm(1)
    with distributed.MultiNode(comm).guard():
        raise UserError('bad label in shard')
    assert comm.aborted == 2
    assert 'error on rank 1 of 2: bad label in shard' in err.getvalue()


def test_guard_lets_collective_errors_end_quietly():
    with pytest.raises(QuietExit) as e:
        with distributed.MultiNode(FakeComm(1)).guard():
            raise DivergenceError(5, 'loss is nan')
    assert e.value.status == 2
    with pytest.raises(distributed.CollectiveError):
        with distributed.MultiNode(FakeComm(0)).guard():
            raise distributed.CollectiveError('no such file')


def test_batch_larger_than_a_shard_is_a_collective_error(tmp_path):
    make = factory(toy_data(8, 0), None, str(tmp_path), 40, 1,
                   dist=distributed.MultiNode(FakeComm(0)))
    with pytest.raises(distributed.CollectiveError, match="40 .per process.* 2 processes' "
                                                          r'shards .* \(8 examples\)'):
        make()


if __name__ == '__main__':
    scenario, out = sys.argv[1], sys.argv[2]
    {'train': worker_train, 'size1': worker_size1, 'rollback': worker_rollback}[scenario](out)
