"""Data-parallel training with ChainerMN: everything MPI-specific lives here.

One process per rank, started by ``mpiexec -n N chainer-irnn train
--communicator naive ...``.  Every rank holds a full copy of the model; rank
0's dataset is shuffled with the run's seed and split into ``N`` equal
shards (:func:`load_and_scatter`); each step every rank computes gradients
on its own ``--batchsize`` examples and the communicator averages them, so
one step of ``N`` ranks with batch ``b`` is one step with batch ``N*b``.

Decisions
---------
* ``--communicator`` given to a lone process (world size 1, no MPI launcher
  in the environment) is a :class:`UserError`: it is almost always a
  forgotten ``mpiexec``.  ``mpiexec -n 1`` is allowed and trains exactly as
  a single process would.
* ``naive`` works on CPU and GPU arrays; ``flat`` and ``pure_nccl`` need a
  CuPy device (``pure_nccl`` also NCCL in CuPy): either on ``@numpy`` is a
  :class:`UserError`.  With a CuPy device, rank ``r`` uses GPU number
  ``intra_rank`` (its index among the ranks on its node).
* Only rank 0 loads the data (:func:`load_and_scatter`), and only rank 0
  writes: the log, plots, snapshots, the progress bar, ``settings.json``,
  ``world.json`` and the saved model.  Logged ``main/loss`` and
  ``main/accuracy`` are means over all ranks (:func:`aggregate_observations`);
  ``validation/*`` come from ChainerMN's multi-node evaluator (each rank
  evaluates its shard of the test set; rank means are averaged).
* ChainerMN's multi-node optimizer spends its first ``update()`` on
  broadcasting rank 0's parameters and drops that step's gradient.
  :func:`multi_node_optimizer` broadcasts at set-up instead, so step 1 is a
  real update and ``N`` ranks x batch ``b`` follow the trajectory of one
  process x batch ``N*b`` (and a resumed run that of an uninterrupted one).
* Resume: every rank loads the same snapshot (rank 0 chooses it; every rank
  must see the file: ``--out`` on a filesystem shared by the nodes).  Rank
  0's snapshot holds all per-rank state: parameters and optimizer state are
  identical on every rank (averaged gradients), and so is the iterator state,
  because shards have equal length and every rank's order sampler is the same
  function of the seed and its previous order.  What differs between ranks,
  the shard itself, is rebuilt from the seed, so a run must be resumed with
  the same number of processes: ``world.json`` records it.
* A failure that only some ranks see would leave the others waiting in a
  collective: :func:`guard` turns it into ``MPI_Abort``.  Errors every rank
  raises at the same point (bad flags, divergence, which is detected on
  averaged gradients and the rank-averaged loss) end every rank with status
  2 and one message, from rank 0.
"""
import contextlib
import json
import os
import sys
import traceback

import numpy

import chainer
from chainer import training

from chainer_irnn.errors import ParameterError, QuietExit, Setting, UserError

COMMUNICATORS = ('naive', 'flat', 'pure_nccl')
GPU_COMMUNICATORS = ('flat', 'pure_nccl')
WORLD_FILE = 'world.json'
AGGREGATED_KEYS = ('main/loss', 'main/accuracy')

# Set by the launchers of Open MPI, MPICH/Hydra, Intel MPI, PMIx and Slurm.
_LAUNCHER_VARIABLES = ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMI_RANK', 'PMIX_RANK',
                       'MPI_LOCALNRANKS', 'SLURM_STEP_NUM_TASKS')


class CollectiveError(UserError):
    """A :class:`UserError` raised by every rank at the same point."""


INSTALL_HINT = ('install an MPI library and mpi4py: apt-get install openmpi-bin '
                'libopenmpi-dev, then pip install mpi4py (or run '
                'CHAINER_IRNN_MPI=1 scripts/setup_env.sh)')


def launched_by_mpi(environ=None):
    """Whether this process was started by an MPI launcher (mpiexec, srun)."""
    environ = os.environ if environ is None else environ
    return any(environ.get(k) for k in _LAUNCHER_VARIABLES)


