"""Reading and writing Python source files in their own encoding (PEP 263).

A Python 2 era script often declares its encoding on its first or second line
(``# -*- coding: latin-1 -*-``) and is not UTF-8.  Python itself honours the
declaration (and a UTF-8 byte-order mark); so do ``legacy run`` and
``migrate``: :func:`read_source` decodes with :func:`tokenize.detect_encoding`
and :func:`encode_source` writes the result back in the same encoding, with
the declaration kept, so the migrated file means what the original meant.
"""
import codecs
import io
import os
import stat
import tempfile
import tokenize

from chainer_irnn.errors import UserError


def decode_source(data, path):
    """``(text, encoding)`` of the bytes ``data`` of the Python file ``path``.

    ``encoding`` is what Python would use: the PEP 263 declaration, ``utf-8-sig``
    for a byte-order mark, else ``utf-8``.  Errors are one-line UserErrors.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:    # unknown encoding, or a BOM that contradicts it
        raise UserError('{}: {}; fix the coding declaration on line 1 or 2'
                        .format(path, e.msg if hasattr(e, 'msg') else e))
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        declared = 'declared' if encoding not in ('utf-8', 'utf-8-sig') or \
            _has_declaration(data) else 'the default without a coding declaration'
        raise UserError('{}, line {}: not valid {} text ({}; byte {!r}); add '
                        'a "# -*- coding: ... -*-" line naming the encoding the '
                        'file is written in'.format(path, line, encoding, declared,
                                                    data[e.start:e.start + 1]))
    # universal newlines, as reading in text mode did ('utf-8-sig' drops the BOM)
    return text.replace('\r\n', '\n').replace('\r', '\n'), encoding


def _has_declaration(data):
    first_two = b'\n'.join(data.split(b'\n', 2)[:2])
    return b'coding' in first_two


def read_source(path):
    """``(text, encoding)`` of the Python file ``path``; errors as UserError."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise UserError('cannot read {}: {}'.format(path, e.strerror or e))
    return decode_source(data, path)


def is_utf8(encoding):
    return codecs.lookup(encoding).name in ('utf-8', 'utf-8-sig')


def encode_source(text, encoding, path):
    """``text`` as bytes in ``encoding`` (the source file's); a character the
    encoding cannot hold is a UserError naming the line."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as e:
        line = text[:e.start].count('\n') + 1
        raise UserError('{}, line {}: the migrated code holds {!r}, which {} '
                        'cannot encode; change the coding declaration to utf-8'
                        .format(path, line, text[e.start:e.end], encoding))


def write_source(path, text, encoding):
    """Write ``text`` to ``path`` in ``encoding``; errors as UserError.

    Through a new file renamed over ``path`` (its permission bits kept): an
    existing ``path`` is replaced, never written through, so a hard or
    symbolic link there to a file elsewhere leaves that file as it was, and an
    interrupted write leaves the old file whole.
    """
    replace_files({path: encode_source(text, encoding, path)})


def _stage(path, data):
    """A new file beside ``path`` holding ``data``, with ``path``'s permission
    bits (a new file's when there is none); its name.  OSError is the caller's."""
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp', dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        try:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def replace_files(files):
    """Replace every ``path`` of ``{path: bytes}`` together; errors as UserError.

    Every new file is written beside its path first; only when all are written
    (the disk had room, every folder was writable) are they renamed over the
    old ones, so a failure leaves every file as it was.  (A rename failing
    after that, which a full disk or a read-only folder cannot cause, is
    reported with the files already replaced.)
    """
    staged = {}
    try:
        for path, data in files.items():
            try:
                staged[path] = _stage(path, data)
            except OSError as e:
                raise UserError('cannot write {}: {}{}'.format(
                    path, e.strerror or e,
                    '; no file was changed' if len(files) > 1 else ''))
        done = []
        for path, tmp in list(staged.items()):
            try:
                os.replace(tmp, path)
            except OSError as e:
                raise UserError('cannot write {}: {}{}'.format(
                    path, e.strerror or e,
                    '; {} of {} file(s) were already rewritten: {}'.format(
                        len(done), len(files), ', '.join(done)) if done else ''))
            del staged[path]
            done.append(path)
    finally:
        for tmp in staged.values():
            _unlink(tmp)
