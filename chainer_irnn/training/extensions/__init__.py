"""Trainer extensions of chainer-irnn, one per file (as ``chainer.training.extensions``)."""
from chainer_irnn.training.extensions.best_model import BestModel  # NOQA
from chainer_irnn.training.extensions.evaluator import ExampleEvaluator, evaluate_dataset  # NOQA
from chainer_irnn.training.extensions.log_plot import LogPlot, plot_available  # NOQA
from chainer_irnn.training.extensions.lr_schedule import LearningRateSchedule  # NOQA
from chainer_irnn.training.extensions.print_stream import ReportStream  # NOQA
from chainer_irnn.training.extensions.plain_progress import PlainProgress, progress  # NOQA
from chainer_irnn.training.extensions.snapshot_retention import SnapshotRetention  # NOQA
from chainer_irnn.training.extensions.pruning import OptunaPruning  # NOQA
from chainer_irnn.training.extensions.random_state import IterationSeed  # NOQA