def create_communicator(name, device=None):
    """The ChainerMN communicator ``name``, or None when ``name`` is None.

    Raises :class:`UserError` for an unknown name, a missing mpi4py or MPI
    library, a lone process outside mpiexec, and a GPU communicator on a
    CPU device or without NCCL.
    """
    if name is None:
        return None
    if name not in COMMUNICATORS:
        raise ParameterError('communicator', '{!r}: choose one of {}'.format(
            name, ', '.join(COMMUNICATORS)))
    cupy_device = device is not None and device.xp is not numpy
    if name in GPU_COMMUNICATORS and not cupy_device:
        raise UserError(
            '{} exchanges gradients in GPU memory and needs a CuPy device ({}; each '
            'rank then uses its own GPU); on the CPU use {}'.format(
                Setting('communicator', name), Setting('device', '@cupy:0'),
                Setting('communicator', 'naive')))
    if name == 'pure_nccl':
        from chainermn import nccl
        if not nccl._available:
            raise UserError('{} needs NCCL, which this CuPy does not provide; use {} or {}, '
                            'or a CuPy built with NCCL'.format(
                                Setting('communicator', 'pure_nccl'),
                                Setting('communicator', 'flat'), Setting('communicator', 'naive')))
    try:
        import mpi4py  # NOQA
    except ImportError:
        raise UserError('{} needs mpi4py, which is not installed: {}'.format(
            Setting('communicator', name), INSTALL_HINT))
    try:
        from mpi4py import MPI
    except Exception as e:  # mpi4py present, MPI library missing or broken
        raise UserError('{}: mpi4py cannot load an MPI library ({}); {}'.format(
            Setting('communicator', name), e, INSTALL_HINT))
    world = MPI.COMM_WORLD
    if world.Get_size() == 1 and not launched_by_mpi():
        raise UserError(
            '{} in a single process started without mpiexec; start N processes with '
            'mpiexec -n N (or leave out {} to train in one process)'.format(
                Setting('communicator', name), Setting('communicator')))
    import chainermn
    try:
        return chainermn.create_communicator(name, mpi_comm=world)
    except Exception as e:
        raise UserError('{}: {}'.format(Setting('communicator', name), e))


def rank(comm):
    return 0 if comm is None else comm.rank


def size(comm):
    return 1 if comm is None else comm.size


def is_writer(comm):
    """Whether this process writes files and prints progress (rank 0)."""
    return comm is None or comm.rank == 0


def device_for_rank(comm, device):
    """Rank ``r`` on a CuPy device uses GPU ``comm.intra_rank``."""
    if comm is None or device.xp is numpy:
        return device
    return chainer.get_device('@cupy:{}'.format(comm.intra_rank))


def log_stream(comm, stream=None):
    """``stream`` (stderr) on rank 0, a sink elsewhere."""
    stream = sys.stderr if stream is None else stream
    return stream if is_writer(comm) else open(os.devnull, 'w')


def scatter(dataset, comm, seed=0, shuffle=True):
    """This rank's shard of rank 0's ``dataset`` (equal lengths).

    With ``shuffle`` the examples are permuted by ``RandomState(seed)``
    before being cut into ``comm.size`` consecutive shards, so shard ``r``
    is ``dataset[perm[r*m:(r+1)*m]]`` with ``m = ceil(n / size)`` (the last
    shard repeats a few examples when ``size`` does not divide ``n``).
    """
    import chainermn
    if comm is None:
        return dataset
    return chainermn.scatter_dataset(dataset, comm, shuffle=shuffle,
                                     seed=None if not shuffle else int(seed))


