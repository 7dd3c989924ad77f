"""What a migration could not translate safely: :class:`Finding` and the report."""
import collections

Finding = collections.namedtuple('Finding', 'line message')
Finding.__doc__ = """One ``# MIGRATE:`` item: the input line and what to do by hand."""


def format_report(filename, findings, notes=()):
    """The report ``chainer-irnn migrate`` prints on stderr."""
    lines = ['{}: {}'.format(filename, note) for note in notes]
    for f in sorted(findings):
        lines.append('{}:{}: MIGRATE: {}'.format(filename, f.line, f.message))
    if findings:
        lines.append('{}: {} place(s) left for you (search for "# MIGRATE:")'
                     .format(filename, len(findings)))
    return '\n'.join(lines)
