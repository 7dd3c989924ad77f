"""The device a run uses and the generators it seeds."""
import numpy

from chainer_irnn.errors import ParameterError


def seed_everything(seed):
    """Seeds Python's, NumPy's and (where present) CuPy's generators."""
    import random
    random.seed(seed)
    numpy.random.seed(seed)
    try:
        from chainer.backends import cuda
        if cuda.available:
            cuda.cupy.random.seed(seed)
    except Exception:   # a broken CuPy is reported where a GPU is asked for
        pass


def get_device(spec):
    """A :class:`chainer.backend.Device` from ``spec``.

    Accepts what :func:`chainer.get_device` takes (``@numpy``, ``@cupy:0``,
    ``@intel64``), a device object, and the legacy integers of Chainer 1-6
    scripts: ``-1`` for the CPU, ``N >= 0`` for GPU ``N``.
    """
    import chainer
    if spec is None:
        return chainer.get_device('@numpy')
    if isinstance(spec, chainer.backend.Device):
        return spec
    text = str(spec).strip()
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is not None:
        text = '@numpy' if number < 0 else '@cupy:{}'.format(number)
    if text.startswith('@cupy'):
        from chainer.backends import cuda
        if not cuda.available:
            raise ParameterError('device', '{}: CuPy with a working GPU is not available here '
                                 '(install the gpu extra on a machine with CUDA, or use '
                                 '@numpy)'.format(spec))
    try:
        return chainer.get_device(text)
    except Exception as e:
        raise ParameterError('device', '{!r}: {} (examples: @numpy, @cupy:0, -1, 0)'.format(
            spec, e))
