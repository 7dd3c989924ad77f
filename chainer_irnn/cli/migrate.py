"""``chainer-irnn migrate old.py [-o new.py | --diff | --in-place]``.

Rewrites a Chainer 1.x script (Python 2 or 3) to Chainer 7 source that runs
without the 1.x shims (:mod:`chainer_irnn.migrate`).  The new source goes to
stdout (or ``-o``, or back into the file with ``--in-place``; ``--diff``
prints a unified diff).  A report goes to stderr: what was translated and,
line by line, what was left with a ``# MIGRATE:`` comment.  Given a folder
(``migrate project/ -o new_project/``) it translates every ``.py`` file under
it; if one of them is Python 2, all of them are treated as Python 2 (a module
valid in both keeps Python 2's ``/``) unless ``--no-py2``.
"""
import difflib
import os
import re
import shutil
import sys

from chainer_irnn.errors import UserError


def add_parser(sub):
    p = sub.add_parser('migrate', help='rewrite a Chainer 1.x script for Chainer 7',
                       description=__doc__.split('\n\n')[1])
    p.add_argument('script', help='the Chainer 1.x script, or a folder of them')
    out = p.add_mutually_exclusive_group()
    out.add_argument('-o', '--output', help='write the new script (folder) here')
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


def _read(path):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except OSError as e:
        raise UserError('cannot read {}: {}'.format(path, e.strerror or e))
    except UnicodeDecodeError as e:
        raise UserError('{}: not UTF-8 text ({})'.format(path, e))


def _write(path, code):
    try:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(code)
    except OSError as e:
        raise UserError('cannot write {}: {}'.format(path, e.strerror or e))


def run_folder(args):
    """``migrate DIR``: every ``.py`` under DIR; -o copies the folder first."""
    from chainer_irnn.migrate import migrate_source, py2
    from chainer_irnn.migrate.findings import format_report
    root = args.script
    if not (args.output or args.in_place or args.diff):
        raise UserError('{} is a folder: give -o NEW_FOLDER, --in-place or --diff'
                        .format(root))
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ('__pycache__', '.git'))
        paths.extend(os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith('.py'))
    sources = {path: _read(path) for path in paths}
    python2 = args.py2
    if python2 is None:
        python2 = any(py2.is_python2(src, path) for path, src in sources.items()) or None
        if python2:
            print('{}: Python 2 project (a file is Python 2): every file translated'
                  .format(root), file=sys.stderr)
    if args.output:
        if os.path.abspath(args.output) == os.path.abspath(root):
            raise UserError('-o names the input folder; use --in-place to rewrite it')
        if os.path.exists(args.output):
            raise UserError('{} exists; give a new folder to -o'.format(args.output))
        shutil.copytree(root, args.output, ignore=shutil.ignore_patterns('__pycache__'))
    chainer_project = any('chainer' in src for src in sources.values())
    v1_project = any(re.search(r'\bFunctionSet\b|\b(F|functions)\.(Linear|EmbedID|'
                               r'Convolution2D)\(', src) for src in sources.values())
    n_findings = 0
    for path in paths:
        result = migrate_source(sources[path], path, python2=python2,
                                chainer_project=chainer_project, v1_project=v1_project)
        n_findings += len(result.findings)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                sources[path].splitlines(True), result.code.splitlines(True),
                path, path + ' (migrated)'))
        else:
            target = path if args.in_place else os.path.join(
                args.output, os.path.relpath(path, root))
            _write(target, result.code)
        report = format_report(path, result.findings, result.notes)
        if report:
            print(report, file=sys.stderr)
    print('{}: {} file(s) migrated, {} place(s) left for you'.format(
        root, len(paths), n_findings), file=sys.stderr)
    return 1 if (args.strict and n_findings) else 0


def run(args):
    from chainer_irnn.migrate import migrate_source
    from chainer_irnn.migrate.findings import format_report
    if os.path.isdir(args.script):
        return run_folder(args)
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
