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
import errno
import importlib
import os
import re
import shutil
import stat
import sys
import tempfile

from chainer_irnn.errors import UserError


def plain_text(doc):
    """A docstring paragraph as plain help text: reST roles and literals
    (``:mod:`x` ``, ````x````) shown as their text."""
    doc = re.sub(r':[\w:]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`', r'\1', doc)
    return re.sub(r'``(.+?)``', r'\1', doc, flags=re.S)


def add_parser(sub):
    p = sub.add_parser('migrate', help='rewrite a Chainer 1.x script for Chainer 7',
                       description=plain_text(__doc__.split('\n\n')[1]))
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


class _Output:
    """stdout for the migrated code or the diff.

    Text in a file's own encoding (PEP 263) goes out as that encoding's bytes
    when stdout is not a terminal (``migrate old.py > new.py`` keeps the file's
    meaning); a reader that stops early (``| head``) ends the output quietly.
    """

    def __init__(self):
        self.closed = False

    def write(self, text, encoding='utf-8', path='<stdout>'):
        from chainer_irnn.migrate.source import encode_source
        if self.closed:
            return
        try:
            buffer = getattr(sys.stdout, 'buffer', None)
            if buffer is not None and not sys.stdout.isatty():
                sys.stdout.flush()
                buffer.write(encode_source(text, encoding, path))
                buffer.flush()
            else:
                sys.stdout.write(text)
                sys.stdout.flush()
        except BrokenPipeError:
            self.closed = True
            try:    # no second BrokenPipeError when Python flushes stdout at exit
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            except (OSError, ValueError, AttributeError):
                pass


def _no_bom(encoding):
    """A diff is not a file: no byte-order mark at its start."""
    return 'utf-8' if encoding == 'utf-8-sig' else encoding


def _diff(old, new, path):
    return ''.join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        path, path + ' (migrated)'))


def _encoding_note(encoding):
    from chainer_irnn.migrate.source import is_utf8
    if is_utf8(encoding):
        return None
    return '{} source (its coding declaration): the output is {} too'.format(
        encoding, encoding)


def _inside(path, real_root):
    return os.path.commonpath([path, real_root]) == real_root


def _walk(root):
    """Every entry under ``root`` without following a link.

    Returns ``(folders, files, links, skipped)``: the folders and regular files
    to copy (``__pycache__`` left out), the links that stay inside ``root``
    (``[(path, real target)]``, kept as links) and the entries not taken
    (``[(path, why)]``): links out of ``root`` and special files.
    """
    real_root = os.path.realpath(root)
    folders, files, links, skipped = [], [], [], []

    def link(path):
        target = os.path.realpath(path)
        if _inside(target, real_root):
            links.append((path, target))
        else:
            skipped.append((path, 'a link to {}, outside {}: not followed'.format(
                os.readlink(path), root)))

    for dirpath, dirnames, filenames in os.walk(root):     # never descends a link
        keep = []
        for d in sorted(dirnames):
            full = os.path.join(dirpath, d)
            if d == '__pycache__':
                continue
            if os.path.islink(full):
                link(full)
            else:
                keep.append(d)
                folders.append(full)
        dirnames[:] = keep
        for n in sorted(filenames):
            full = os.path.join(dirpath, n)
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                link(full)
            elif stat.S_ISREG(mode):
                files.append(full)
            else:
                skipped.append((full, 'not a regular file'))
    return folders, files, links, skipped


def _copy_folder(root, output, folders, files, links):
    """Copy the walked tree to ``output``; links inside it stay links, made
    relative so they point into the copy.  OSError is the caller's."""
    real_root = os.path.realpath(root)
    os.makedirs(output)
    for d in folders:
        os.mkdir(os.path.join(output, os.path.relpath(d, root)))
    for f in files:
        shutil.copy2(f, os.path.join(output, os.path.relpath(f, root)),
                     follow_symlinks=False)
    for path, target in links:
        new = os.path.join(output, os.path.relpath(path, root))
        new_target = os.path.join(output, os.path.relpath(target, real_root))
        os.symlink(os.path.relpath(new_target, os.path.dirname(new)), new)


def _write_output_folder(root, output, folders, files, links, migrated):
    """``-o``: the copy of ``root`` with the ``migrated`` files (``{path under
    root: bytes}``), built in a hidden folder beside ``output`` and renamed to
    ``output`` when complete: ``output`` is the whole result or absent."""
    parent = os.path.dirname(os.path.abspath(output))
    staging = None
    try:
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix='.' + os.path.basename(os.path.abspath(output)) + '.',
                                   suffix='.tmp', dir=parent)
        new = os.path.join(staging, 'new')
        _copy_folder(root, new, folders, files, links)
        for path, data in migrated.items():
            with open(os.path.join(new, os.path.relpath(path, root)), 'wb') as f:
                f.write(data)
        if os.path.lexists(output):
            raise FileExistsError(errno.EEXIST, 'it was created meanwhile')
        os.rename(new, output)
    except OSError as e:
        raise UserError('cannot write {}: {}; nothing was written there'.format(
            output, e.strerror or e))
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _failed(root, errors, n, what):
    for _, message in sorted(errors):
        print('chainer-irnn migrate: error: {}'.format(message), file=sys.stderr)
    return UserError('{}: {} of {} file(s) could not be migrated (each named above); '
                     '{}'.format(root, len(errors), n, what))


