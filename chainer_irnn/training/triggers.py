"""Triggers of chainer-irnn (Chainer's home: ``chainer.training.triggers``)."""
from chainer import training


class AnyTrigger(object):
    """Fires when any of the given triggers (tuples or trigger objects) fires."""

    def __init__(self, *triggers):
        self.triggers = [training.trigger.get_trigger(t) for t in triggers]

    def __call__(self, trainer):
        return any([t(trainer) for t in self.triggers])

    def serialize(self, serializer):
        for i, t in enumerate(self.triggers):
            if hasattr(t, 'serialize'):
                t.serialize(serializer['t{}'.format(i)])
