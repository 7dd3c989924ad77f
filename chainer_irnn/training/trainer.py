"""Setting up and running Chainer's Trainer from a typed configuration."""
import json
import logging
import os

import chainer
import numpy
from chainer import training
from chainer.training import extensions

from chainer_irnn.errors import ParameterError, Setting, UserError
from chainer_irnn.training import extensions as ext, numerics, snapshots, threads
from chainer_irnn.training.converter import sequence_converter
from chainer_irnn.training.distributed import ONE_PROCESS, Resume, snapshots_to_try
from chainer_irnn.training.hooks import FiniteGradients, GradientClipping
from chainer_irnn.training.loss_guard import DivergenceError, LossGuard, chance_loss, \
    scale_learning_rate
from chainer_irnn.training import rollback_order
from chainer_irnn.training.order_samplers import ChainedShuffleOrderSampler
from chainer_irnn.training.triggers import AnyTrigger, StopTrigger

logger = logging.getLogger(__name__)

ROLLBACKS_FILE = 'rollbacks.json'
#: Appended to snapshots set aside by a rollback (taken after the divergence began).
DIVERGED_SUFFIX = '.diverged'


class RunIdentity(object):
    """Carries the run's identity
    (:func:`~chainer_irnn.training.run_folder.identity`, as ``run.json``
    records it) in every snapshot, and checks it when a snapshot is loaded
    (:func:`check_snapshot`), as ``run.json`` is checked: a snapshot of
    another run (other data or shaping settings) is refused, naming the
    differences.

    ``vouched``: folders found to hold this run (their ``run.json``, or an
    older version's ``settings.json``, matched), whose snapshots written
    before snapshots carried their identity may be resumed.  Any other
    snapshot without one is refused: which run it is cannot be checked.
    The extension never runs; it is only serialised (as the UTF-8 bytes of
    its JSON, a ``uint8`` array: nothing to unpickle).
    """
    trigger = None          # never fires
    name = 'run_identity'
    priority = 0

    def __init__(self, identity, vouched=()):
        self.text = json.dumps(identity, sort_keys=True, default=str)
        self.identity = json.loads(self.text)      # compared as run.json is
        self.vouched = frozenset(os.path.abspath(v) for v in vouched)
        #: the identity in the snapshot loaded last: a dict, None (it has
        #: none) or a string saying why it cannot be read
        self.loaded = None

    def __call__(self, trainer):
        pass

    def serialize(self, serializer):
        if isinstance(serializer, chainer.serializer.Serializer):
            serializer('identity', numpy.frombuffer(self.text.encode(), numpy.uint8).copy())
            return
        npz = getattr(serializer, 'npz', None)
        key = getattr(serializer, 'path', '') + 'identity'
        self.loaded = None
        if npz is not None and key in npz:
            value = numpy.asarray(serializer('identity', None))
            try:
                loaded = json.loads(bytes(value.astype(numpy.uint8).ravel()).decode())
            except (ValueError, TypeError) as e:     # UnicodeDecodeError is a ValueError
                self.loaded = 'its run identity is damaged: {}'.format(e)
                return
            whole = isinstance(loaded, dict) and all(
                isinstance(loaded.get(k), dict) for k in ('data', 'settings'))
            self.loaded = loaded if whole else 'its run identity is damaged'

    def check(self, path):
        """Raises :class:`UserError` unless the snapshot ``path`` just
        loaded is one of this run's."""
        from chainer_irnn.training import run_folder
        remedy = 'resume it only with its own data and settings, or start this run without ' \
                 'it ({}, or another {})'.format(Setting('resume', 'none'), Setting('out'))
        if isinstance(self.loaded, str):
            raise UserError('{}: not a snapshot of this run ({}); {}'.format(
                path, self.loaded, remedy))
        if self.loaded is not None:
            found = run_folder.differences(self.loaded, self.identity)
            if found:
                raise UserError('{}: a snapshot of another run ({}); {}'.format(
                    path, '; '.join(found), remedy))
            return
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in self.vouched:
            raise UserError(
                '{}: a snapshot written before snapshots recorded their run, and {} records no '
                'run to check it against (no {} there), so it may be another run\'s; {}'.format(
                    path, folder, run_folder.RUN_FILE, remedy))