def load_and_scatter(comm, load, seed=0):
    """Runs ``load()`` on rank 0 only and hands every rank its shards.

    ``load()`` returns ``(train, test, *rest)``; ``train`` is shuffled with
    ``seed`` and scattered, ``test`` is scattered unshuffled (or stays None),
    ``rest`` is broadcast.  A :class:`UserError` on rank 0 is raised on
    every rank.
    """
    if comm is None:
        return load()
    loaded = error = None
    if comm.rank == 0:
        try:
            loaded = load()
        except UserError as e:
            error = str(e)
    shape = None if comm.rank else (error, loaded[2:] if loaded else None,
                                    loaded is not None and loaded[1] is not None)
    error, rest, has_test = comm.bcast_obj(shape)
    if error is not None:
        raise CollectiveError(error)
    train = scatter(loaded[0] if loaded else None, comm, seed, shuffle=True)
    test = scatter(loaded[1] if loaded else None, comm, shuffle=False) if has_test else None
    return (train, test) + tuple(rest)


def multi_node_optimizer(optimizer, comm):
    """Wraps a set-up optimizer so that gradients are averaged over ranks.

    Rank 0's parameters are broadcast now, and the wrapper is told they
    are in sync, so that its first ``update()`` updates (ChainerMN would
    otherwise spend it on the broadcast and drop that step's gradient).
    """
    import chainermn
    target = optimizer.target
    comm.bcast_data(target)
    mn = chainermn.create_multi_node_optimizer(optimizer, comm)
    mn.is_changed(target)   # records the parameters as synchronised
    return mn


def actual_optimizer(optimizer):
    """The optimizer inside a multi-node wrapper (itself otherwise)."""
    return getattr(optimizer, 'actual_optimizer', optimizer)


def multi_node_evaluator(evaluator, comm):
    """Evaluation over every rank's test shard, averaged across ranks."""
    import chainermn
    return chainermn.create_multi_node_evaluator(evaluator, comm)


def aggregate_observations(trainer, comm, keys=AGGREGATED_KEYS):
    """Replaces each rank's ``keys`` by their mean over the ranks, each step.

    Runs before every other extension, the divergence check included, so
    that every rank logs and checks the same value.  (ChainerMN's
    ``ObservationAggregator`` would do this, but in 7.8.1 it moves values to
    the ChainerX device ``'native'``, which fails on every Chainer without
    ChainerX: every pip install.)
    """
    trainer.extend(MeanOverRanks(comm, keys), name='mean over ranks')


class MeanOverRanks(training.Extension):
    """Sets ``keys`` of the observation to their mean over all ranks."""

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER + 10   # before LossGuard, logs, snapshots

    def __init__(self, comm, keys=AGGREGATED_KEYS):
        self.comm, self.keys = comm, tuple(keys)

    def __call__(self, trainer):
        obs = trainer.observation
        present = [k for k in self.keys if k in obs]
        local = numpy.array([float(chainer.backend.CpuDevice().send(
            obs[k].array if isinstance(obs[k], chainer.Variable) else obs[k]))
            for k in present], dtype=numpy.float64)
        total = numpy.empty_like(local)
        self.comm.mpi_comm.Allreduce(local, total)
        for k, v in zip(present, total / self.comm.size):
            obs[k] = numpy.asarray(v)


def extend_trainer(trainer, comm):
    """The multi-node extensions ``build_trainer`` adds besides the evaluator."""
    aggregate_observations(trainer, comm)


