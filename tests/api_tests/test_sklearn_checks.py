"""scikit-learn's own estimator checks on IRNNClassifier.

Every check runs; the ones listed in ``EXPECTED_FAILURES`` are expected to
fail, each for the reason given (docs/api.md repeats the list).
"""
import pytest

pytest.importorskip('sklearn')
from sklearn.utils.estimator_checks import parametrize_with_checks  # NOQA: E402

from chainer_irnn import IRNNClassifier  # NOQA: E402

pytestmark = pytest.mark.slow   # dozens of fits

EXPECTED_FAILURES = {}


def small():
    # small and quick: the checks fit dozens of times on tiny data (one model, not the
    # default ensemble of three: the conventions checked are the same)
    return IRNNClassifier(hidden=(16,), epoch=5, min_iteration=150, batchsize=16, ensemble=1)


@parametrize_with_checks([small()], expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
