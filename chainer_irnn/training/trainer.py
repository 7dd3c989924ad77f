"""Setting up Chainer's Trainer for a classifier from resolved settings."""
import json
import os
import sys

import chainer
from chainer import training
from chainer.training import extensions

from chainer_irnn.errors import UserError
from chainer_irnn.models import load_params
from chainer_irnn.training import distributed
from chainer_irnn.training import extensions as ext
from chainer_irnn.training.converter import sequence_converter

OPTIMIZERS = ('sgd', 'momentum', 'rmsprop', 'adam')


def make_optimizer(settings):
    """The optimizer named in ``settings`` with its learning rate and hooks."""
    name, lr = settings['optimizer'], settings['lr']
    if name == 'sgd':
        opt = chainer.optimizers.SGD(lr=lr)
    elif name == 'momentum':
        opt = chainer.optimizers.MomentumSGD(lr=lr, momentum=0.9)
    elif name == 'rmsprop':
        # Keras' RMSprop defaults (rho 0.9, epsilon 1e-6) as in its IRNN example
        opt = chainer.optimizers.RMSprop(lr=lr, alpha=0.9, eps=1e-6)
    elif name == 'adam':
        opt = chainer.optimizers.Adam(alpha=lr)
    else:
        raise UserError('unknown optimizer {!r}; choose one of: {}'.format(
            name, ', '.join(OPTIMIZERS)))
    return opt


def setup_optimizer(model, settings):
    opt = make_optimizer(settings)
    opt.setup(model)
    if settings.get('clip'):
        opt.add_hook(chainer.optimizer_hooks.GradientClipping(settings['clip']))
    if settings.get('weight_decay'):
        opt.add_hook(chainer.optimizer_hooks.WeightDecay(settings['weight_decay']))
    opt.add_hook(ext.FiniteGradients())
    return opt


