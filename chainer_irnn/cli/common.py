"""Pieces shared by the subcommands: flag types, flag names, logging."""
import math


#: Library parameters whose flag is not ``--`` + the name with dashes.
FLAGS = {'on_divergence': '--on-nan', 'source': '--data', 'X': '--csv', 'study_name': '--study',
         ('header', False): '--no-header', ('python2', True): '--py2',
         ('python2', False): '--no-py2', ('max_steps', None): '--max-steps 0',
         ('bidirectional', True): '--bidirectional'}


def configure_logging(command, verbose=True):
    """Library progress (``logging``) to stderr as ``chainer-irnn COMMAND: ...``."""
    import logging
    logger = logging.getLogger('chainer_irnn')
    for h in list(logger.handlers):
        if getattr(h, '_chainer_irnn_cli', False):
            logger.removeHandler(h)
    handler = logging.StreamHandler(_Stderr())
    handler._chainer_irnn_cli = True
    handler.setFormatter(logging.Formatter('chainer-irnn {}: %(message)s'.format(command)))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    return handler


class _Stderr(object):
    """``sys.stderr`` looked up at each write (so later redirections apply)."""

    def write(self, text):
        import sys
        sys.stderr.write(text)

    def flush(self):
        import sys
        sys.stderr.flush()


def add_device_arg(parser):
    parser.add_argument('--device', '-d', default='@numpy',
                        help='device in chainer.get_device form (@numpy, @cupy:0) '
                             'or a legacy integer (-1 CPU, 0 GPU 0); default @numpy')


def number(kind=float, minimum=None, above=None, maximum=None, below=None):
    """An argparse type: a finite ``kind`` (int or float) within the bounds
    (``>= minimum``, ``> above``, ``<= maximum``, ``< below``); argparse
    names the flag in the message."""
    import argparse
    noun = 'an integer' if kind is int else 'a number'
    bounds = [b for b in ('>= {}'.format(minimum) if minimum is not None else None,
                          '> {}'.format(above) if above is not None else None,
                          '<= {}'.format(maximum) if maximum is not None else None,
                          '< {}'.format(below) if below is not None else None) if b]
    wanted = noun + (' ' + ' and '.join(bounds) if bounds else '')

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError('expected {}, not {!r}'.format(wanted, text))
        if not math.isfinite(value) or (minimum is not None and value < minimum) or \
                (above is not None and value <= above) or \
                (maximum is not None and value > maximum) or \
                (below is not None and value >= below):
            raise argparse.ArgumentTypeError('expected {}, not {}'.format(wanted, text))
        return value
    parse.__name__ = kind.__name__   # argparse's "invalid int value" wording
    return parse


positive_int = number(int, minimum=1)
non_negative_int = number(int, minimum=0)
positive_float = number(float, above=0)
non_negative_float = number(float, minimum=0)
finite_float = number(float)


def duration(text):
    """Seconds from ``'600'``, ``'90s'``, ``'10m'``, ``'1.5h'`` or ``'1h30m'``."""
    import argparse
    import re
    number = r'(\d+(?:\.\d*)?)'
    # a bare number is seconds only alone: '1h30' is not guessed at
    parts = re.fullmatch(r'\s*' + number + r'\s*', text or '') or re.fullmatch(
        r'\s*(?:{0}h)?\s*(?:{0}m)?\s*(?:{0}s)?\s*'.format(number), text or '')
    if parts is None or not any(parts.groups()):
        raise argparse.ArgumentTypeError(
            "expected a duration such as 600, 90s, 10m or 1h30m, not {!r}".format(text))
    groups = parts.groups()
    if len(groups) == 1:
        groups = (None, None) + groups
    h, m, s = (float(g) if g else 0.0 for g in groups)
    seconds = 3600 * h + 60 * m + s
    if not seconds > 0 or not math.isfinite(seconds):
        raise argparse.ArgumentTypeError('expected a positive duration, not {!r}'.format(text))
    return seconds


duration.__name__ = 'duration'


def hidden_sizes(text):
    """``'100'`` or ``'100,50'`` -> ``(100,)`` / ``(100, 50)``."""
    import argparse
    try:
        sizes = tuple(int(p) for p in str(text).split(',') if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError('expected sizes like 100 or 100,50, not {!r}'.format(text))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            'expected positive sizes like 100 or 100,50, not {!r}'.format(text))
    return sizes
