"""Training: typed settings, presets, the Trainer set-up and ``fit``.

Homes follow Chainer's: optimizer hooks in :mod:`.hooks`, triggers in
:mod:`.triggers`, order samplers in :mod:`.order_samplers`, Trainer
extensions in :mod:`.extensions`, snapshots in :mod:`.snapshots`, the
divergence guard in :mod:`.loss_guard`; :mod:`.fit` is the entry point and
:mod:`.distributed` adds ChainerMN.
"""
from chainer_irnn.training.config import (  # NOQA
    MnistView, ModelConfig, OptimizerConfig, RunConfig, TrainConfig)
from chainer_irnn.training.fitting import FitResult, fit, mnist_data  # NOQA
