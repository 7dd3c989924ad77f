"""``python -m chainer_irnn``.

``python -m`` puts the current folder first on ``sys.path``.  A ``chainer.py``,
``numpy.py``, ``argparse.py`` ... there (a script's own folder, a folder being
migrated) would then be what the CLI's imports load, and run.  That entry is
dropped before anything else is imported, unless it is the folder holding this
package (a source checkout run from its root).  ``-P`` / ``PYTHONSAFEPATH``
already leave it out: nothing to drop then.
"""
import os
import sys


def _drop_current_folder():
    if getattr(sys.flags, 'safe_path', False) or not sys.path:
        return
    first = sys.path[0]
    if not isinstance(first, str):
        return
    try:
        here = os.path.realpath(os.getcwd())
    except OSError:          # the current folder was removed
        here = None
    entry = os.path.realpath(first) if first else here
    if first and entry != here:
        return               # not the entry python -m added
    package_parent = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    if entry != package_parent:
        del sys.path[0]


if __name__ == '__main__':
    _drop_current_folder()
    from chainer_irnn.cli import main
    sys.exit(main())