def check_snapshot(trainer, path):
    """Refuses (:class:`UserError`) a snapshot just loaded into ``trainer``
    that is not of the run the trainer's :class:`RunIdentity` describes (a
    trainer without one checks nothing)."""
    identity = getattr(trainer, 'run_identity', None)
    if identity is not None:
        identity.check(path)


def make_optimizer(opt_config):
    """The optimizer of an :class:`~chainer_irnn.training.config.OptimizerConfig`."""
    name, lr = opt_config.name, opt_config.lr
    if name == 'sgd':
        return chainer.optimizers.SGD(lr=lr)
    if name == 'momentum':
        return chainer.optimizers.MomentumSGD(lr=lr, momentum=0.9)
    if name == 'rmsprop':
        # Keras' RMSprop defaults (rho 0.9, epsilon 1e-6) as in its IRNN example
        return chainer.optimizers.RMSprop(lr=lr, alpha=0.9, eps=1e-6)
    return chainer.optimizers.Adam(alpha=lr)   # the config admits no other name


def setup_optimizer(model, opt_config):
    """The optimizer set up on ``model`` with clipping, weight decay and the
    finite-gradient check."""
    opt = make_optimizer(opt_config)
    opt.setup(model)
    if opt_config.clip:
        opt.add_hook(GradientClipping(opt_config.clip))
    if opt_config.weight_decay:
        opt.add_hook(chainer.optimizer_hooks.WeightDecay(opt_config.weight_decay))
    opt.add_hook(FiniteGradients())
    return opt


