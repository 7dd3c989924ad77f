"""Building, saving and loading whole models.

A saved model is two files side by side: ``model.npz`` (parameters, Chainer's
npz serializer) and ``model.json`` (the architecture and everything needed
to feed it: input kind, pixel permutation, label names, feature statistics).
"""
import json
import os

import chainer
import chainer.links as L
from chainer import initializers

from chainer_irnn.errors import ParameterError, UserError
from chainer_irnn.links import HierarchicalRNN, IRNN, RecurrentClassifier, RowRNN

MODEL_FILE = 'model.npz'
CONFIG_FILE = 'model.json'
ARCH_KEYS = ('model', 'in_size', 'hidden', 'input', 'activation',
             'identity_scale', 'input_std', 'n_class')


def build_model(config, impl='fused'):
    """Returns ``L.Classifier(RecurrentClassifier(encoder, n_class))``."""
    kind = config.get('model', 'irnn')
    if kind == 'irnn':
        encoder = IRNN(config['in_size'], tuple(config['hidden']), input=config['input'],
                       activation=config['activation'],
                       identity_scale=config.get('identity_scale', 1.0),
                       input_std=config.get('input_std', 0.001), impl=impl,
                       dropout=config.get('dropout', 0.0),
                       input_dropout=config.get('input_dropout', 0.0),
                       input_noise=config.get('input_noise', 0.0))
    elif kind in ('hrnn', 'rows-rnn'):
        hidden, n = tuple(config['hidden']), 2 if kind == 'hrnn' else 1
        if len(hidden) != n:
            raise ParameterError('hidden', 'model {!r} takes {} hidden size{}, got {}'.format(
                kind, n, 's (row, column)' if n == 2 else '', list(hidden)))
        encoder = (HierarchicalRNN(*hidden) if kind == 'hrnn'
                   else RowRNN(config['in_size'], hidden[0], impl=impl))
    else:
        raise UserError('unknown model kind {!r}'.format(kind))
    predictor = RecurrentClassifier(encoder, config['n_class'])
    if kind != 'irnn':  # Keras' Dense default, as in the Keras examples these reproduce
        initializers.GlorotUniform()(predictor.head.W.array)
    return L.Classifier(predictor)


def save_model(model, config, directory):
    """Writes ``model.npz`` and ``model.json`` into ``directory`` atomically."""
    os.makedirs(directory, exist_ok=True)
    npz = os.path.join(directory, MODEL_FILE)
    tmp = npz + '.tmp.npz'
    chainer.serializers.save_npz(tmp, model.predictor)
    os.replace(tmp, npz)
    tmp = os.path.join(directory, CONFIG_FILE + '.tmp')
    with open(tmp, 'w') as f:
        json.dump(config, f, indent=1, sort_keys=True)
    os.replace(tmp, os.path.join(directory, CONFIG_FILE))


def model_paths(path):
    """``(npz, json)`` for a model directory or a ``model.npz`` path."""
    if os.path.isdir(path):
        return os.path.join(path, MODEL_FILE), os.path.join(path, CONFIG_FILE)
    return path, os.path.join(os.path.dirname(path) or '.', CONFIG_FILE)


def load_model(path, impl='fused'):
    """Loads a model saved by :func:`save_model`; returns ``(model, config)``.

    Every way this can fail (missing, truncated, foreign or mismatched
    files) ends in a :class:`~chainer_irnn.errors.UserError` naming the file.
    """
    npz, cfg = model_paths(path)
    if not os.path.exists(npz):
        raise UserError('{}: no such model file (give a directory written by '
                        'training, or its model.npz)'.format(npz))
    try:
        with open(cfg, encoding='utf-8') as f:
            config = json.load(f)
    except FileNotFoundError:
        raise UserError('{}: missing; it describes the architecture of {} and '
                        'is written beside it by training'.format(cfg, npz))
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise UserError('{}: not a chainer-irnn model description ({})'.format(cfg, e))
    if not isinstance(config, dict):
        raise UserError('{}: not a chainer-irnn model description (a JSON object)'.format(cfg))
    missing = [k for k in ARCH_KEYS if k not in config]
    if missing:
        raise UserError('{}: missing keys {}'.format(cfg, ', '.join(missing)))
    model = build_model(config, impl=impl)
    load_params(npz, model.predictor)
    return model, config


def load_params(path, target, what='model'):
    """``serializers.load_npz`` with every failure a :class:`UserError` naming
    the file (see :func:`chainer_irnn.training.snapshots.load_npz`)."""
    from chainer_irnn.training.snapshots import load_npz
    load_npz(path, target, what)
