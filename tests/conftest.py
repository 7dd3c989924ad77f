"""Test set-up: the shims are applied before any test module imports Chainer.

The installed start-up hook does this too; applying it here keeps a source
checkout testable when the package is not installed.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from chainer_irnn import compat  # NOQA: E402

compat.apply()

# Third-party Chainer 1.x code kept as data for scripts/measure_legacy.py.
collect_ignore_glob = ['legacy_corpus/*']
