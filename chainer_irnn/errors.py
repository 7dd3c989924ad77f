"""Errors that reach the user as a message, not a traceback."""


class UserError(Exception):
    """Something the user can fix: bad input, a missing file, a bad flag.

    The CLI prints ``str(error)`` and exits with status 2.  Messages say what
    is wrong, where (file, line, column when known) and what to do.
    """


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