def build_trainer(model, train, test, config, out, device,
                  converter=sequence_converter, dist=ONE_PROCESS, select=True, identity=None,
                  n_class=None):
    """Returns a ready :class:`chainer.training.Trainer`.

    Args:
        model: an ``L.Classifier`` (or any link reporting ``loss``).
        train, test: datasets of ``(x, label)``; ``test`` may be None.
        config (TrainConfig): optimiser and run settings.
        out (str): output folder of snapshots, log and plots.
        device: a :class:`chainer.backend.Device`.
        dist: a :class:`~chainer_irnn.training.distributed.Distribution`
            (the default: one process).  With a ``MultiNode`` one, ``train``
            and ``test`` are this rank's shards, gradients, logged losses
            and evaluation are averaged over ranks, and only rank 0 gets
            the writing extensions (snapshots, logs, plots, progress bar).
        identity: ``(identity, vouched)`` as
            :func:`~chainer_irnn.training.run_folder.claim` returns them:
            every snapshot carries the identity, and a snapshot loaded
            (:func:`check_snapshot`) must be of the same run (a
            :class:`RunIdentity`, ``trainer.run_identity``); None checks
            nothing.
        n_class (int): the classes; the loss guard's relapse is measured
            from at least their chance-level loss (None: from the first
            losses only).

    With ``test``, a :class:`~chainer_irnn.training.extensions.BestModel`
    (``trainer.best_model``; None without ``test``) follows every evaluation:
    it keeps the best model, lowers the learning rate on plateaus and stops
    the run after ``config.run.patience`` evaluations without improvement.
    ``select=False`` says that ``test`` is a test set: it is evaluated for
    the log only and chooses nothing (no ``BestModel``; the plateau and
    patience settings are then refused).
    ``config.run.keep_snapshots`` > 0 keeps only the newest snapshots.

    The run stops at ``config.run.stop_trigger(len(train))``; log, evaluation
    and snapshot intervals default to one epoch, or a twentieth of the run
    when that is longer (the log to a tenth of that, at least one iteration).
    """
    run = config.run
    batchsize = run.batchsize
    dist.check_batch(batchsize, len(train))
    train_iter = chainer.iterators.SerialIterator(
        train, batchsize, order_sampler=ChainedShuffleOrderSampler(run.seed))
    optimizer = dist.optimizer(setup_optimizer(model, config.optimizer))
    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, converter=converter, device=device)
    stop = run.stop_trigger(len(train))
    # validation drives the run where there is validation data: the best
    # model is kept, plateaus lower the learning rate, a patience stops it
    monitor = None
    if test is not None and not select and (run.patience or run.lr_patience):
        raise ParameterError(
            'patience' if run.patience else 'lr_patience',
            'needs validation data, and the evaluation data here is a test set, which '
            'must not choose the model (MNIST: its test images)')
    if test is not None and select:
        monitor = ext.BestModel(model, by=run.best_by, patience=run.patience,
                                lr_patience=run.lr_patience, lr_decay=run.lr_decay,
                                # plateaus count once the minimum run is made: counting
                                # from a quarter or half of it measured lower (docs/csv.md)
                                warmup=0 if run.iteration is not None else run.min_iteration)
    trainer = training.Trainer(updater, stop if monitor is None else StopTrigger(stop, monitor),
                               out=out)
    trainer.best_model = monitor
    trainer.run_identity = None
    if identity is not None:
        trainer.run_identity = RunIdentity(*identity)
        trainer.extend(trainer.run_identity)

    iters = lambda n: None if n is None else (n, 'iteration')  # NOQA: E731
    per_epoch = max(1, len(train) // batchsize)
    epochs_between = max(1, stop[0] // 20) if stop[1] == 'epoch' else 1
    log_interval = iters(run.log_interval) or (max(1, epochs_between * per_epoch // 10),
                                               'iteration')
    eval_interval = iters(run.eval_interval) or (epochs_between, 'epoch')
    snapshot_interval = iters(run.snapshot_interval) or (epochs_between, 'epoch')

    # fit judges the end by it too; a relapse is a climb back towards chance
    trainer.loss_guard = LossGuard(relapse=run.loss_guard,
                                   floor=chance_loss(n_class) if n_class else 0.0)
    trainer.extend(trainer.loss_guard)
    # dropout and input noise draw from (seed, iteration): resumes are exact
    trainer.extend(ext.IterationSeed(run.seed, rank=dist.rank,
                                     gpu=device.xp is not numpy))
    if run.lr_decay_every or run.warmup or run.annealed:
        trainer.extend(ext.LearningRateSchedule(
            decay=run.lr_decay if run.lr_decay_every else 1.0,
            every=run.lr_decay_every or 1, warmup=run.warmup,
            anneal=run.planned_updates(len(train)) if run.annealed else 0))
    dist.extend(trainer)
    if test is not None:
        test_iter = chainer.iterators.SerialIterator(
            test, max(batchsize, 128), repeat=False, shuffle=False)
        # means over examples, not over batches (the kept model is chosen on them)
        evaluator = dist.evaluator(
            ext.ExampleEvaluator(test_iter, model, converter=converter, device=device))
        trainer.extend(evaluator, trigger=AnyTrigger(eval_interval, stop))
        if monitor is not None:
            trainer.extend(monitor, name='best_model')
    if not dist.is_writer:
        return trainer
    # also at the last iteration (and where early stopping ends the run), so
    # that a finished run can be extended
    snapshot_trigger = (AnyTrigger(snapshot_interval, stop) if monitor is None else
                        AnyTrigger(snapshot_interval, stop, lambda _: monitor.stopping))
    trainer.extend(extensions.snapshot(filename=snapshots.SNAPSHOT_PATTERN),
                   trigger=snapshot_trigger)
    if run.keep_snapshots:
        trainer.extend(ext.SnapshotRetention(run.keep_snapshots),
                       trigger=AnyTrigger(snapshot_interval, stop) if monitor is None else
                       AnyTrigger(snapshot_interval, stop, lambda _: monitor.stopping))
    # log at the interval, at evaluations and at the end, so that every
    # evaluation and the last iteration reach the log (and the plots)
    log_report = extensions.LogReport(trigger=AnyTrigger(log_interval, eval_interval, stop))
    trainer.extend(log_report)
    columns = ['epoch', 'iteration', 'main/loss', 'main/accuracy']
    if test is not None:
        columns += ['validation/main/loss', 'validation/main/accuracy']
    if run.report:
        trainer.extend(extensions.PrintReport(columns + ['elapsed_time'],
                                              out=ext.ReportStream()))
    if run.plots and ext.plot_available():
        evaluated = 'validation' if select else 'test (logged only, chooses nothing)'
        run_name = os.path.basename(os.path.normpath(out))
        trainer.extend(ext.LogPlot(log_report, {
            'loss.png': {'keys': ['main/loss', 'validation/main/loss'],
                         'ylabel': 'mean cross-entropy loss',
                         'title': 'Loss of run {}'.format(run_name)},
            'accuracy.png': {'keys': ['main/accuracy', 'validation/main/accuracy'],
                             'ylabel': 'accuracy (fraction correct)',
                             'title': 'Accuracy of run {}'.format(run_name)}},
            names={'main/loss': 'training batches', 'main/accuracy': 'training batches',
                   'validation/main/loss': evaluated, 'validation/main/accuracy': evaluated},
            mark=None if monitor is None else lambda: (
                (monitor.iteration, 'kept model (best validation {})'.format(monitor.by))
                if monitor.iteration >= 0 else None)))
    if run.progress:
        trainer.extend(ext.progress(stop))
    return trainer


def load_snapshot(trainer, out, resume):
    """Loads a snapshot into ``trainer``; returns the path loaded or None.

    ``resume`` is ``'auto'`` (the newest complete snapshot in ``out``, if
    any), ``'none'``, or a snapshot path.  Snapshots are written to a
    temporary directory and renamed into place, so a snapshot file that
    exists is complete.  A damaged one is a :class:`UserError` naming it.
    """
    found = snapshots_to_try(out, resume)
    if not found:
        return None
    snapshots.load_npz(found[0], trainer, what='snapshot')
    check_snapshot(trainer, found[0])
    return found[0]


def _remedies(config, rollback_tried, rollbacks=0):
    """Advice for a diverged run, leaving out what it already does;
    ``rollbacks`` lowered the rate that many times (the advice says so)."""
    opt = config.optimizer
    items = []
    if not rollback_tried:
        items.append(str(Setting('on_divergence', 'rollback')))
    if rollbacks:
        items.append('a lower {} (set to {:g}; {} took it down to {:g})'.format(
            Setting('lr'), opt.lr, 'its rollback' if rollbacks == 1 else
            'the {} rollbacks'.format(rollbacks), opt.lr * config.run.rollback_factor ** rollbacks))
    else:
        items.append('a lower {} (now {:g})'.format(Setting('lr'), opt.lr))
    items.append('a lower {} (now {:g})'.format(Setting('clip'), opt.clip) if opt.clip
                 else 'gradient clipping ({})'.format(Setting('clip', 1)))
    if config.model.identity_scale >= 1:
        items.append('{} below 1 (e.g. 0.9)'.format(Setting('identity_scale')))
    if opt.name != 'adam':
        items.append(str(Setting('optimizer', 'adam')))
    return 'Remedies: ' + ', '.join(items) + '.'


def run_training(make_trainer, out, config, resume='auto', dist=ONE_PROCESS):
    """Runs a trainer to its end, resuming and rolling back as configured.

    ``make_trainer()`` returns a fresh ``(model, trainer)``.  ``resume``
    is ``'auto'``, ``'none'`` or a snapshot path, resolved by ``dist`` (a
    :class:`~chainer_irnn.training.distributed.Distribution`, one process
    by default; :meth:`~.distributed.Distribution.resume_from`), or the
    :class:`~chainer_irnn.training.distributed.Resume` it returned.
    With ``'auto'``, a damaged newest snapshot is skipped (with a warning)
    for the newest one that loads.  On a :class:`DivergenceError` with
    ``config.run.on_divergence == 'rollback'``, a new trainer is built, the
    newest good snapshot loaded (or none: the run starts again from its
    seeded initial state), the learning rate multiplied by
    ``rollback_factor`` once more, and training continues, at most
    ``max_rollbacks`` times.  Rollbacks are recorded in
    ``out/rollbacks.json`` so that a later resume keeps the lowered learning
    rate (by the writing rank; every rank keeps the same list).  Subnormal
    floats are flushed to zero and BLAS runs on one thread while the
    trainer runs (:mod:`~chainer_irnn.training.numerics`,
    :mod:`~chainer_irnn.training.threads`).  Returns the trained model.
    """
    run = config.run
    path = os.path.join(out, ROLLBACKS_FILE)
    if not isinstance(resume, Resume):
        resume = dist.resume_from(out, resume)
    rollbacks = []
    if not resume.fresh:
        rollbacks = snapshots.load_json(path, 'rollback history', default=[])
        if not isinstance(rollbacks, list):
            raise snapshots.UserError('{}: not a rollback history (a JSON list); remove it '
                                      'or start afresh in another output folder'.format(path))
    candidates = resume.paths
    while True:
        model, trainer = make_trainer()
        resumed = None
        for i, candidate in enumerate(candidates):
            try:
                snapshots.load_npz(candidate, trainer, what='snapshot')
                resumed = candidate
                break
            except UserError as e:
                if i == len(candidates) - 1:
                    raise
                logger.warning('skipping a damaged snapshot: %s', e)
                model, trainer = make_trainer()
        if resumed:
            # another run's snapshot is refused, not skipped for an older one
            check_snapshot(trainer, resumed)
        optimizer = dist.unwrap(trainer.updater.get_optimizer('main'))
        if resumed:
            logger.info('resumed from %s (iteration %d)', resumed, trainer.updater.iteration)
        if rollbacks:
            lr = scale_learning_rate(optimizer, run.rollback_factor ** len(rollbacks))
            logger.info('learning rate %g after %d rollback(s)', lr, len(rollbacks))
            # and other batches than those that diverged (resumes stay exact)
            rollback_order.move_past(trainer, rollbacks, resumed, run.seed)
        try:
            with numerics.flush_denormals(), threads.single_blas_thread():
                trainer.run(show_loop_exception_msg=False)
            return model
        except DivergenceError as e:
            rolling = run.on_divergence == 'rollback'
            if not rolling:
                raise e.with_advice(_remedies(config, False))
            if len(rollbacks) >= run.max_rollbacks:
                error = DivergenceError(
                    e.iteration, 'still diverging after {} rollbacks ({})'.format(
                        len(rollbacks), e.what), e.last_good,
                    _remedies(config, True, len(rollbacks)))
                error.cause = e.what      # what was seen, for a message that counts rollbacks
                raise error
            good = [(it, p) for it, p in snapshots.find_snapshots(out) if it <= e.last_good]
            # with no snapshot before the divergence, the run starts again
            # from its (seeded, so identical) initial state
            rollbacks.append({'iteration': int(e.iteration),
                              'snapshot': os.path.basename(good[-1][1]) if good else None})
            if dist.is_writer:
                # snapshots taken after the last good iteration may hold the
                # divergence: set aside (not deleted), never resumed from
                for it, p in snapshots.find_snapshots(out):
                    if it > e.last_good:
                        os.replace(p, p + DIVERGED_SUFFIX)
                snapshots.write_json(path, rollbacks)
            dist.barrier()
            logger.info('divergence at iteration %d (%s); rolling back to %s (%d of %d)',
                        e.iteration, e.what, rollbacks[-1]['snapshot'] or 'the start',
                        len(rollbacks), run.max_rollbacks)
            candidates = [good[-1][1]] if good else []
