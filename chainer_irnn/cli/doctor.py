"""``chainer-irnn doctor``: show the stack, the active shims and the kernel
the recurrence runs on."""


def add_parser(sub):
    return sub.add_parser(
        'doctor', help='show Python, NumPy, Chainer, CuPy, the active shims and the kernel',
        description='Show the versions of Python, NumPy, Chainer and CuPy, which '
                    'compatibility shims are active, and which kernel runs the fused '
                    'recurrence on the CPU (the compiled Numba step, or the slower NumPy '
                    'loop and why).')


def run(args):
    from chainer_irnn.compat import modern
    for key, value in modern.report().items():
        print('{:28s} {}'.format(key, value))
    for key, value in kernel_report().items():
        print('{:28s} {}'.format(key, value))
    return 0


def kernel_report():
    """Which kernel the fused recurrence runs on NumPy arrays, and why."""
    from chainer_irnn.functions.rnn import irnn_recurrence as rec
    from chainer_irnn.functions import _numba
    kernel = rec.resolve_kernel(None)
    if kernel == 'numba':
        text = 'numba (the compiled step)'
    elif rec.numba_available():
        text = 'numpy ({}={} chooses it; numba is available)'.format(
            rec.ENV_VAR, rec.os.environ.get(rec.ENV_VAR))
    else:
        text = ('numpy (the slower loop: numba does not import here: {}; install the '
                "fast extra, pip install 'chainer-irnn[fast]')".format(
                    str(_numba.error).splitlines()[0] if _numba.error else 'unknown'))
    return {'cpu_kernel': text}
