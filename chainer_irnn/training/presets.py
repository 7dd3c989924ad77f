"""Named training settings: data, not code paths.

Each preset is a flat dict of the same keys as ``chainer-irnn train``'s flags;
explicit flags override any value.  ``source`` says where the settings come
from.  ``DEFAULTS`` fills what a preset leaves out.
"""
from chainer_irnn.errors import UserError

DEFAULTS = {
    'model': 'irnn',          # irnn | hrnn | rows-rnn
    'input': 'embed',         # embed (int pixels 0..255) | linear (floats)
    'hidden': (100,),
    'activation': 'relu',
    'identity_scale': 1.0,
    'input_std': 0.001,
    'optimizer': 'sgd',       # sgd | momentum | rmsprop | adam
    'lr': 0.01,
    'clip': 1.0,              # gradient norm clipping; 0 switches it off
    'lr_decay': 1.0,          # multiply the learning rate by this every lr_decay_every updates
    'lr_decay_every': 1000,   # (continuously: lr * lr_decay ** (t / lr_decay_every)); 1 = off
    'warmup': 0,              # linear learning-rate warm-up over this many updates; 0 = off
    'loss_guard': 0.5,        # divergence when the loss relapses this far to its start; 0 = off
    'weight_decay': 0.0,
    'batchsize': 16,
    'epoch': 1,
    'min_iteration': 0,       # with 'epoch': raise the epochs to make at least this many updates
    'view': 'pixels',         # pixels | floats | rows  (MNIST sequences)
    'permute': None,          # seed of a fixed pixel permutation
}

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
                  "halved every 15000 updates; the blog's SGD at lr 1e-8 barely "
                  'moves the weights',
        'input': 'embed', 'hidden': (100,), 'view': 'pixels',
        'optimizer': 'adam', 'lr': 1e-4, 'clip': 1.0, 'batchsize': 128,
        'lr_decay': 0.5, 'lr_decay_every': 15000,
    },
    'irnn-permuted': {
        'source': "the 'irnn' recipe on a fixed, seeded permutation of the "
                  'pixel order (Le et al. 2015, permuted MNIST)',
        'input': 'embed', 'hidden': (100,), 'view': 'pixels', 'permute': 0,
        'optimizer': 'adam', 'lr': 1e-4, 'clip': 1.0, 'batchsize': 128,
        'lr_decay': 0.5, 'lr_decay_every': 15000,
    },
    'csv': {
        'source': 'chainer-irnn default for train --csv (docs/csv.md): an IRNN of '
                  '100 ReLU units on standardised float features, Adam alpha 1e-3, '
                  'clipping 1, batch 32, 10 epochs and at least 2000 updates',
        'input': 'linear', 'hidden': (100,), 'view': 'floats',
        'optimizer': 'adam', 'lr': 1e-3, 'clip': 1.0, 'batchsize': 32, 'epoch': 10,
        'min_iteration': 2000,
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


def resolve(preset=None, **overrides):
    """Returns the settings of ``preset`` with ``overrides`` (None = unset)."""
    settings = dict(DEFAULTS)
    if preset is not None:
        if preset not in PRESETS:
            raise UserError('unknown preset {!r}; choose one of: {}'.format(
                preset, ', '.join(sorted(PRESETS))))
        settings.update({k: v for k, v in PRESETS[preset].items() if k != 'source'})
    settings.update({k: v for k, v in overrides.items() if v is not None})
    settings['preset'] = preset
    return settings


def epochs_to_train(settings, n_train):
    """``settings['epoch']``, raised where needed so that training on ``n_train``
    examples at ``settings['batchsize']`` makes ``settings['min_iteration']``
    updates at least (small data sets need more passes)."""
    needed = -(-settings.get('min_iteration', 0) * settings['batchsize'] // max(1, n_train))
    return max(settings['epoch'], needed)


def describe():
    """Lines for ``--help``: each preset and its source."""
    return ['{:14s} {}'.format(name, p['source']) for name, p in PRESETS.items()]
