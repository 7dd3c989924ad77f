"""A real pickle payload for the tests of the one safe ``.npz`` loader
(issue 22, item 1): an object array whose unpickling runs a shell command
that creates a marker file.  Any loader that unpickles it leaves the marker.
"""
import os
import shlex

import numpy


class Payload(object):
    """Unpickles as ``os.system('touch MARKER')``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, ('touch ' + shlex.quote(self.marker),)


def payload_array(marker, shape=(2,)):
    """An object array of ``shape`` whose every element is a :class:`Payload`."""
    arr = numpy.empty(shape, dtype=object)
    for i in numpy.ndindex(*shape):
        arr[i] = Payload(marker)
    return arr


def poison(path, key, marker, out=None):
    """Rewrites the ``.npz`` at ``path`` (into ``out``, default ``path``)
    with entry ``key`` replaced by a payload array of the same shape."""
    with numpy.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    arrays[key] = payload_array(marker, arrays[key].shape if key in arrays else (2,))
    with open(out or path, 'wb') as f:
        numpy.savez(f, **arrays)
    return out or path


def unpickled(marker):
    """Whether the payload ran."""
    return os.path.exists(str(marker))
