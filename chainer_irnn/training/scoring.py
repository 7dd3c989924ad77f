"""Scoring the kept model on test data, once, after training.

The test data choose nothing: not the kept model, not when to stop, not the
learning rate (validation data do all that).  :func:`score_test` measures
the kept model on them once, at the end, writes ``test.json`` and says so
in the log, so that the number a user reads is an honest estimate.
"""
import logging
import os

logger = logging.getLogger(__name__)

TEST_FILE = 'test.json'


def kept_model(best):
    """Words for the model :func:`~chainer_irnn.training.fit` kept, from
    :attr:`FitResult.best` (None: the last iterate)."""
    if not best:
        return 'the last iteration'
    return 'the best validation {} (iteration {})'.format(best['by'], best['iteration'])


def score_test(model, test, device, out, kept='the last iteration', batchsize=128):
    """Scores ``model`` (an ``L.Classifier``, the kept one) on ``test``.

    Returns ``{'loss', 'accuracy', 'n', 'source', 'model', 'chose'}`` (means
    over the test sequences) and writes it to ``out/test.json`` when ``out``
    is not None.  ``kept`` says which model it is (:func:`kept_model`).
    """
    from chainer_irnn.training import snapshots
    from chainer_irnn.training.converter import sequence_converter
    from chainer_irnn.training.extensions.evaluator import evaluate_dataset
    result = evaluate_dataset(model, test, sequence_converter, device, batchsize)
    result['source'] = getattr(test, 'source', None)
    result['model'] = kept
    result['chose'] = 'nothing: scored once, after training; validation data chose the model'
    acc = result.get('accuracy')
    logger.info('test%s: loss %.4f%s on %d sequences (scored once with the kept model, %s; '
                'the test data chose nothing)',
                ' ({})'.format(result['source']) if result['source'] else '',
                result.get('loss', float('nan')),
                '' if acc is None else ', accuracy {:.4f}'.format(acc), result['n'],
                result['model'])
    if out is not None:
        snapshots.write_json(os.path.join(out, TEST_FILE), result)
    return result
