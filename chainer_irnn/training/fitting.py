"""``fit``: the one training entry point of the CLI, the estimator and tuning.

::

    from chainer_irnn.training import TrainConfig, fit, mnist_data

    config = TrainConfig.from_preset('irnn', epoch=2, progress=False)
    train, test, meta = mnist_data(config, source='embedded')
    result = fit(config, train, test, meta=meta, out='result/irnn')
    result.model            # the trained L.Classifier, also in result/irnn/model.npz
"""
import contextlib
import errno
import logging
import os
import time

import numpy

from chainer_irnn.datasets.description import data_description
from chainer_irnn.errors import ParameterError, Setting
from chainer_irnn.training import distributed
from chainer_irnn.training.devices import get_device, seed_everything  # NOQA (re-exported)
from chainer_irnn.training.results import FitResult  # NOQA (re-exported)
from chainer_irnn.training.lock import RunLock

logger = logging.getLogger(__name__)

#: MNIST views each input kind reads
VIEW_OF_INPUT = {'embed': ('pixels',), 'linear': ('floats', 'rows')}
SETTINGS_FILE = 'settings.json'


def mnist_data(config, source='auto', n_train=None, n_test=None, progress=True):
    """MNIST train and test sets in the view ``config`` asks for.

    Returns ``(train, test, meta)``: ``TupleDataset``s of ``(x, label)`` and
    the data description that :func:`fit` stores with the model; its
    ``validation: 'test'`` tells :func:`fit` to evaluate ``test`` for the
    log without letting it choose the model.  The view
    follows the model's input when the config leaves it at its default
    (``embed`` reads ``pixels``; ``linear`` reads ``floats`` or ``rows``).
    """
    from chainer_irnn.datasets import mnist
    view = config.mnist.view
    allowed = VIEW_OF_INPUT[config.model.input]
    if view not in allowed:
        raise ParameterError('view', '{!r} does not fit {} (use {})'.format(
            view, Setting('input', config.model.input), ' or '.join(allowed)))
    data = mnist.get_mnist(view=view, permute=config.mnist.permute, source=source,
                           n_train=n_train, n_test=n_test, progress=progress)
    meta = data_description(
        'mnist', data.source, {'pixels': 256, 'floats': 1, 'rows': 28}[view], 10,
        len(data.train), len(data.test), view=view, permute=config.mnist.permute,
        permutation=None if data.permutation is None else [int(i) for i in data.permutation],
        # the evaluation data is the test set: logged, never choosing the model
        validation='test')
    return data.train, data.test, meta


def describe_model(config, meta):
    """The ``model.json`` dict: the architecture keys, the data description
    ``meta`` (``in_size``, ``n_class`` at least), the preset and the seed."""
    m = config.model
    description = {'model': m.model, 'input': m.input, 'hidden': list(m.hidden),
                   'activation': m.activation, 'identity_scale': m.identity_scale,
                   'input_std': m.input_std, 'preset': config.preset}
    if m.dropout or m.input_dropout or m.input_noise:   # training-only; older readers ignore
        description.update(dropout=m.dropout, input_dropout=m.input_dropout,
                           input_noise=m.input_noise)
    for key in ('augment_scale', 'augment_slice'):     # training-only too
        if getattr(m, key):
            description[key] = getattr(m, key)
    if m.pool != 'last':    # older readers would silently read the last state
        description['pool'] = m.pool
    if m.bidirectional:     # written only when on: one-way models' files stay as they were
        description['bidirectional'] = True
    description.update(meta)
    description['seed'] = config.run.seed
    return description


def preset_words(preset):
    """``'preset irnn'``, or ``'no preset'`` for None (the log's words)."""
    return 'no preset' if preset is None else 'preset {}'.format(preset)


def infer_meta(train, config):
    """A minimal data description for datasets given without one."""
    x, _ = train[0]
    x = numpy.asarray(x)
    if config.model.input == 'embed':
        in_size = 256
    else:
        in_size = 1 if x.ndim == 1 else int(x.shape[-1])
    n_class = int(max(int(t) for _, t in train)) + 1
    return data_description('arrays', 'arrays', in_size, n_class, len(train))


