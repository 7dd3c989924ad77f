"""BLAS threads while a trainer runs: one per process, unless told otherwise.

The recurrence multiplies a small ``(B, H) x (H, H)`` matrix at every time
step, one product after another.  Split over threads, each product costs
more in hand-overs than it saves: measured on this project's 2-core machine
(``benchmarks/bench_cores.py``, docs/performance.md), training the ``irnn``
preset at batch 128 ran at 1422 samples/s with one BLAS thread and 584 with
two, on otherwise idle cores, while two ChainerMN processes of one thread
each ran at 3104.  So :func:`single_blas_thread` holds every loaded BLAS
library (NumPy's and SciPy's OpenBLAS, MKL...) to one thread while training
runs, and restores the previous limits afterwards -- unless the environment
sets a thread count (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``), which is then left to rule.  More cores: more
processes (ChainerMN: docs/distributed.md).
"""
import contextlib
import logging
import os

logger = logging.getLogger(__name__)

THREAD_VARS = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')


@contextlib.contextmanager
def single_blas_thread():
    """Within the block, BLAS runs on one thread (see the module's
    docstring).  Yields True when it set the limit, False when the
    environment rules."""
    from threadpoolctl import threadpool_limits
    chosen = [v for v in THREAD_VARS if os.environ.get(v, '').strip()]
    if chosen:
        logger.debug('BLAS threads left to %s', ', '.join(chosen))
        yield False
        return
    with threadpool_limits(limits=1, user_api='blas'):
        yield True
