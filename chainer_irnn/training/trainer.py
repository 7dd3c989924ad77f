"""Setting up Chainer's Trainer for a classifier from resolved settings."""
import os

import chainer
from chainer import training
from chainer.training import extensions

from chainer_irnn.errors import UserError
from chainer_irnn.models import load_params
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
                  stop=None, progress=True, plots=True):
    """Returns a ready :class:`chainer.training.Trainer`.

    ``stop`` is a trigger tuple such as ``(3, 'epoch')`` or ``(500,
    'iteration')``; the intervals default to one epoch (``log_interval`` to
    a tenth of an epoch, at least one iteration).
    """
    batchsize = settings['batchsize']
    if batchsize > len(train):
        raise UserError('--batchsize {} is larger than the training set ({} '
                        'examples)'.format(batchsize, len(train)))
    train_iter = chainer.iterators.SerialIterator(train, batchsize)
    optimizer = setup_optimizer(model, settings)
    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, converter=converter, device=device)
    stop = stop or (settings['epoch'], 'epoch')
    trainer = training.Trainer(updater, stop, out=out)

    per_epoch = max(1, len(train) // batchsize)
    log_interval = log_interval or (max(1, per_epoch // 10), 'iteration')
    eval_interval = eval_interval or (1, 'epoch')
    snapshot_interval = snapshot_interval or (1, 'epoch')

    trainer.extend(ext.FiniteLoss())
    if test is not None:
        test_iter = chainer.iterators.SerialIterator(
            test, max(batchsize, 128), repeat=False, shuffle=False)
        trainer.extend(extensions.Evaluator(test_iter, model, converter=converter,
                                            device=device),
                       trigger=eval_interval)
    trainer.extend(extensions.snapshot(filename=ext.SNAPSHOT_PATTERN),
                   trigger=snapshot_interval)
    trainer.extend(extensions.LogReport(trigger=log_interval))
    columns = ['epoch', 'iteration', 'main/loss', 'main/accuracy']
    if test is not None:
        columns += ['validation/main/loss', 'validation/main/accuracy']
    trainer.extend(extensions.PrintReport(columns + ['elapsed_time']))
    if plots and ext.plot_available():
        trainer.extend(extensions.PlotReport(
            ['main/loss', 'validation/main/loss'], x_key='iteration',
            file_name='loss.png', trigger=log_interval))
        trainer.extend(extensions.PlotReport(
            ['main/accuracy', 'validation/main/accuracy'], x_key='iteration',
            file_name='accuracy.png', trigger=log_interval))
    if progress:
        trainer.extend(extensions.ProgressBar(update_interval=1))
    return trainer


def resume(trainer, out, resume):
    """Loads a snapshot into ``trainer``; returns the path loaded or None.

    ``resume`` is ``'auto'`` (the newest complete snapshot in ``out``, if
    any), ``'none'``, or a snapshot path.
    """
    if resume in (None, 'none'):
        return None
    if resume == 'auto':
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
