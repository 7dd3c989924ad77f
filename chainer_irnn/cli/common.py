"""Pieces shared by the subcommands: devices, seeds, common flags."""
import math
import random

import numpy

from chainer_irnn.errors import UserError


def parse_device(spec):
    """A :class:`chainer.backend.Device` from ``--device``.

    Accepts what :func:`chainer.get_device` takes (``@numpy``, ``@cupy:0``,
    ``@intel64``) and the legacy integers of Chainer 1-6 scripts: ``-1`` for
    the CPU, ``N >= 0`` for GPU ``N``.
    """
    import chainer
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
            raise UserError('--device {}: CuPy with a working GPU is not available here '
                            '(install the gpu extra on a machine with CUDA, or use '
                            '--device @numpy)'.format(spec))
    try:
        return chainer.get_device(text)
    except Exception as e:
        raise UserError('--device {!r}: {} (examples: @numpy, @cupy:0, -1, 0)'.format(spec, e))


def seed_everything(seed):
    if seed is None:
        return
    random.seed(seed)
    numpy.random.seed(seed)
    try:
        from chainer.backends import cuda
        if cuda.available:
            cuda.cupy.random.seed(seed)
    except Exception:
        pass


def add_device_arg(parser):
    parser.add_argument('--device', '-d', default='@numpy',
                        help='device in chainer.get_device form (@numpy, @cupy:0) '
                             'or a legacy integer (-1 CPU, 0 GPU 0); default @numpy')


def number(kind=float, minimum=None, above=None, maximum=None):
    """An argparse type: a finite ``kind`` (int or float) within the bounds
    (``>= minimum``, ``> above``, ``<= maximum``); argparse names the flag in
    the message."""
    import argparse
    noun = 'an integer' if kind is int else 'a number'
    bounds = [b for b in ('>= {}'.format(minimum) if minimum is not None else None,
                          '> {}'.format(above) if above is not None else None,
                          '<= {}'.format(maximum) if maximum is not None else None) if b]
    wanted = noun + (' ' + ' and '.join(bounds) if bounds else '')

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError('expected {}, not {!r}'.format(wanted, text))
        if not math.isfinite(value) or (minimum is not None and value < minimum) or \
                (above is not None and value <= above) or \
                (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError('expected {}, not {}'.format(wanted, text))
        return value
    parse.__name__ = kind.__name__   # argparse's "invalid int value" wording
    return parse


positive_int = number(int, minimum=1)
non_negative_int = number(int, minimum=0)
positive_float = number(float, above=0)
non_negative_float = number(float, minimum=0)
finite_float = number(float)


def hidden_sizes(text):
    """``'100'`` or ``'100,50'`` -> ``(100,)`` / ``(100, 50)``."""
    import argparse
    try:
        sizes = tuple(int(p) for p in str(text).split(',') if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError('--hidden takes sizes like 100 or 100,50, not {!r}'.format(text))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError('--hidden takes positive sizes like 100 or 100,50, not {!r}'.format(text))
    return sizes
