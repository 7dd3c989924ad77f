"""Data-parallel training with ChainerMN: everything MPI-specific lives here.

A run is spread over processes by one object handed to
:func:`~chainer_irnn.training.fit` (``distribution=``): :class:`Distribution`,
the default, is one process; :class:`MultiNode` holds a ChainerMN
communicator and makes the few wraps of Chainer's ``examples/chainermn/
mnist``: each rank's device, the data scattered, the optimizer and the
evaluator wrapped, the rank that writes, and ``resume`` resolved for every
rank at once.  The command line makes it from its flags (:func:`create`).

Under ``mpiexec -n N chainer-irnn train --communicator naive ...`` every
rank holds a full copy of the model; rank 0's dataset is shuffled with the
run's seed and split into ``N`` equal shards (:meth:`MultiNode.load`); each
step every rank computes gradients on its own ``--batchsize`` examples and
the communicator averages them, so one step of ``N`` ranks with batch ``b``
is one step with batch ``N*b``.

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
* Only rank 0 loads the data (:meth:`MultiNode.load`), and only rank 0
  writes: the log, plots, snapshots, the progress bar, ``settings.json``,
  ``world.json`` and the saved model.  Logged ``main/loss`` and
  ``main/accuracy`` are means over all ranks (:class:`MeanOverRanks`);
  ``validation/*`` come from ChainerMN's multi-node evaluator (each rank
  evaluates its shard of the test set; rank means are averaged).
* ChainerMN's multi-node optimizer spends its first ``update()`` on
  broadcasting rank 0's parameters and drops that step's gradient.
  :func:`multi_node_optimizer` broadcasts at set-up instead, so step 1 is a
  real update and ``N`` ranks x batch ``b`` follow the trajectory of one
  process x batch ``N*b`` (and a resumed run that of an uninterrupted one).
* Resume (:meth:`Distribution.resume_from`, the one place ``resume`` is
  resolved): every rank loads the same snapshot (rank 0 chooses it; every
  rank must see the file: ``--out`` on a filesystem shared by the nodes).
  Rank 0's snapshot holds all per-rank state: parameters and optimizer
  state are identical on every rank (averaged gradients), and so is the
  iterator state, because shards have equal length and every rank's order
  sampler is the same function of the seed and its previous order.  What
  differs between ranks, the shard itself, is rebuilt from the seed, so a
  run must be resumed with the same number of processes: ``world.json``
  records it.
* A failure that only some ranks see would leave the others waiting in a
  collective: :meth:`MultiNode.guard` turns it into ``MPI_Abort``.  Errors
  every rank raises at the same point (bad flags, divergence, which is
  detected on averaged gradients and the rank-averaged loss) end every rank
  with status 2 and one message, from rank 0.
"""
import contextlib
import dataclasses
import json
import logging
import os
import sys
import traceback

import numpy

import chainer
from chainer import training

from chainer_irnn.errors import ParameterError, QuietExit, Setting, UserError

logger = logging.getLogger(__name__)

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


@dataclasses.dataclass(frozen=True)
class Resume(object):
    """``resume`` resolved for every rank (:meth:`Distribution.resume_from`):
    the snapshots to try, newest first (none: the seeded initial state), and
    whether ``'none'`` was asked (``fresh``: no rollback history is read)."""
    paths: tuple = ()
    fresh: bool = False


def snapshots_to_try(out, resume):
    """``resume`` (``'auto'``, ``'none'`` or a path) as snapshot paths,
    newest first; temporary leftovers of a killed run are removed."""
    from chainer_irnn.training import snapshots
    if resume in (None, 'none'):
        return []
    if resume == 'auto':
        snapshots.remove_partial_snapshots(out)
        return [p for _, p in reversed(snapshots.find_snapshots(out))]
    if not os.path.isfile(resume):
        raise ParameterError('resume', '{}: no such snapshot to resume from'.format(resume))
    return [resume]