def run_folder(args):
    """``migrate DIR``: every ``.py`` under DIR; -o copies the folder first.

    All or nothing: every file is read and migrated in memory first; a file
    that cannot be (a syntax error, an encoding) is named on stderr, one line
    each, and nothing is written (exit 2).  Only then are the files written:
    ``--in-place`` replaces them together (:func:`replace_files`), ``-o``
    renames a complete copy into place.

    No link is followed: links out of DIR are neither read, written nor copied
    (each is named on stderr); links inside it are kept as links (their
    targets are migrated where they are).
    """
    from chainer_irnn.migrate import migrate_source, py2
    from chainer_irnn.migrate.findings import format_report
    from chainer_irnn.migrate.project import V1_PATTERN
    from chainer_irnn.migrate.source import encode_source, read_source, replace_files
    root = args.script
    if not (args.output or args.in_place or args.diff):
        raise UserError('{} is a folder: give -o NEW_FOLDER, --in-place or --diff'
                        .format(root))
    if args.output:
        if os.path.abspath(args.output) == os.path.abspath(root):
            raise UserError('-o names the input folder; use --in-place to rewrite it')
        if os.path.lexists(args.output):
            raise UserError('{} exists; give a new folder to -o'.format(args.output))
        if _inside(os.path.realpath(args.output), os.path.realpath(root)):
            raise UserError('-o {} is inside {}; give a folder outside it'
                            .format(args.output, root))
    folders, files, links, skipped = _walk(root)
    for path, why in sorted(skipped):
        print('{}: skipped {} ({})'.format(root, path, why), file=sys.stderr)
    paths = [f for f in files if f.endswith('.py') and
             '.git' not in os.path.relpath(f, root).split(os.sep)]
    nothing = 'nothing printed' if args.diff else 'nothing written'
    errors = []
    read = {}
    for path in paths:
        try:
            read[path] = read_source(path)
        except UserError as e:
            errors.append((path, str(e)))
    sources = {path: text for path, (text, _) in read.items()}
    python2 = args.py2
    if python2 is None:
        python2 = any(py2.is_python2(src, path) for path, src in sources.items()) or None
    chainer_project = any('chainer' in src for src in sources.values())
    v1_project = any(V1_PATTERN.search(src) for src in sources.values())
    results, data = {}, {}
    for path in paths:
        if path not in read:
            continue
        encoding = read[path][1]
        try:
            result = migrate_source(sources[path], path, python2=python2,
                                    chainer_project=chainer_project,
                                    v1_project=v1_project)
            if not args.diff:
                data[path] = encode_source(result.code, encoding, path)
        except UserError as e:
            errors.append((path, str(e)))
            continue
        results[path] = result
    if errors:
        raise _failed(root, errors, len(paths), nothing)
    if python2:
        print('{}: Python 2 project (a file is Python 2): every file translated'
              .format(root), file=sys.stderr)
    if args.in_place:
        for path in paths:
            if os.lstat(path).st_nlink > 1:
                print('{}: {} has other hard links: written as a new file, the other '
                      'names keep the old text'.format(root, path), file=sys.stderr)
        replace_files(data)
    elif args.output:
        _write_output_folder(root, args.output, folders, files, links, data)
    n_findings = 0
    out = _Output()
    for path in paths:
        encoding = read[path][1]
        result = results[path]
        n_findings += len(result.findings)
        if args.diff:
            out.write(_diff(sources[path], result.code, path), _no_bom(encoding), path)
        notes = list(result.notes)
        note = _encoding_note(encoding)
        if note:
            notes.append(note)
        report = format_report(path, result.findings, notes)
        if report:
            print(report, file=sys.stderr)
    print('{}: {} file(s) migrated, {} place(s) left for you{}{}'.format(
        root, len(paths), n_findings,
        ', {} link(s) inside it kept as links'.format(len(links)) if links else '',
        ', {} link(s) or special file(s) skipped (named above)'.format(len(skipped))
        if skipped else ''), file=sys.stderr)
    return 1 if (args.strict and n_findings) else 0


class _NoCurrentFolderOnPath:
    """While migrating, the current folder is not on ``sys.path``.

    ``python -m chainer_irnn`` puts it first (as ``python -m`` always does):
    the ``libcst.py``/``fissix.py``/``chainer_*.py`` of the folder being migrated
    would otherwise be what the migrator's own lazy imports load.  Modules
    already imported (this package) stay.
    """

    def __enter__(self):
        here = os.path.realpath(os.getcwd())
        self.saved = sys.path[:]
        sys.path[:] = [p for p in sys.path if not isinstance(p, str) or
                       os.path.realpath(p or '.') != here]
        importlib.invalidate_caches()

    def __exit__(self, *exc):
        sys.path[:] = self.saved
        return False


def run(args):
    with _NoCurrentFolderOnPath():
        return _run(args)


def _run(args):
    from chainer_irnn.migrate import migrate_source
    from chainer_irnn.migrate.findings import format_report
    from chainer_irnn.migrate.project import local_context
    from chainer_irnn.migrate.source import read_source, write_source
    if os.path.isdir(args.script):
        return run_folder(args)
    if args.output and os.path.abspath(args.output) == os.path.abspath(args.script):
        raise UserError('-o names the input file; use --in-place to rewrite it')
    source, encoding = read_source(args.script)
    # the script's own modules (read, never imported): a model defined there
    chainer_project, v1_project, _ = local_context(args.script, source)
    result = migrate_source(source, args.script, python2=args.py2,
                            chainer_project=chainer_project, v1_project=v1_project)
    if args.diff:
        _Output().write(_diff(source, result.code, args.script), _no_bom(encoding),
                        args.script)
    elif args.in_place or args.output:
        # --in-place on a link named by the user rewrites the file it names
        write_source(os.path.realpath(args.script) if args.in_place else args.output,
                     result.code, encoding)
    else:
        _Output().write(result.code, encoding, args.script)
    notes = list(result.notes)
    note = _encoding_note(encoding)
    if note:
        notes.append(note)
    report = format_report(args.script, result.findings, notes)
    if report:
        print(report, file=sys.stderr)
    return 1 if (args.strict and result.findings) else 0
