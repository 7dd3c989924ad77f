"""Floating-point settings of a training run: subnormal numbers flushed to zero.

Subnormal (denormal) floats, below about 1.2e-38 in float32, cost x86 CPUs a
microcode assist in every operation that reads or makes one.  Training makes
them: a parameter whose loss gradient is zero shrinks geometrically under
weight decay with Adam (each step scales it by about ``1 - lr * rate / eps``)
until it is subnormal, and then every product with it -- the recurrent
matrix enters T products per step -- runs at a fraction of its speed.
Measured on this project's machine (``benchmarks/bench_subnormal.py``,
docs/performance.md): one step of the ``irnn`` model at batch 128 with 494
subnormal parameters took 1063 ms, and 85.5 ms with subnormals flushed.

:func:`flush_denormals` sets the SSE control register's flush-to-zero (FTZ)
and denormals-are-zero (DAZ) bits for the calling thread while training
runs, through the C library's ``fegetenv``/``fesetenv``, and restores the
previous state afterwards.  It changes results only below 1.2e-38 (such
values become 0).  It acts where the layout of ``fenv_t`` is known (Linux
with glibc, 64-bit x86) and does nothing elsewhere.  The bits belong to a
thread: BLAS threads that already exist (``OPENBLAS_NUM_THREADS`` > 1) keep
their own settings, and threads or processes started inside the block
inherit the bits and keep them after it ends (none of the trainer's parts
starts any).
"""
import contextlib
import ctypes
import ctypes.util
import logging
import platform
import struct
import sys

logger = logging.getLogger(__name__)

_MXCSR_OFFSET = 28          # x86-64 glibc fenv_t: the x87 environment, then mxcsr
_FENV_SIZE = 32
_FTZ_DAZ = 0x8000 | 0x0040


def _libm():
    if platform.system() != 'Linux' or platform.machine() not in ('x86_64', 'AMD64') \
            or sys.maxsize <= 2 ** 32 or platform.libc_ver()[0] != 'glibc':
        return None   # 32-bit x86's fenv_t has no mxcsr field at this offset
    try:
        # libm, else the process's own symbols (glibc 2.34+ has them in libc)
        lib = ctypes.CDLL(ctypes.util.find_library('m'))
        lib.fegetenv
        return lib
    except (OSError, AttributeError):
        return None


@contextlib.contextmanager
def flush_denormals():
    """Within the block, subnormal floats are read and written as zero on
    this thread.  Yields True when the setting was made, False where it is
    not supported."""
    libm = _libm()
    saved = ctypes.create_string_buffer(_FENV_SIZE)
    if libm is None or libm.fegetenv(saved) != 0:
        logger.debug('flush-to-zero not set: not Linux/glibc on x86-64')
        yield False
        return
    env = ctypes.create_string_buffer(saved.raw, _FENV_SIZE)
    mxcsr = struct.unpack_from('<I', env, _MXCSR_OFFSET)[0]
    struct.pack_into('<I', env, _MXCSR_OFFSET, mxcsr | _FTZ_DAZ)
    if libm.fesetenv(env) != 0:
        yield False
        return
    try:
        yield True
    finally:
        libm.fesetenv(saved)
