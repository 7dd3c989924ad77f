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


class StopTrigger(object):
    """The run's stop trigger (an interval) that also fires once ``monitor``
    (a :class:`~chainer_irnn.training.extensions.BestModel`) asks to stop.

    It serializes as the interval trigger it wraps, and tells its length
    (``get_training_length``) as that trigger does, for the progress bar.
    """

    def __init__(self, stop, monitor):
        self.interval = training.trigger.get_trigger(stop)
        self.monitor = monitor

    def __call__(self, trainer):
        done = self.interval(trainer)
        return done or self.monitor.stopping

    def get_training_length(self):
        return self.interval.get_training_length()

    def serialize(self, serializer):
        if hasattr(self.interval, 'serialize'):
            self.interval.serialize(serializer)