def resolve_resume(comm, out, resume):
    """The snapshot every rank resumes from, as ``run_training`` takes it.

    Rank 0 chooses (``'auto'``: the newest complete snapshot in ``out``) and
    every rank checks that it sees that file.  Also checks that a snapshot
    is resumed with as many processes as wrote it (``world.json``), then
    records this run's world there.  Single-process runs (``comm`` None)
    make the same check and return ``resume`` unchanged.
    """
    from chainer_irnn.training import snapshots
    chosen = None
    if is_writer(comm):
        if resume in (None, 'none'):
            chosen = 'none'
        elif resume == 'auto':
            found = snapshots.find_snapshots(out)
            chosen = found[-1][1] if found else 'none'
        else:
            chosen = resume
    if comm is not None:
        chosen = comm.bcast_obj(chosen)
        missing = comm.mpi_comm.allgather(chosen != 'none' and not os.path.isfile(chosen))
        if missing[0]:
            raise CollectiveError('{}: no such snapshot to resume from'.format(chosen))
        if any(missing):
            ranks = [r for r, m in enumerate(missing) if m]
            raise CollectiveError(
                'snapshot {} is not visible to rank(s) {}: every rank loads the same '
                'snapshot, so {} must be on a filesystem shared by all nodes (or '
                'copy the snapshot to the same path on every node)'.format(
                    chosen, ', '.join(map(str, ranks)), Setting('out')))
    if chosen != 'none':
        wrote = _world_of(os.path.dirname(os.path.abspath(chosen)))
        if wrote != size(comm):
            raise CollectiveError(
                'snapshot {} was written by a run with {} process{}; this run has {}. '
                'Each process trains on its own shard of the data, so resume with '
                'the same number (mpiexec -n {}{}), or start afresh with {}'.format(
                    chosen, wrote, '' if wrote == 1 else 'es', size(comm), wrote,
                    ' and a communicator' if wrote > 1 else ', or in one process without '
                    'a communicator', Setting('resume', 'none')))
    if is_writer(comm):
        os.makedirs(out, exist_ok=True)
        snapshots.write_json(os.path.join(out, WORLD_FILE), {
            'processes': size(comm),
            'communicator': None if comm is None else type(comm).__name__})
    if comm is None:
        return resume
    comm.mpi_comm.Barrier()
    return chosen


def require_shared_out(comm, out, why):
    """Raises :class:`CollectiveError` unless every rank sees rank 0's ``out``."""
    if comm is None or comm.size == 1:
        return
    token = None
    if comm.rank == 0:
        os.makedirs(out, exist_ok=True)
        token = os.path.join(os.path.abspath(out), '.shared-check-{}'.format(os.getpid()))
        open(token, 'w').close()
    token = comm.bcast_obj(token)
    seen = comm.mpi_comm.allgather(os.path.exists(token))
    comm.mpi_comm.Barrier()
    if comm.rank == 0:
        os.remove(token)
    if not all(seen):
        raise CollectiveError(
            '{} needs {} on a filesystem shared by all ranks; rank(s) {} do not see '
            '{}'.format(why, Setting('out'), ', '.join(str(r) for r, s in enumerate(seen)
                                                       if not s), out))


def _world_of(directory):
    """Processes of the run that wrote ``directory`` (1 without world.json)."""
    try:
        with open(os.path.join(directory, WORLD_FILE)) as f:
            return int(json.load(f)['processes'])
    except (OSError, ValueError, KeyError, TypeError):
        return 1


@contextlib.contextmanager
def guard(comm, command='train'):
    """Keeps one rank's failure from leaving the others waiting forever.

    A :class:`CollectiveError` or a
    :class:`~chainer_irnn.training.extensions.DivergenceError` is raised on
    every rank at the same point (divergence is detected on averaged
    values): it propagates on rank 0 (the CLI prints it) and ends the other
    ranks with status 2 silently.
    Anything else may be one rank's alone: that rank prints it and calls
    ``MPI_Abort``, which stops every rank.
    """
    if comm is None:
        yield
        return
    from chainer_irnn.training.loss_guard import DivergenceError
    try:
        yield
    except (CollectiveError, DivergenceError):
        if comm.rank == 0:
            raise
        raise QuietExit(2)
    except (Exception, KeyboardInterrupt) as e:
        if isinstance(e, UserError):
            msg = 'chainer-irnn {}: error on rank {} of {}: {}\n'.format(
                command, comm.rank, comm.size, e)
        else:
            msg = 'chainer-irnn {}: rank {} of {} failed:\n{}'.format(
                command, comm.rank, comm.size, traceback.format_exc())
        sys.stderr.write(msg)
        sys.stderr.flush()
        comm.mpi_comm.Abort(130 if isinstance(e, KeyboardInterrupt) else 2)
