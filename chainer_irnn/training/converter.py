"""Batching variable-length sequences."""
import numpy

import chainer


@chainer.dataset.converter()
def sequence_converter(batch, device=None):
    """Stacks ``(x, label)`` examples into ``(xs, lengths, labels)``.

    ``x`` is ``(T_i,)`` or ``(T_i, F)``.  Sequences shorter than the longest
    are zero-padded at the end; ``lengths`` is then an int32 array ``(B,)``,
    and ``None`` when every sequence has the same length (the recurrence
    skips masking).  Arrays are sent to ``device``.
    """
    xs = [numpy.asarray(x) for x, _ in batch]
    labels = numpy.asarray([t for _, t in batch], dtype=numpy.int32)
    lengths = numpy.fromiter((len(x) for x in xs), dtype=numpy.int32, count=len(xs))
    T = int(lengths.max())
    if (lengths == T).all():
        stacked, lengths = numpy.stack(xs), None
    else:
        stacked = numpy.zeros((len(xs), T) + xs[0].shape[1:], dtype=xs[0].dtype)
        for i, x in enumerate(xs):
            stacked[i, :len(x)] = x
    send = device.send if device is not None else (lambda a: a)
    return (send(stacked), None if lengths is None else send(lengths), send(labels))
