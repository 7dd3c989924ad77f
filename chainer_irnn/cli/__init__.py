"""The ``chainer-irnn`` command.

Each subcommand is a module of this package with two functions:
``add_parser(subparsers)`` declares its arguments and ``run(args)`` does the
work and returns the exit status.  ``COMMANDS`` lists them in help order.

The CLI is a thin face on the library: it parses flags, configures
``logging`` (library progress goes to stderr as ``chainer-irnn COMMAND:
...``), calls the library and prints.  Errors a user can act on are raised
by the library as :class:`chainer_irnn.errors.UserError` naming parameters;
here they are shown with the flags that set them (:func:`errors.naming`) and
end as one message on stderr with exit status 2 — never a traceback.
"""
import argparse
import importlib
import sys

from chainer_irnn import errors
from chainer_irnn._version import __version__
from chainer_irnn.cli import common
from chainer_irnn.errors import UserError

COMMANDS = [
    'train',
    'tune',
    'evaluate',
    'predict',
    'baseline',
    'export',
    'doctor',
    'legacy',
    'migrate',
]


class ArgumentParser(argparse.ArgumentParser):
    """Bad command lines end in one line (the error and where help is), not
    the whole usage, which for ``train`` is dozens of lines."""

    def error(self, message):
        self.exit(2, '{}: error: {} (see {} --help)\n'.format(self.prog, message, self.prog))


def build_parser(commands=None):
    """The parser of every subcommand, or of ``commands`` only: only their
    modules are imported (``migrate`` starts without Chainer or NumPy)."""
    parser = ArgumentParser(
        prog='chainer-irnn',
        description='Identity-initialised ReLU RNNs (IRNN) in Chainer.')
    parser.add_argument('--version', action='version',
                        version='chainer-irnn ' + __version__)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True
    for name in commands or COMMANDS:
        module = importlib.import_module('chainer_irnn.cli.' + name.replace('-', '_'))
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    # `chainer-irnn COMMAND ...`: only that command's module is imported
    parser = build_parser([argv[0]] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    common.configure_logging(args.command)
    with errors.naming(common.FLAGS):
        try:
            return args._run(args) or 0
        except UserError as e:
            print('chainer-irnn {}: error: {}'.format(args.command, e), file=sys.stderr)
            return 2
        except errors.QuietExit as e:
            return e.status
        except KeyboardInterrupt:
            print('chainer-irnn {}: interrupted'.format(args.command), file=sys.stderr)
            return 130
