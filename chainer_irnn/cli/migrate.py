"""``chainer-irnn migrate old.py [-o new.py | --diff | --in-place]``.

Rewrites a Chainer 1.x script (Python 2 or 3) to Chainer 7 source that runs
without the 1.x shims (:mod:`chainer_irnn.migrate`).  The new source goes to
stdout (or ``-o``, or back into the file with ``--in-place``; ``--diff``
prints a unified diff).  A report goes to stderr: what was translated and,
line by line, what was left with a ``# MIGRATE:`` comment.
"""
import difflib
import os
import sys

from chainer_irnn.errors import UserError


def add_parser(sub):
    p = sub.add_parser('migrate', help='rewrite a Chainer 1.x script for Chainer 7',
                       description=__doc__.split('\n\n')[1])
    p.add_argument('script', help='the Chainer 1.x script')
    out = p.add_mutually_exclusive_group()
    out.add_argument('-o', '--output', help='write the new script here')
    out.add_argument('--diff', action='store_true', help='print a unified diff')
    out.add_argument('--in-place', action='store_true', help='rewrite the file')
    py = p.add_mutually_exclusive_group()
    py.add_argument('--py2', action='store_true', default=None,
                    help='treat the input as Python 2 even if it is valid Python 3')
    py.add_argument('--no-py2', dest='py2', action='store_false',
                    help='never apply the Python 2 translation')
    p.add_argument('--strict', action='store_true',
                   help='exit with status 1 when something is left to do by hand')
    return p


def run(args):
    from chainer_irnn.migrate import migrate_source
    from chainer_irnn.migrate.findings import format_report
    try:
        with open(args.script, encoding='utf-8') as f:
            source = f.read()
    except OSError as e:
        raise UserError('cannot read {}: {}'.format(args.script, e.strerror or e))
    result = migrate_source(source, args.script, python2=args.py2)
    if args.diff:
        sys.stdout.writelines(difflib.unified_diff(
            source.splitlines(True), result.code.splitlines(True),
            args.script, args.script + ' (migrated)'))
    elif args.in_place or args.output:
        target = args.script if args.in_place else args.output
        if args.output and os.path.abspath(args.output) == os.path.abspath(args.script):
            raise UserError('-o names the input file; use --in-place to rewrite it')
        try:
            with open(target, 'w', encoding='utf-8') as f:
                f.write(result.code)
        except OSError as e:
            raise UserError('cannot write {}: {}'.format(target, e.strerror or e))
    else:
        sys.stdout.write(result.code)
    report = format_report(args.script, result.findings, result.notes)
    if report:
        print(report, file=sys.stderr)
    return 1 if (args.strict and result.findings) else 0
