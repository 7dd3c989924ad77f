"""Links: models that own parameters and initialisers."""
from chainer_irnn.links.classifier import RecurrentClassifier  # NOQA
from chainer_irnn.links.irnn import IRNN  # NOQA
from chainer_irnn.links.hrnn import HierarchicalRNN  # NOQA
from chainer_irnn.links.row_rnn import RowRNN  # NOQA
from chainer_irnn.links.ensemble import Ensemble  # NOQA
