"""Validation-driven training: the best model, plateaus and early stopping."""
import logging
import math

import chainer
from chainer import training

from chainer_irnn.training.loss_guard import scale_learning_rate

logger = logging.getLogger(__name__)

LOSS, ACCURACY = 'validation/main/loss', 'validation/main/accuracy'


class BestModel(training.Extension):
    """Keeps the parameters of the best validation result, lowers the
    learning rate on plateaus and asks the run to stop after a patience.

    It acts at each iteration whose observation holds ``validation/main/loss``
    (that is, right after the ``Evaluator``; its priority puts it after the
    evaluator and before logs and snapshots).  ``by='loss'`` keeps the
    lowest validation loss; ``by='accuracy'`` the highest accuracy, the lower
    loss breaking ties (small validation sets tie often).

    * ``lr_patience`` > 0: after that many evaluations without improvement
      the learning rate is multiplied by ``lr_decay`` (and the count starts
      again);
    * plateaus are counted from iteration ``warmup`` on (the run's
      ``min_iteration``: small data sets need that many updates, and their
      small validation sets often touch their best early, by chance;
      counting from a quarter or half of it saved 20-45% of the updates but
      scored lower on public sets, docs/csv.md);
    * ``patience`` > 0: after that many evaluations without improvement
      :attr:`stopping` turns True; :class:`~chainer_irnn.training.triggers.StopTrigger`
      then ends the run.

    The best parameters are kept in memory (a CPU copy) and, like the
    counters and the number of learning-rate decays, serialized into the
    trainer's snapshots, so that a resumed run goes on exactly as an
    uninterrupted one.  The decays are re-applied to the optimizer when a
    resumed trainer starts (:meth:`initialize`), since Chainer does not
    save hyperparameters.
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_WRITER - 1

    def __init__(self, model, by='loss', patience=0, lr_patience=0, lr_decay=0.5, warmup=0):
        if by not in ('loss', 'accuracy'):
            raise ValueError("by must be 'loss' or 'accuracy', not {!r}".format(by))
        self.model = model
        self.by = by
        self.patience = patience
        self.lr_patience = lr_patience
        self.lr_decay = lr_decay
        self.warmup = warmup
        self.params = None          # name -> CPU array of the best model
        self.iteration = -1         # of the best evaluation (-1: none yet)
        self.epoch = -1.0
        self.loss = math.inf
        self.accuracy = -math.inf
        self.since_best = 0         # evaluations since the best
        self.since_decay = 0        # evaluations without improvement since the last decay
        self.decays = 0
        self.evaluations = 0
        self.stopping = False

    # ------------------------------------------------------------ the rule

    def _better(self, loss, accuracy):
        if self.iteration < 0:
            return True
        if self.by == 'loss':
            return loss < self.loss
        if not math.isfinite(accuracy):
            return False
        return accuracy > self.accuracy or (accuracy == self.accuracy and loss < self.loss)

    def initialize(self, trainer):
        if self.decays:
            lr = scale_learning_rate(trainer.updater.get_optimizer('main'),
                                     self.lr_decay ** self.decays)
            logger.info('learning rate %g after %d plateau decay(s)', lr, self.decays)

    def __call__(self, trainer):
        obs = trainer.observation
        if LOSS not in obs:
            return
        loss = _scalar(obs[LOSS])
        accuracy = _scalar(obs[ACCURACY]) if ACCURACY in obs else -math.inf
        self.evaluations += 1
        updater = trainer.updater
        if self._better(loss, accuracy) and math.isfinite(loss):
            self.iteration, self.epoch = updater.iteration, float(updater.epoch_detail)
            self.loss, self.accuracy = loss, accuracy
            self.params = {name: chainer.backend.CpuDevice().send(p.array).copy()
                           for name, p in self.model.namedparams()}
            self.since_best = self.since_decay = 0
            return
        if updater.iteration < self.warmup:
            return          # too early to judge a plateau: the run's minimum length
        self.since_best += 1
        self.since_decay += 1
        if self.lr_patience and self.since_decay >= self.lr_patience:
            self.since_decay = 0
            self.decays += 1
            lr = scale_learning_rate(updater.get_optimizer('main'), self.lr_decay)
            logger.info('validation %s no better for %d evaluations: learning rate %g '
                        '(iteration %d)', self.by, self.lr_patience, lr, updater.iteration)
        if self.patience and self.since_best >= self.patience and not self.stopping:
            self.stopping = True
            logger.info('early stopping at iteration %d: validation %s no better for %d '
                        'evaluations (best at iteration %d)', updater.iteration, self.by,
                        self.since_best, self.iteration)

    # ------------------------------------------------------------ results

    def restore(self, model=None):
        """Copies the best parameters into ``model`` (default: the watched
        one); returns False when there is no best yet."""
        if self.params is None:
            return False
        model = self.model if model is None else model
        for name, p in model.namedparams():
            p.array[...] = chainer.backend.get_device_from_array(p.array).send(
                self.params[name])
        return True

    def summary(self):
        """The best evaluation as a dict (None before the first one)."""
        if self.iteration < 0:
            return None
        out = {'by': self.by, 'iteration': self.iteration, 'epoch': self.epoch,
               LOSS: self.loss, 'evaluations': self.evaluations, 'lr_decays': self.decays,
               'early_stopped': self.stopping}
        if math.isfinite(self.accuracy):
            out[ACCURACY] = self.accuracy
        return out

    def serialize(self, serializer):
        for name in ('iteration', 'epoch', 'loss', 'accuracy', 'since_best', 'since_decay',
                     'decays', 'evaluations', 'stopping'):
            setattr(self, name, type(getattr(self, name))(serializer(name, getattr(self, name))))
        names = sorted(name for name, _ in self.model.namedparams())
        has = serializer('has_params', self.params is not None)
        store = serializer['params']
        if isinstance(serializer, chainer.serializer.Serializer):
            for i, name in enumerate(names if has else ()):
                store('p{}'.format(i), self.params[name])
        else:
            self.params = {name: chainer.backend.CpuDevice().send(
                store('p{}'.format(i), None)).copy() for i, name in enumerate(names)} \
                if has else None


def _scalar(value):
    if isinstance(value, chainer.Variable):
        value = value.array
    return float(chainer.backend.CpuDevice().send(value))
