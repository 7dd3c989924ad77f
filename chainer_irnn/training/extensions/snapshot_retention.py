"""Keeping only the newest snapshots."""
import os

from chainer import training


class SnapshotRetention(training.Extension):
    """Removes all but the newest ``keep`` snapshots of the trainer's ``out``
    (by iteration, not file time) after each snapshot is written: give it
    the snapshot's trigger.  Snapshots set aside by a rollback
    (``*.diverged``) are not touched."""

    priority = -101     # right after Chainer's snapshot (-100)

    def __init__(self, keep):
        self.keep = keep

    def __call__(self, trainer):
        from chainer_irnn.training import snapshots
        if self.keep <= 0:
            return
        found = snapshots.find_snapshots(trainer.out)
        for _, path in found[:-self.keep]:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
