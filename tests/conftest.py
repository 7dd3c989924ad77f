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

# Third-party Chainer 1.x code kept as data for benchmarks/measure_legacy.py.
collect_ignore_glob = ['legacy_corpus/*']


import logging  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _cli_logging_undone():
    """Each test starts with the library's logger as a fresh process has it:
    a CLI run in an earlier test (``cli.main``) leaves its stderr handler and
    level INFO on the ``chainer_irnn`` logger otherwise."""
    yield
    logger = logging.getLogger('chainer_irnn')
    for h in list(logger.handlers):
        if getattr(h, '_chainer_irnn_cli', False):
            logger.removeHandler(h)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


@pytest.fixture
def two_feature_csv(tmp_path):
    """A wide CSV of 40 sequences: 4 steps of features ``x, y`` (headers
    ``x1,y1,...,x4,y4``), the label 1 where the x values sum above 0."""
    import numpy
    rng = numpy.random.RandomState(0)
    x = rng.randn(40, 4, 2).round(3)
    y = (x[:, :, 0].sum(1) > 0).astype(int)
    lines = ['label,' + ','.join('{}{}'.format(c, t) for t in range(1, 5) for c in 'xy')]
    lines += ['{},'.format(y[i]) + ','.join('{:g}'.format(v) for v in x[i].ravel())
              for i in range(40)]
    path = tmp_path / 'd.csv'
    path.write_text('\n'.join(lines) + '\n')
    return path


class RecordingTrial(object):
    """A stand-in for an Optuna trial: draws the low end of each range and
    the first choice unless ``pick`` names another; records what was
    drawn (name: range or choices)."""

    def __init__(self, pick=None):
        self.drawn = {}
        self.pick = pick or {}

    def suggest_int(self, name, low, high):
        self.drawn[name] = (low, high)
        return low

    def suggest_float(self, name, low, high, log=False):
        self.drawn[name] = (low, high)
        return low

    def suggest_categorical(self, name, choices):
        self.drawn[name] = tuple(choices)
        return self.pick.get(name, choices[0])


@pytest.fixture
def recording_trial():
    """:class:`RecordingTrial`, to make one per draw (``recording_trial(pick=...)``)."""
    return RecordingTrial
