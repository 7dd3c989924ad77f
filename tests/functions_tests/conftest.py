"""The CUDA kernels' tests run under Numba's CUDA simulator (no GPU needed).

``numba.cuda`` decides between the real CUDA target and the simulator once,
when it is first imported: numba-cuda reads ``NUMBA_ENABLE_CUDASIM`` into
its own config module (``numba.cuda.core.config``) at that import, and older
numba versions, whose ``numba.cuda`` is part of numba, read it into
``numba.config`` when ``numba`` itself is imported.  So the variable is set
here, and ``numba.config`` re-read in case the CPU kernels imported numba
earlier.  pytest imports this file before any test module of this folder,
and nothing in the package imports ``numba.cuda`` until a CUDA kernel is
asked for (``_irnn_cuda`` is loaded lazily), so this comes first in a plain
``pytest tests`` run too.  If something outside the package imported the
real ``numba.cuda`` earlier, test_irnn_cuda.py fails (it does not skip):
the kernels must be checked on every run.

``CHAINER_IRNN_TEST_CUDA=gpu`` (scripts/gpu_check.sh) leaves the variable
alone: the same tests then run the kernels on the GPU, on CuPy arrays.
"""
import os
import sys

REAL_GPU = os.environ.get('CHAINER_IRNN_TEST_CUDA', '').strip().lower() == 'gpu'

if not REAL_GPU:
    os.environ['NUMBA_ENABLE_CUDASIM'] = '1'
    if 'numba' in sys.modules:
        sys.modules['numba'].config.reload_config()
