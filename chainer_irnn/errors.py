"""Errors that reach the user as a message, not a traceback.

Library code names its own parameters in messages (``batchsize=``,
``layout=``); the command line shows the same messages with its flags
(``--batchsize``, ``--layout``).  One mechanism serves both: a message names
a parameter through :class:`Setting`, which renders in the style chosen by
:func:`naming` (Python keywords by default; the CLI switches to its flags
for the duration of a command).
"""
import contextlib

_UNSET = object()

# The current style: None for Python keywords, else a dict parameter -> flag.
_flags = None


class Setting(object):
    """A parameter (and optionally a value) as a message should show it.

    ``str(Setting('layout', 'wide'))`` is ``layout='wide'`` in library use and
    ``--layout wide`` while the CLI runs; ``str(Setting('lr'))`` is ``lr`` or
    ``--lr``.  A boolean whose switch the CLI names (``(param, value)`` in
    its flags) shows as that switch: ``Setting('header', False)`` is
    ``header=False`` or ``--no-header``; so does a None the CLI spells
    otherwise: ``Setting('max_steps', None)`` shows as the CLI's own value for
    None (its flags table says which).
    """

    def __init__(self, param, value=_UNSET):
        self.param, self.value = param, value

    def __str__(self):
        if _flags is None:
            if self.value is _UNSET:
                return self.param
            return '{}={!r}'.format(self.param, self.value)
        if (isinstance(self.value, bool) or self.value is None) and \
                (self.param, self.value) in _flags:
            return _flags[self.param, self.value]      # a switch: --no-header, --py2
        flag = _flags.get(self.param, '--' + self.param.replace('_', '-'))
        return flag if self.value is _UNSET else '{} {}'.format(flag, self.value)

    __format__ = lambda self, spec: format(str(self), spec)  # NOQA: E731


@contextlib.contextmanager
def naming(flags):
    """Within the block, :class:`Setting` renders parameters as ``flags``
    (a dict parameter -> flag; others become ``--name-with-dashes``)."""
    global _flags
    saved, _flags = _flags, dict(flags)
    try:
        yield
    finally:
        _flags = saved


class UserError(Exception):
    """Something the user can fix: bad input, a missing file, a bad setting.

    The CLI prints ``str(error)`` and exits with status 2.  Messages say what
    is wrong, where (file, line, column when known) and what to do.
    """


class ParameterError(UserError, ValueError):
    """A parameter's value is wrong; ``param`` names it.

    The message starts with the parameter as :class:`Setting` renders it.
    """

    def __init__(self, param, message):
        self.param = param
        super().__init__('{}: {}'.format(Setting(param), message))


class DataError(UserError, ValueError):
    """A data file's contents are wrong (shape, magic number, cell, label)."""

    def __init__(self, message, path=None, line=None, column=None):
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append('line {}'.format(line))
        if column is not None:
            where.append('column {}'.format(column))
        self.path, self.line, self.column = path, line, column
        self.reason = message
        super().__init__(('{}: {}'.format(', '.join(where), message))
                         if where else message)


class QuietExit(Exception):
    """End the command with ``status`` and no message: another process (rank
    0 of a distributed run) reports the error."""

    def __init__(self, status=2):
        self.status = status
        super().__init__(status)