class Distribution(object):
    """One process, the default: each method is a step that
    :class:`MultiNode` spreads over ranks, done for the one rank there is
    (nothing wrapped, scattered or broadcast; this process writes all)."""

    #: the ChainerMN communicator (None: one process)
    comm = None
    #: the communicator's name (``'naive'``...), None for one process
    name = None
    rank = 0
    size = 1
    #: whether this process writes files and prints progress (rank 0)
    is_writer = True

    def device(self, device):
        """The device this rank trains on, given the run's ``device``."""
        return device

    def guard(self, command='train'):
        """A context that keeps one rank's failure from hanging the others."""
        return contextlib.nullcontext()

    def from_writer(self, function):
        """``function()``, run on the writing rank and its value handed to
        every rank; a :class:`UserError` it raises is raised on every rank."""
        return function()

    def load(self, load, seed=0):
        """``load()`` (``(train, test, *rest)``) run on the writing rank,
        with this rank's shards of ``train`` (shuffled with ``seed``) and
        ``test``; see :meth:`MultiNode.load`."""
        return load()

    def class_counts(self, train, n_class):
        """Training sequences of each class ``0..n_class-1`` in the whole
        training split (``train`` is this rank's part of it), the same on
        every rank: what ``class_weight='balanced'`` weighs by."""
        from chainer_irnn.training.class_weights import class_counts
        return class_counts(train, n_class)

    def check_batch(self, batchsize, n_train):
        """Raises unless ``batchsize`` examples fit in this rank's ``n_train``."""
        if batchsize > n_train:
            raise ParameterError('batchsize', '{} is larger than the training set ({} '
                                 'examples)'.format(batchsize, n_train))

    def announce(self, batchsize):
        """Logs how the run is spread (nothing for one process)."""

    def optimizer(self, optimizer):
        """``optimizer`` (set up on the model) as this run updates with it."""
        return optimizer

    def unwrap(self, optimizer):
        """The optimizer inside what :meth:`optimizer` returned."""
        return optimizer

    def evaluator(self, evaluator):
        """``evaluator`` as this run evaluates with it."""
        return evaluator

    def extend(self, trainer):
        """Adds the extensions the spread needs besides the evaluator."""

    def barrier(self):
        """Waits until every rank gets here."""

    def require_shared_out(self, out, why):
        """Raises :class:`CollectiveError` unless every rank sees ``out``."""

    def _agree_on(self, paths):
        """``paths`` (the writer's choice, on every rank) as every rank
        tries them."""
        return paths

    def resume_from(self, out, resume):
        """The one resolution of ``resume``, as every rank takes it.

        ``resume`` is ``'auto'`` (the complete snapshots in ``out``, newest
        first; leftovers of a killed run removed), ``'none'`` or a snapshot
        path.  The writing rank chooses, every rank checks that it sees the
        snapshot; a snapshot is resumed only with as many processes as
        wrote it (``world.json`` of its folder), and this run's world is
        then recorded in ``out``.  Returns a :class:`Resume`.
        """
        from chainer_irnn.training import snapshots
        paths = self._agree_on(self.from_writer(lambda: snapshots_to_try(out, resume)))
        if paths:
            wrote = _world_of(os.path.dirname(os.path.abspath(paths[0])))
            if wrote != self.size:
                raise CollectiveError(
                    'snapshot {} was written by a run with {} process{}; this run has {}. '
                    'Each process trains on its own shard of the data, so resume with '
                    'the same number (mpiexec -n {}{}), or start afresh with {}'.format(
                        paths[0], wrote, '' if wrote == 1 else 'es', self.size, wrote,
                        ' and a communicator' if wrote > 1 else ', or in one process '
                        'without a communicator', Setting('resume', 'none')))
        if self.is_writer:
            os.makedirs(out, exist_ok=True)
            snapshots.write_json(os.path.join(out, WORLD_FILE), {
                'processes': self.size,
                'communicator': None if self.comm is None else type(self.comm).__name__})
        self.barrier()
        return Resume(tuple(paths), fresh=resume in (None, 'none'))


#: the default distribution: one process
ONE_PROCESS = Distribution()