def build_trainer(model, train, test, settings, out, device,
                  converter=sequence_converter, log_interval=None,
                  snapshot_interval=None, eval_interval=None,
                  stop=None, progress=True, plots=True, seed=0, comm=None):
    """Returns a ready :class:`chainer.training.Trainer`.

    With a ChainerMN ``comm``, ``train`` and ``test`` are this rank's shards
    (:func:`~chainer_irnn.training.distributed.load_and_scatter`), gradients,
    logged losses and evaluation are averaged over ranks, and only rank 0
    gets the writing extensions (snapshots, logs, plots, progress bar).

    ``stop`` is a trigger tuple such as ``(3, 'epoch')`` or ``(500,
    'iteration')``; the intervals default to one epoch, or a twentieth of
    the run when that is longer (``log_interval`` to a tenth of that, at
    least one iteration).
    """
    batchsize = settings['batchsize']
    if batchsize > len(train):
        if comm is not None:   # the same on every rank: shards have equal lengths
            raise distributed.CollectiveError(
                '--batchsize {} (per process) is larger than each of the {} processes\' '
                'shards of the training set ({} examples)'.format(batchsize, comm.size, len(train)))
        raise UserError('--batchsize {} is larger than the training set ({} '
                        'examples)'.format(batchsize, len(train)))
    train_iter = chainer.iterators.SerialIterator(
        train, batchsize, order_sampler=ext.ChainedShuffleOrderSampler(seed))
    optimizer = setup_optimizer(model, settings)
    if comm is not None:
        optimizer = distributed.multi_node_optimizer(optimizer, comm)
    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, converter=converter, device=device)
    stop = stop or (settings['epoch'], 'epoch')
    trainer = training.Trainer(updater, stop, out=out)

    per_epoch = max(1, len(train) // batchsize)
    epochs_between = max(1, stop[0] // 20) if stop[1] == 'epoch' else 1
    log_interval = log_interval or (max(1, epochs_between * per_epoch // 10), 'iteration')
    eval_interval = eval_interval or (epochs_between, 'epoch')
    snapshot_interval = snapshot_interval or (epochs_between, 'epoch')

    trainer.extend(ext.LossGuard(relapse=settings.get('loss_guard', 0.0)))
    if settings.get('lr_decay', 1.0) != 1.0 or settings.get('warmup', 0):
        trainer.extend(ext.LearningRateSchedule(
            decay=settings.get('lr_decay', 1.0), every=settings.get('lr_decay_every', 1000),
            warmup=settings.get('warmup', 0)))
    if comm is not None:
        distributed.extend_trainer(trainer, comm)
    if test is not None:
        test_iter = chainer.iterators.SerialIterator(
            test, max(batchsize, 128), repeat=False, shuffle=False)
        evaluator = extensions.Evaluator(test_iter, model, converter=converter, device=device)
        if comm is not None:
            evaluator = distributed.multi_node_evaluator(evaluator, comm)
        trainer.extend(evaluator, trigger=ext.AnyTrigger(eval_interval, stop))
    if not distributed.is_writer(comm):
        return trainer
    # also at the last iteration, so that a finished run can be extended
    trainer.extend(extensions.snapshot(filename=ext.SNAPSHOT_PATTERN),
                   trigger=ext.AnyTrigger(snapshot_interval, stop))
    # log at the interval, at evaluations and at the end, so that every
    # evaluation and the last iteration reach the log (and the plots)
    log_report = extensions.LogReport(trigger=ext.AnyTrigger(log_interval, eval_interval, stop))
    trainer.extend(log_report)
    columns = ['epoch', 'iteration', 'main/loss', 'main/accuracy']
    if test is not None:
        columns += ['validation/main/loss', 'validation/main/accuracy']
    trainer.extend(extensions.PrintReport(columns + ['elapsed_time'], out=ext.ReportStream()))
    if plots and ext.plot_available():
        trainer.extend(ext.LogPlot(log_report, {
            'loss.png': ['main/loss', 'validation/main/loss'],
            'accuracy.png': ['main/accuracy', 'validation/main/accuracy']}))
    if progress:
        trainer.extend(extensions.ProgressBar(update_interval=1))
    return trainer


def load_snapshot(trainer, out, resume):
    """Loads a snapshot into ``trainer``; returns the path loaded or None.

    ``resume`` is ``'auto'`` (the newest complete snapshot in ``out``, if
    any), ``'none'``, or a snapshot path.  Snapshots are written to a
    temporary directory and renamed into place, so a snapshot file that
    exists is complete; temporary leftovers of a killed run are removed.
    """
    if resume in (None, 'none'):
        return None
    if resume == 'auto':
        ext.remove_partial_snapshots(out)
        found = ext.find_snapshots(out)
        if not found:
            return None
        path = found[-1][1]
    else:
        path = resume
        if not os.path.isfile(path):
            raise UserError('{}: no such snapshot to resume from'.format(path))
    load_params(path, trainer, what='snapshot')
    return path


ROLLBACKS_FILE = 'rollbacks.json'
#: Appended to snapshots set aside by a rollback (taken after the divergence began).
DIVERGED_SUFFIX = '.diverged'


def run_training(make_trainer, out, resume='auto', on_nan='stop', max_rollbacks=3,
                 factor=0.5, log=sys.stderr, comm=None):
    """Runs a trainer to its end, resuming and rolling back as asked.

    ``make_trainer()`` returns a fresh ``(model, trainer)``.  On a
    :class:`~chainer_irnn.training.extensions.DivergenceError` with
    ``on_nan='rollback'``, a new trainer is built, the newest good snapshot
    loaded, the learning rate multiplied by ``factor`` once more, and
    training continues, at most ``max_rollbacks`` times.  Rollbacks are
    recorded in ``out/rollbacks.json`` so that a later resume keeps the
    lowered learning rate (with a ChainerMN ``comm``, by rank 0; every rank
    keeps the same list).  Returns the trained model.
    """
    path = os.path.join(out, ROLLBACKS_FILE)
    rollbacks = []
    if resume != 'none' and os.path.exists(path):
        with open(path) as f:
            rollbacks = json.load(f)
    while True:
        model, trainer = make_trainer()
        optimizer = distributed.actual_optimizer(trainer.updater.get_optimizer('main'))
        resumed = load_snapshot(trainer, out, resume)
        if resumed:
            print('chainer-irnn: resumed from {} (iteration {})'.format(
                resumed, trainer.updater.iteration), file=log)
        if rollbacks:
            lr = ext.scale_learning_rate(optimizer, factor ** len(rollbacks))
            print('chainer-irnn: learning rate {} after {} rollback(s)'.format(
                lr, len(rollbacks)), file=log)
        try:
            trainer.run(show_loop_exception_msg=False)
            return model
        except ext.DivergenceError as e:
            if on_nan != 'rollback':
                raise
            if len(rollbacks) >= max_rollbacks:
                raise ext.DivergenceError(e.iteration, 'still diverging after {} '
                                          'rollbacks'.format(len(rollbacks)))
            good = [(it, p) for it, p in ext.find_snapshots(out) if it <= e.last_good]
            if not good:
                raise ext.DivergenceError(e.iteration, 'divergence with no snapshot to '
                                          'roll back to yet')
            rollbacks.append({'iteration': int(e.iteration),
                              'snapshot': os.path.basename(good[-1][1])})
            if distributed.is_writer(comm):
                # snapshots taken after the last good iteration may hold the
                # divergence: set aside (not deleted), never resumed from
                for it, p in ext.find_snapshots(out):
                    if it > e.last_good:
                        os.replace(p, p + DIVERGED_SUFFIX)
                tmp = path + '.tmp'
                with open(tmp, 'w') as f:
                    json.dump(rollbacks, f, indent=1)
                os.replace(tmp, path)
            if comm is not None:
                comm.mpi_comm.Barrier()
            print('chainer-irnn: divergence at iteration {}; rolling back to {} '
                  '({} of {})'.format(e.iteration, rollbacks[-1]['snapshot'],
                                      len(rollbacks), max_rollbacks), file=log)
            resume = good[-1][1]
