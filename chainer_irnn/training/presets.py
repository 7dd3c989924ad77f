"""Named training settings: data, not code paths.

Each preset is a flat dict of :class:`~chainer_irnn.training.config.TrainConfig`
settings (the keys of ``TrainConfig.replace``); the dataclasses' defaults
fill what a preset leaves out, and explicit settings override any value.
``source`` says where the settings come from.
"""
from chainer_irnn.errors import ParameterError

PRESETS = {
    'blog': {
        'source': 'the 2015 Chainer blog post (IRNN on pixel-by-pixel MNIST): '
                  'EmbedID(256, 100) input ~ N(0, 0.001^2), identity recurrent '
                  'weights, ReLU, SGD lr 1e-8, gradient clipping 1, batch 16',
        'input': 'embed', 'hidden': (100,), 'view': 'pixels',
        'optimizer': 'sgd', 'lr': 1e-8, 'clip': 1.0, 'batchsize': 16,
    },
    'irnn': {
        'source': 'chainer-irnn recommendation (docs/reproductions.md): the blog '
                  'model with Adam alpha 1e-4, clipping 1, batch 128, the rate '
                  'halved every 15000 updates, dropout 0.2 on the last state and '
                  "weight decay 1e-5 (93.76% on pixel MNIST after 80 epochs); the blog's "
                  'SGD at lr 1e-8 barely moves the weights',
        'input': 'embed', 'hidden': (100,), 'view': 'pixels',
        'optimizer': 'adam', 'lr': 1e-4, 'clip': 1.0, 'batchsize': 128,
        'lr_decay': 0.5, 'lr_decay_every': 15000, 'dropout': 0.2, 'weight_decay': 1e-5,
    },
    'irnn-permuted': {
        'source': "the 'irnn' recipe on a fixed, seeded permutation of the "
                  'pixel order (Le et al. 2015, permuted MNIST)',
        'input': 'embed', 'hidden': (100,), 'view': 'pixels', 'permute': 0,
        'optimizer': 'adam', 'lr': 1e-4, 'clip': 1.0, 'batchsize': 128,
        'lr_decay': 0.5, 'lr_decay_every': 15000, 'dropout': 0.2, 'weight_decay': 1e-5,
    },
    'csv': {
        'source': 'chainer-irnn default for CSV data (docs/csv.md): an IRNN of '
                  '100 ReLU units, its recurrent weights starting at 0.85 I, on '
                  'standardised float features, Adam alpha 1e-3, clipping 0.2, '
                  'dropout 0.2 before the output layer, batch 32 (at most the training set), '
                  '10 epochs and at least 2000 updates, the learning rate annealed '
                  'along a half cosine to 0 over them; the '
                  'model of the best validation loss is kept, the run stopped after 6 '
                  'evaluations without improvement; '
                  'Gaussian input noise of std 0.1 in training; divergence rolls back; '
                  'an ensemble of 3 such models (seeds seed..seed+2), each choosing on '
                  'its own tenth of the training data (folds), averaging their '
                  'probabilities',
        'input': 'linear', 'hidden': (100,), 'view': 'floats',
        'identity_scale': 0.85, 'dropout': 0.2,
        'optimizer': 'adam', 'lr': 1e-3, 'clip': 0.2, 'batchsize': 32, 'auto_batchsize': True,
        'epoch': 10, 'min_iteration': 2000,
        'best_by': 'loss', 'patience': 6, 'lr_anneal': 'cosine',
        'on_divergence': 'rollback', 'input_noise': 0.1, 'ensemble': 3, 'ensemble_folds': 10,
    },
    'keras-irnn': {
        'source': "Keras' mnist_irnn.py example: float pixels through a "
                  'Linear map ~ N(0, 0.001^2), 100 identity-initialised ReLU '
                  'units, RMSprop lr 1e-6, clipping 1, batch 32',
        'input': 'linear', 'hidden': (100,), 'view': 'floats',
        'optimizer': 'rmsprop', 'lr': 1e-6, 'clip': 1.0, 'batchsize': 32,
    },
    'hrnn': {
        'source': "Keras' mnist_hierarchical_rnn.py example: an LSTM(128) over "
                  "each row's 28 pixels, an LSTM(128) over the 28 row "
                  'encodings, Dense(10); Keras LSTM initialisation; RMSprop at '
                  "Keras' default lr 1e-3, no clipping, batch 32, 5 epochs "
                  '(published: 98.64% test accuracy after 5 epochs)',
        'model': 'hrnn', 'input': 'linear', 'hidden': (128, 128), 'activation': 'tanh',
        'view': 'rows',
        'optimizer': 'rmsprop', 'lr': 1e-3, 'clip': 0.0, 'batchsize': 32, 'epoch': 5,
    },
    'rows-rnn': {
        'source': 'the row-wise MNIST RNN of Atienza, Advanced Deep Learning '
                  'with Keras, ch. 1 (rnn-mnist-1.5.1.py): SimpleRNN(256, '
                  'tanh, dropout 0.2 on the inputs) over 28 rows of 28 '
                  "pixels, Dense(10); Keras initialisation; plain SGD at Keras' "
                  'default lr 0.01, no clipping, batch 128, 20 epochs',
        'model': 'rows-rnn', 'input': 'linear', 'hidden': (256,), 'activation': 'tanh',
        'view': 'rows',
        'optimizer': 'sgd', 'lr': 0.01, 'clip': 0.0, 'batchsize': 128, 'epoch': 20,
    },
}


def values(preset):
    """The flat settings of ``preset`` (``{}`` for None), without ``source``."""
    if preset is None:
        return {}
    if preset not in PRESETS:
        raise ParameterError('preset', 'unknown preset {!r}; choose one of: {}'.format(
            preset, ', '.join(sorted(PRESETS))))
    return {k: v for k, v in PRESETS[preset].items() if k != 'source'}


def describe():
    """Lines for ``--help``: each preset and its source."""
    return ['{:14s} {}'.format(name, p['source']) for name, p in PRESETS.items()]
