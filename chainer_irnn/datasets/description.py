"""The description of a model's data, built in one place.

:func:`~chainer_irnn.training.fit` records it in ``settings.json`` and
``model.json`` (beside the architecture), and a run's identity hashes it:
MNIST (``training.mnist_data``), CSV files (``read_csv``), arrays given to
the estimator and datasets given to ``fit`` without one all describe their
data with :func:`data_description`.
"""


def data_description(data, source, in_size, n_class, n_train, n_validation=None, **more):
    """``{'data', 'data_source', 'in_size', 'n_class', 'n_train'}``, with
    ``'n_test'`` (the size of the evaluation data: validation data, or
    MNIST's test set) when ``n_validation`` is given, and the keys of
    ``more`` (``tabular``, ``classes``, ``label_type``, ``view``, ...)."""
    description = {'data': data, 'data_source': source, 'in_size': int(in_size),
                   'n_class': int(n_class), 'n_train': int(n_train)}
    if n_validation is not None:
        description['n_test'] = int(n_validation)
    description.update(more)
    return description
