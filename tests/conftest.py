"""Test set-up: the source checkout is importable.

The shims are not applied here: tests import Chainer as users do (through
the installed start-up hook, or after ``import chainer_irnn``), so a broken
hook fails the tests instead of being papered over.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Third-party Chainer 1.x code kept as data for scripts/measure_legacy.py.
collect_ignore_glob = ['legacy_corpus/*']
