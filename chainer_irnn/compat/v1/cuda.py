"""``chainer.cuda`` of Chainer 1.x: ``init``, ``get_device``, ``to_gpu``/``to_cpu``.

``cuda.init(device=None)`` set up PyCUDA in 1.0-1.4.  Here it selects the
device (``cuda.get_device_from_id(device).use()``) where CUDA is available;
without CUDA it raises :class:`RuntimeError`, as 1.x did
("CUDA environment is not correctly set up").  ``cuda.get_device(n)`` with
an integer is ``cuda.get_device_from_id(n)``; ``to_gpu``/``to_cpu`` take
the parameters of 1.x functions as the arrays they were (``to_cpu(f.W)``) and,
as Chainer 1.0-1.2 did, give back anything that is not an array unchanged
(``to_cpu(variable).data``).  ``chainer.cuda`` itself is Chainer 7's alias of
:mod:`chainer.backends.cuda`.
"""
from chainer_irnn.compat.v1._registry import patch, warn_once


def install(chainer_module):
    from chainer.backends import cuda
    original_get_device = cuda.get_device

    def init(device=None):
        """Initialise CUDA (1.x); modern: ``cuda.get_device_from_id(n).use()``."""
        warn_once('cuda.init', 'cuda.init() is Chainer 1.x API; use '
                               'chainer.backends.cuda.get_device_from_id(n).use()')
        if not cuda.available:
            raise RuntimeError(
                'CUDA environment is not correctly set up (cuda.init() of '
                'Chainer 1.x needs a GPU and CuPy); run the script on the '
                'CPU (1.x scripts usually take GPU id -1 for that)')
        cuda.get_device_from_id(device if device is not None else 0).use()

    def get_device(*args):
        """1.x ``get_device(n)``: ``get_device_from_id(n)`` for an integer."""
        warn_once('cuda.get_device', 'cuda.get_device() is Chainer 1.x API; '
                                     'use cuda.get_device_from_id(n) or '
                                     'cuda.get_device_from_array(x)')
        if len(args) == 1 and isinstance(args[0], int):
            return cuda.get_device_from_id(args[0])
        return original_get_device(*args)

    original_to_cpu, original_to_gpu = cuda.to_cpu, cuda.to_gpu

    def _unwrap(array):
        from chainer_irnn.compat.v1.parameter_array import V1Parameter
        return array.array if isinstance(array, V1Parameter) else array

    def to_cpu(array, stream=None):
        """1.x ``to_cpu``: a 1.x parameter is its array; a Variable passes through."""
        import chainer
        array = _unwrap(array)
        if isinstance(array, chainer.Variable):
            warn_once('cuda.to_cpu(variable)',
                      'cuda.to_cpu(variable) returned the Variable in Chainer 1.0-1.2; '
                      'use cuda.to_cpu(variable.array)')
            return array
        return original_to_cpu(array, stream)

    def to_gpu(array, device=None, stream=None):
        return original_to_gpu(_unwrap(array), device, stream)

    patch(cuda, 'to_cpu', to_cpu)
    patch(cuda, 'to_gpu', to_gpu)
    patch(cuda, 'init', init)
    patch(cuda, 'get_device', get_device)
