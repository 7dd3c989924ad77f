"""Migrate Chainer 1.x scripts to Chainer 7 source (``chainer-irnn migrate``).

:func:`migrate_source` translates Python 2 to Python 3 first where the input
needs it (:mod:`chainer_irnn.migrate.py2`), then rewrites the Chainer 1.x API
(:mod:`chainer_irnn.migrate.chainer_v1`).  What it cannot translate safely
stays, with a ``# MIGRATE:`` comment, and is listed in the result's findings.
The output needs no chainer-irnn shim: only Chainer 7 (and the modern-stack
fixes every Chainer 7 program needs today).
"""
import collections

import libcst as cst

from chainer_irnn.errors import UserError
from chainer_irnn.migrate import chainer_v1, py2

MigrationResult = collections.namedtuple(
    'MigrationResult', 'code findings notes python2 rewrites')


def migrate_source(source, filename='<script>', python2=None, chainer_project=False,
                   v1_project=False):
    """Return a :class:`MigrationResult` for ``source``.

    Args:
        python2: force (True) or forbid (False) the Python 2 step; by default
            it runs when ``source`` is Python 2 by its syntax or idioms, and
            where it does not, ``/`` between values that look integral gets a
            ``# MIGRATE:`` note (Python 2 floored it).
        chainer_project: ``source`` is a module of a project that uses Chainer
            (``migrate DIR``), whether or not it imports chainer itself.
        v1_project: the project uses 1.x parameterised functions
            (``FunctionSet``, ``F.Linear``): ``f.W`` read anywhere is an array.
    """
    notes = []
    detected = python2 is None
    if python2 is None:
        python2 = py2.is_python2(source, filename)
    if python2:
        source, notes = py2.to_python3(source, filename)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as e:
        raise UserError('{}, line {}, column {}: syntax error ({}); fix the '
                        'script there'.format(filename, e.raw_line, e.raw_column + 1,
                                              e.message))
    # taken as Python 3 without being told: Python 2's integer "/" is flagged
    module, findings, rewrites = chainer_v1.migrate_module(
        module, chainer_project, v1_project, flag_division=detected and not python2)
    notes.append('{} Chainer 1.x construct(s) rewritten'.format(rewrites))
    return MigrationResult(module.code, findings, notes, python2, rewrites)