#: how the output folder can fail to take a run's files, and what to do
_OUT_ERRORS = {
    errno.ENOSPC: 'the disk is full; free some space and run again (the newest complete '
                  'snapshot is kept, and the run resumes from it)',
    errno.EDQUOT: 'the disk quota is used up; free some space and run again (the newest '
                  'complete snapshot is kept, and the run resumes from it)',
    errno.EFBIG: 'a file grew past the size limit of this process (ulimit -f); raise it and '
                 'run again (the newest complete snapshot is kept, and the run resumes from it)',
    errno.EROFS: 'the file system is read-only; choose a writable folder',
    errno.EACCES: 'permission denied; choose a folder you may write to',
    errno.EPERM: 'operation not permitted; choose a folder you may write to',
    errno.EEXIST: 'it exists and is not a folder (a file, or a link that leads nowhere); '
                  'choose a folder',
    errno.ENOTDIR: 'a part of the path is a file, not a folder; choose a folder',
    errno.ELOOP: 'the path is a loop of symbolic links; choose a folder',
    errno.EISDIR: 'a folder stands where a file of the run belongs; remove it or choose '
                  'another folder',
    errno.ENAMETOOLONG: 'the path is too long; choose a shorter one',
}


def _out_errors(function):
    """Turns a failure to write the run's folder (a file as ``out``, a
    read-only folder, a full disk, ...) into one :class:`UserError` naming
    the folder, the file and what to do."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except OSError as e:
            advice = _OUT_ERRORS.get(e.errno)
            if advice is None:
                raise
            from chainer_irnn.errors import UserError
            out = kwargs.get('out', 'result')
            where = e.filename if e.filename and os.path.abspath(str(e.filename)) != \
                os.path.abspath(str(out)) else None
            raise UserError('{}: cannot write the run\'s files there{} ({}): {}'.format(
                Setting('out', out), '' if where is None else ' ({})'.format(where),
                e.strerror or e, advice)) from None
    return wrapper


@_out_errors
def fit(config, train, val=None, *, out='result', meta=None, device=None, resume='auto',
        distribution=None, save=True, extensions=(), test=None, record=None, comm=None):
    """Trains a model as ``config`` says, on ``train``, validating on ``val``.

    Args:
        config (TrainConfig): model, optimiser and run settings.
        train: a dataset of ``(x, label)``; ``x`` is ``(T,)`` integer tokens
            for ``input='embed'`` or ``(T, F)`` floats; labels are ``0..n-1``.
            With ChainerMN, this rank's shard (:meth:`.distributed.MultiNode.load`).
        val: the same, or None for no evaluation.
        out (str): output folder: snapshots, ``log``, plots,
            ``settings.json``, and ``model.npz`` + ``model.json``.
        meta (dict): the data description saved with the model (``in_size``,
            ``n_class``, and what reading new data needs); inferred from
            ``train`` when None.
        device: ``'@numpy'``, ``'@cupy:0'``, a legacy integer, or a device
            (with ChainerMN, each rank takes the GPU of its index on its node).
        resume: ``'auto'`` (the newest snapshot in ``out``), ``'none'`` or a
            snapshot path.
        distribution: a :class:`~chainer_irnn.training.distributed.Distribution`
            (None: one process; ``distributed.create('naive')`` under
            mpiexec: ChainerMN's ranks, of which only rank 0 writes).
        save (bool): write ``model.npz`` and ``model.json`` into ``out``.
        extensions: more Trainer extensions (each with its default trigger),
            added to every trainer the run builds (tuning adds its pruning here).
        test: a dataset like ``train`` that chooses nothing: the kept model is
            scored on it once, after training (``FitResult.test``, ``test.json``).
        record (dict): more JSON-safe entries for ``settings.json`` (the CLI
            records how it read the data, ``data_args``, so that
            :func:`~chainer_irnn.training.settings.read_settings` can redo it).
        comm: a ChainerMN communicator: ``distribution=`` as it was spelt.

    With ``val``, the model kept (returned and saved) is the one of the
    best evaluation (:class:`~chainer_irnn.training.extensions.BestModel`),
    not the last iterate -- unless ``meta['validation']`` is ``'test'``
    (:func:`mnist_data`: ``val`` is the test set), when ``val`` is evaluated
    for the log only and the last iterate is kept.

    With ``config.run.class_weight='balanced'`` the training and validation
    losses weigh each class by ``n / (k n_c)`` of ``train``
    (:mod:`~chainer_irnn.training.class_weights`); the model returned, and
    its score on ``test``, use the plain loss.

    Returns:
        FitResult

    Raises:
        DivergenceError: the run diverged and was not rolled back
            (``on_divergence='stop'``), or the rollbacks ran out before any
            model was worth keeping (no evaluation and no snapshot before
            the divergence).  With rollbacks and something to keep, a run
            that still diverges ends with ``stopped='diverged'`` instead.
        ParameterError, UserError: bad settings or data.
    """
    from chainer_irnn import models
    from chainer_irnn.training import class_weights, run_folder, snapshots, \
        trainer as trainer_mod

    dist = distributed.of(distribution, comm)
    device = dist.device(get_device(device))
    device.use()
    if meta is None:
        meta = infer_meta(train, config)
    if config.run.ensemble > 1:     # members one after another (training/ensemble.py)
        from chainer_irnn.training.ensemble import fit_ensemble
        return fit_ensemble(fit, config, train, val, out=out, meta=meta, device=device,
                            resume=resume, distribution=dist, save=save,
                            extensions=extensions, test=test, record=record)
    description = describe_model(config, meta)
    run = config.run
    n_total = meta.get('n_train', len(train))
    if run.batch_for(len(train)) != run.batchsize:
        logger.info('batch %d: all %d training sequences (the preset\'s %d is a ceiling; '
                    'set %s to choose)', run.batch_for(len(train)), len(train),
                    run.batchsize, Setting('batchsize'))
    config = config.replace(batchsize=run.batch_for(len(train)), auto_batchsize=False)
    run = config.run
    dist.check_batch(run.batchsize, len(train))     # before announcing a run length
    dist.announce(run.batchsize)
    if run.iteration is None and run.epochs_for(len(train)) > run.epoch:
        logger.info('%d epochs instead of %d, for at least %d updates on %d training '
                    'sequences (%s; set %s to choose)', run.epochs_for(len(train)),
                    run.epoch, run.min_iteration, n_total, preset_words(config.preset),
                    Setting('epoch'))
        config = config.replace(epoch=run.epochs_for(len(train)))
        run = config.run

    built = {'n_class': description.get('n_class')}
    # class_weight='balanced': the loss weighs each class by n / (k n_c) of the
    # training split (on every rank the whole split's).  The validation loss
    # that chooses the kept model (and counts plateaus and patience) is
    # weighted the same way: the model is trained for the balanced objective,
    # so it is chosen on it; the plain loss on imbalanced validation data
    # would favour the iterates that neglect the small classes, undoing the
    # weighting.  The accuracies stay plain fractions correct.
    weights = None
    if run.class_weight != 'none':
        counts = dist.class_counts(train, description['n_class'])
        weights = class_weights.weights_for(run.class_weight, counts)
        logger.info('%s', class_weights.describe(weights, counts))

    def make_trainer():
        seed_everything(run.seed)
        model = models.build_model(description, impl=config.model.impl)
        if weights is not None:
            class_weights.weigh(model, weights)
        model.to_device(device)
        trainer = trainer_mod.build_trainer(model, train, val, config, out, device, dist=dist,
                                            select=meta.get('validation') != 'test',
                                            identity=built.get('identity'),
                                            n_class=built['n_class'])
        for extension in extensions:
            trainer.extend(extension)
        built.update(model=model, trainer=trainer)
        return model, trainer

    with RunLock(out) if dist.is_writer else contextlib.nullcontext():
        # the folder holds one run: continue only that one, or start over; the
        # snapshots carry the writing rank's identity and are checked against it
        built['identity'] = dist.from_writer(lambda: run_folder.claim(
            out, run_folder.identity(config, train, val, meta, dist.size), resume,
            description=meta))
        resume = dist.resume_from(out, resume)
        if run.on_divergence == 'rollback':
            dist.require_shared_out(out, str(Setting('on_divergence', 'rollback')))
        if dist.is_writer:
            os.makedirs(out, exist_ok=True)
            snapshots.write_json(os.path.join(out, SETTINGS_FILE), dict(
                description, **config.flat(), stop=list(run.stop_trigger(len(train))),
                device=str(device), processes=dist.size, **(record or {})))
        opt = config.optimizer
        logger.info('%s (%s training / %s %s sequences from %s), %s, %s lr %g '
                    'clip %g batch %d, hidden %s on %s', description.get('data'), n_total,
                    meta.get('n_test', 0 if val is None else len(val)),
                    'test (logged only)' if meta.get('validation') == 'test' else 'validation',
                    description.get('data_source'), preset_words(config.preset), opt.name,
                    opt.lr, opt.clip,
                    run.batchsize, list(config.model.hidden), device)
        start = time.time()
        stopped, message = 'completed', ''
        try:
            model = trainer_mod.run_training(make_trainer, out, config, resume=resume, dist=dist)
            _check_the_end(built, config, description)
        except trainer_mod.DivergenceError as e:
            # rollbacks ran out: keep what is worth keeping rather than nothing
            model, kept = _after_divergence(e, built, config, out, make_trainer)
            stopped = 'diverged'
            message = 'training {} ({}); kept the model of the {}, marked diverged in its ' \
                      'model.json. {}'.format(
                          'ended diverged' if getattr(e, 'at_end', False) else
                          'still diverged after {} rollbacks'.format(run.max_rollbacks),
                          getattr(e, 'cause', e.what), kept,
                          e.advice).strip()
            logger.warning('%s', message)
            description = dict(description, stopped='diverged', diverged=message)
        except KeyboardInterrupt:
            if dist.is_writer:
                raise TrainingInterrupted(*_after_interrupt(built, description, out, save,
                                                            make_trainer))
            raise
        seconds = time.time() - start
        if weights is not None:
            # the weights belong to training: the model handed back (and
            # scored on the test data) computes the plain loss, as a loaded one
            class_weights.weigh(model, None)
        monitor = getattr(built.get('trainer'), 'best_model', None)
        best = monitor.summary() if monitor is not None else None
        if best is not None and stopped == 'completed':
            monitor.restore(model)
            if best['early_stopped']:
                stopped = 'early stopping'
        if best is not None and not message:     # a divergence's message is out already
            message = _best_message(best)
            logger.info('%s', message)
        scored = None
        if test is not None and dist.is_writer:
            from chainer_irnn.training.scoring import kept_model, score_test
            scored = score_test(model, test, device, out, kept_model(best))
        if save and dist.is_writer:
            models.save_model(model, description, out)
            logger.info('done in %.1f s; model written to %s', seconds,
                        os.path.join(out, models.MODEL_FILE))
    log = snapshots.load_json(os.path.join(out, 'log'), 'training log', default=[]) \
        if dist.is_writer and os.path.exists(os.path.join(out, 'log')) else []
    return FitResult(model=model, description=description, out=out, log=log, seconds=seconds,
                     best=best, stopped=stopped, message=message, test=scored)


class TrainingInterrupted(KeyboardInterrupt):
    """:func:`fit` was interrupted (Ctrl-C): ``message`` says what was kept
    (the best model so far, in ``model.npz`` + ``model.json``) and how to
    continue."""

    def __init__(self, iteration, kept, snapshot):
        #: the iteration reached; what was kept (in words); the snapshot a
        #: resume continues from (None: none yet)
        self.iteration, self.kept, self.snapshot = iteration, kept, snapshot
        self.message = 'interrupted at iteration {}; {}; {}'.format(
            iteration, kept, 'fit again with {} (the default) to continue from {}'.format(
                Setting('resume', 'auto'), snapshot) if snapshot else
            'nothing to resume from yet')
        super().__init__(self.message)


def _check_the_end(built, config, description):
    """Raises :class:`DivergenceError` when a run that went to its end
    finished diverged: a non-finite or exploded final training loss
    (:func:`~chainer_irnn.training.loss_guard.exploded`)."""
    from chainer_irnn.training import trainer as trainer_mod
    from chainer_irnn.training.loss_guard import exploded
    trainer = built.get('trainer')
    why = exploded(getattr(trainer, 'loss_guard', None), description.get('n_class'))
    if why:
        # where it began is unknown: no snapshot is trusted, only an
        # evaluation that passes the same test (_after_divergence)
        error = trainer_mod.DivergenceError(trainer.updater.iteration, why, last_good=-1)
        error = error.with_advice(trainer_mod._remedies(
            config, config.run.on_divergence == 'rollback'))
        error.at_end = True
        raise error


def _after_interrupt(built, description, out, save, make_trainer):
    """Writes the best model so far (the best evaluation, else the newest
    snapshot) after a Ctrl-C; returns ``(iteration, what was kept, the
    snapshot to continue from or None)``."""
    from chainer_irnn import models
    from chainer_irnn.training import snapshots, trainer as trainer_mod
    trainer = built.get('trainer')
    at = trainer.updater.iteration if trainer is not None else 0
    found = snapshots.find_snapshots(out)
    kept = None
    monitor = getattr(trainer, 'best_model', None)
    if save and monitor is not None and monitor.params is not None:
        model = built['model']
        monitor.restore(model)
        kept = 'best evaluation so far (iteration {}, validation {} {:.4f})'.format(
            monitor.iteration, monitor.by,
            monitor.loss if monitor.by == 'loss' else monitor.accuracy)
    elif save and found:
        try:
            model, fresh = make_trainer()
            snapshots.load_npz(found[-1][1], fresh, what='snapshot')
            trainer_mod.check_snapshot(fresh, found[-1][1])
            kept = 'newest snapshot ({})'.format(os.path.basename(found[-1][1]))
        except Exception as e:    # keep the interruption's message, say why
            logger.warning('no model written: %s', e)
    if kept is not None:
        models.save_model(model, dict(description, stopped='interrupted', interrupted_at=at),
                          out)
        kept = 'kept the model of the {} in {}'.format(
            kept, os.path.join(out, models.MODEL_FILE))
    else:
        kept = 'no model written (no evaluation or snapshot yet)'
    return at, kept, found[-1][1] if found else None


def _best_message(best):
    """One line on the model kept: its evaluation and why the run ended."""
    acc = best.get('validation/main/accuracy')
    return 'kept the model of the best validation {}: loss {:.4f}{} at epoch {:.4g} ' \
           '(iteration {}; {} evaluations){}{}'.format(
               best['by'], best['validation/main/loss'],
               '' if acc is None else ', accuracy {:.4f}'.format(acc), best['epoch'],
               best['iteration'], best['evaluations'],
               '; early stopping' if best['early_stopped'] else '',
               '; {} learning-rate decay(s)'.format(best['lr_decays']) if best['lr_decays']
               else '')


def _after_divergence(error, built, config, out, make_trainer):
    """``(model, what it is)`` to keep when rollbacks ran out: the best
    evaluated model of the last attempt, else the newest snapshot before the
    divergence; else ``error`` is raised again."""
    from chainer_irnn.training import snapshots, trainer as trainer_mod
    if config.run.on_divergence != 'rollback':
        raise error
    monitor = getattr(built.get('trainer'), 'best_model', None)
    if getattr(error, 'at_end', False) and monitor is not None and monitor.params is not None:
        # the best evaluation of a run that ended exploded may have exploded too
        from chainer_irnn.training.loss_guard import EXPLODED, loss_scale
        if not monitor.loss <= EXPLODED * loss_scale(built['trainer'].loss_guard,
                                                     built.get('n_class')):
            raise error
    if monitor is not None and monitor.params is not None:
        model = built['model']
        monitor.restore(model)
        return model, 'best evaluation (iteration {}, validation loss {:.4f})'.format(
            monitor.iteration, monitor.loss)
    good = [(it, p) for it, p in snapshots.find_snapshots(out) if it <= error.last_good]
    if not good:
        raise error
    model, trainer = make_trainer()
    snapshots.load_npz(good[-1][1], trainer, what='snapshot')
    trainer_mod.check_snapshot(trainer, good[-1][1])
    return model, 'newest snapshot before the divergence ({})'.format(
        os.path.basename(good[-1][1]))
