"""After a rollback, train on other batches than the ones that diverged.

A rollback reloads a snapshot, iterator state included, so without more the
run replays the very batches that diverged: a run overflowed (a non-finite
gradient) at iterations 707, 707 and 708, each time rolled back to snapshot
705 with a halved rate, and used up its rollbacks on the same batch.
:func:`move_past` reshuffles the examples the current epoch has not drawn
yet, with a seed derived from the run's seed, the iteration and the number
of rollbacks to that snapshot.  The new order is part of the next snapshots,
and a resume from the rollback's snapshot itself draws the same order again
(the rollback history says how many rollbacks went there), so resumed runs
stay exact.
"""
import os

import numpy

from chainer.iterators import _statemachine


def move_past(trainer, rollbacks, resumed, seed):
    """Reshuffles the rest of the current epoch when ``resumed`` (the
    snapshot path loaded, or None for the start) is where a rollback in
    ``rollbacks`` (the rollback history) went.  Returns True if it did."""
    name = None if resumed is None else os.path.basename(resumed)
    k = sum(1 for r in rollbacks if r.get('snapshot') == name)
    if not k:
        return False
    iterator = trainer.updater.get_iterator('main')
    state = getattr(iterator, '_state', None)
    if state is None or state.order is None:
        return False
    iteration = trainer.updater.iteration
    rng = numpy.random.RandomState((int(seed) + 7919 * k + 104729 * iteration) % 2 ** 32)
    order = numpy.array(state.order, copy=True)
    pos = state.current_position
    order[pos:] = order[pos:][rng.permutation(len(order) - pos)]
    iterator._state = _statemachine.IteratorState(pos, state.epoch, state.is_new_epoch, order)
    return True
