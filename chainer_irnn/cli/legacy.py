"""``chainer-irnn legacy run script.py [args...]``: run a Chainer 1.x script as is.

The script runs in this process with the Chainer 1.x shims installed
(:mod:`chainer_irnn.compat.v1`), ``sys.argv`` set to the script and its
arguments, ``__name__ == '__main__'`` and the script's folder first on
``sys.path`` (so its own ``data.py``/``net.py`` import).  Python 2 (by its
syntax or its idioms) is translated on the fly by the same syntax-tree step as
``migrate`` (:mod:`chainer_irnn.migrate.py2`), in the script and in the local
modules it imports (an import hook limited to the script's folder);
``--no-py2`` refuses it instead.
"""
import argparse
import os

from chainer_irnn.compat.runner import run_script
from chainer_irnn.errors import UserError


def add_parser(sub):
    from chainer_irnn.cli.migrate import plain_text
    p = sub.add_parser('legacy', help='run Chainer 1.x scripts unmodified (with shims)',
                       description=plain_text(__doc__.split('\n\n')[1]))
    actions = p.add_subparsers(dest='legacy_command', metavar='ACTION')
    actions.required = True
    r = actions.add_parser('run', help='run a Chainer 1.x script with the 1.x shims')
    r.add_argument('--no-py2', action='store_true',
                   help='refuse Python 2 syntax instead of translating it')
    r.add_argument('--py2', action='store_true',
                   help='translate as Python 2 even if the script is valid Python 3 '
                        '(integer "/" floors)')
    r.add_argument('script', help='the script to run')
    r.add_argument('script_args', nargs=argparse.REMAINDER,
                   help='arguments passed to the script')
    return p


def run(args):
    if args.legacy_command == 'run':
        if not os.path.isfile(args.script):
            raise UserError('{}: no such script'.format(args.script))
        return run_script(args.script, args.script_args, args.py2, args.no_py2)
    raise UserError('unknown action {}'.format(args.legacy_command))