class MultiNode(Distribution):
    """The ranks of the ChainerMN communicator ``comm`` (``name``: the
    ``--communicator`` it was made from, for the log)."""

    def __init__(self, comm, name=None):
        self.comm, self.name = comm, name or type(comm).__name__
        self.rank, self.size = comm.rank, comm.size
        self.is_writer = comm.rank == 0
        #: rank 0's whole training set, as :meth:`load` read it (None elsewhere)
        self._whole_train = None

    def device(self, device):
        """Rank ``r`` on a CuPy device uses GPU ``comm.intra_rank``."""
        if device.xp is numpy:
            return device
        return chainer.get_device('@cupy:{}'.format(self.comm.intra_rank))

    @contextlib.contextmanager
    def guard(self, command='train'):
        """Keeps one rank's failure from leaving the others waiting forever:
        a :class:`CollectiveError` or a ``DivergenceError`` (every rank
        raises it at the same point) propagates on rank 0 and ends the
        others with status 2, silently; anything else may be one rank's
        alone: that rank prints it and calls ``MPI_Abort``."""
        from chainer_irnn.training.loss_guard import DivergenceError
        comm = self.comm
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

    def from_writer(self, function):
        problem, value = '', None      # ChainerMN broadcasts no None from the root
        if self.is_writer:
            try:
                value = function()
            except UserError as e:
                problem = str(e)
        problem, value = self.comm.bcast_obj((problem, value) if self.is_writer else None)
        if problem:
            raise CollectiveError(problem)
        return value

    def load(self, load, seed=0):
        """Runs ``load()`` (``(train, test, *rest)``) on rank 0 only: ``train``
        is shuffled with ``seed`` and scattered (:func:`scatter`), ``test``
        scattered unshuffled (or None), ``rest`` broadcast; a
        :class:`UserError` on rank 0 is raised on every rank."""
        loaded = []

        def shape():
            loaded.extend(load())
            return tuple(loaded[2:]), loaded[1] is not None
        rest, has_test = self.from_writer(shape)
        if loaded:
            self._whole_train = loaded[0]       # the split's classes (class_counts)
        train = scatter(loaded[0] if loaded else None, self.comm, seed, shuffle=True)
        test = scatter(loaded[1] if loaded else None, self.comm, shuffle=False) \
            if has_test else None
        return (train, test) + tuple(rest)

    def class_counts(self, train, n_class):
        """Counted on the training set :meth:`load` read, on rank 0, and
        broadcast; for shards made otherwise, summed over the ranks' shards
        (where the last shard repeats a few examples to even the lengths,
        they count twice)."""
        from chainer_irnn.training.class_weights import class_counts
        if self.comm.bcast_obj(self._whole_train is not None if self.is_writer else None):
            return numpy.asarray(self.from_writer(
                lambda: class_counts(self._whole_train, n_class).tolist()))
        return numpy.asarray(self.comm.allreduce_obj(class_counts(train, n_class)))  # summed

    def check_batch(self, batchsize, n_train):
        if batchsize > n_train:   # the same on every rank: shards have equal lengths
            raise CollectiveError(
                'batchsize {} (per process) is larger than each of the {} processes\' '
                'shards of the training set ({} examples)'.format(
                    batchsize, self.size, n_train))

    def announce(self, batchsize):
        logger.info('%d processes (%s), batch %d per process = %d per step', self.size,
                    self.name, batchsize, batchsize * self.size)

    def optimizer(self, optimizer):
        return multi_node_optimizer(optimizer, self.comm)

    def unwrap(self, optimizer):
        return getattr(optimizer, 'actual_optimizer', optimizer)

    def evaluator(self, evaluator):
        """Evaluation over every rank's test shard, averaged across ranks."""
        import chainermn
        return chainermn.create_multi_node_evaluator(evaluator, self.comm)

    def extend(self, trainer):
        """Replaces each rank's logged loss and accuracy by their mean over
        the ranks, each step (:class:`MeanOverRanks`)."""
        trainer.extend(MeanOverRanks(self.comm), name='mean over ranks')

    def barrier(self):
        self.comm.mpi_comm.Barrier()

    def require_shared_out(self, out, why):
        comm = self.comm
        if comm.size == 1:
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

    def _agree_on(self, paths):
        """Rank 0's newest choice only (a snapshot that one rank cannot load
        must not send the ranks to different ones), checked to be visible
        to every rank."""
        chosen = paths[:1]
        missing = self.comm.mpi_comm.allgather(bool(chosen) and not os.path.isfile(chosen[0]))
        if missing[0]:
            raise CollectiveError('{}: no such snapshot to resume from'.format(chosen[0]))
        if any(missing):
            raise CollectiveError(
                'snapshot {} is not visible to rank(s) {}: every rank loads the same '
                'snapshot, so {} must be on a filesystem shared by all nodes (or '
                'copy the snapshot to the same path on every node)'.format(
                    chosen[0], ', '.join(str(r) for r, m in enumerate(missing) if m),
                    Setting('out')))
        return chosen


def create(name, device=None):
    """The distribution of the ChainerMN communicator named ``name``: one
    process for None, else :class:`MultiNode` over the ChainerMN
    communicator ``name`` (:func:`create_communicator`)."""
    if name is None:
        return ONE_PROCESS
    return MultiNode(create_communicator(name, device), name)


def of(distribution=None, comm=None):
    """``distribution`` (or ``comm``, the older keyword of ``fit``) as a
    :class:`Distribution`: None is one process, a ChainerMN communicator
    is wrapped in :class:`MultiNode`."""
    if distribution is not None and comm is not None:
        raise TypeError('give distribution= or comm=, not both')
    distribution = comm if distribution is None else distribution
    if distribution is None:
        return ONE_PROCESS
    if isinstance(distribution, Distribution):
        return distribution
    return MultiNode(distribution)


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


def scatter(dataset, comm, seed=0, shuffle=True):
    """This rank's shard of rank 0's ``dataset`` (equal lengths).

    With ``shuffle`` the examples are permuted by ``RandomState(seed)``
    before being cut into ``comm.size`` consecutive shards, so shard ``r``
    is ``dataset[perm[r*m:(r+1)*m]]`` with ``m = ceil(n / size)`` (the last
    shard repeats a few examples when ``size`` does not divide ``n``).
    """
    import chainermn
    return chainermn.scatter_dataset(dataset, comm, shuffle=shuffle,
                                     seed=None if not shuffle else int(seed))


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


class MeanOverRanks(training.Extension):
    """Sets ``keys`` of the observation to their mean over all ranks.

    Runs before every other extension, the divergence check included, so
    that every rank logs and checks the same value.  (ChainerMN's
    ``ObservationAggregator`` would do this, but in 7.8.1 it moves values to
    the ChainerX device ``'native'``, which fails on every Chainer without
    ChainerX: every pip install.)
    """

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


def _world_of(directory):
    """Processes of the run that wrote ``directory`` (1 without world.json)."""
    try:
        with open(os.path.join(directory, WORLD_FILE)) as f:
            return int(json.load(f)['processes'])
    except (OSError, ValueError, KeyError, TypeError):
        return 1
