"""A seed ensemble: the same run several times, predicting together.

Small data make a single run's result depend on its seed (the
initialisation, the batch order, dropout and noise): measured on the
issue-23 corpus, three seeds of the csv defaults differ by up to 13 points
(docs/csv.md).  :func:`fit_ensemble` trains ``members`` runs that differ
only in their seed (``seed``, ``seed + 1``, ...) on the same training and
validation data, each choosing its own kept model on the validation data,
and combines them into one model (:class:`~chainer_irnn.links.Ensemble`:
the mean of the members' class probabilities), saved like any other::

    OUT/member-1/ ...           each member's run folder (log, snapshots, model)
    OUT/member-2/ ...
    OUT/model.npz, model.json   the ensemble ("ensemble": K in model.json)
    OUT/test.json               with test data: the ensemble scored once

A member folder is an ordinary run folder, so an interrupted ensemble
resumes member by member (a finished member resumes from its last snapshot
and ends at once).
"""
import logging
import os
import time

from chainer_irnn.errors import ParameterError, Setting, UserError

logger = logging.getLogger(__name__)


def member_folder(out, i):
    """``OUT/member-<i+1>``."""
    return os.path.join(out, 'member-{}'.format(i + 1))


def fit_ensemble(fit, config, train, val=None, *, out='result', meta=None, device=None,
                 resume='auto', distribution=None, save=True, test=None, record=None,
                 extensions=()):
    """Trains ``config.run.ensemble`` runs of ``config`` (seeds
    ``config.run.seed + i``), each with ``fit``, and returns a
    :class:`~chainer_irnn.training.FitResult` for their ensemble;
    :func:`~chainer_irnn.training.fit` hands itself and its arguments here
    for ``ensemble > 1`` (call ``fit``, not this).  The result's
    ``best`` is the ensemble's evaluation on ``val`` (``None`` without
    validation data), ``stopped`` is ``'diverged'`` when any member ended
    diverged (its kept model is still a member), and ``members`` lists the
    members' own results.
    """
    from chainer_irnn.training import distributed, run_folder, scoring
    from chainer_irnn.training.results import FitResult
    members = config.run.ensemble
    if distributed.of(distribution).size > 1:
        raise ParameterError('ensemble', 'an ensemble trains its members one after another in '
                             'one process; run it without ChainerMN')
    if os.path.exists(os.path.join(out, run_folder.RUN_FILE)):
        raise UserError('{} holds a single run (its {}); train the ensemble into another folder '
                        '({})'.format(out, run_folder.RUN_FILE, Setting('out')))
    start = time.time()
    results = []
    for i in range(members):
        logger.info('ensemble member %d of %d (seed %d) in %s', i + 1, members,
                    config.run.seed + i, member_folder(out, i))
        results.append(fit(config.replace(ensemble=1, seed=config.run.seed + i), train, val,
                           out=member_folder(out, i), meta=meta, device=device, resume=resume,
                           save=save, record=record, extensions=extensions))
    model, description = combine(results, config.run.seed)
    best = None
    if val is not None and len(val):
        from chainer_irnn.training.converter import sequence_converter
        from chainer_irnn.training.extensions.evaluator import evaluate_dataset
        scores = evaluate_dataset(model, val, sequence_converter, results[0].model.device, 128)
        best = {'validation/main/loss': scores['loss'],
                'validation/main/accuracy': scores.get('accuracy'), 'members': members,
                'by': 'the members\' own validation {}'.format(config.run.best_by)}
        logger.info('ensemble of %d: validation loss %.4f, accuracy %.4f (%d sequences); the '
                    'members alone: accuracy %s', members, scores['loss'],
                    scores.get('accuracy', float('nan')), scores['n'],
                    ', '.join('{:.4f}'.format(r.best['validation/main/accuracy'])
                              for r in results if r.best))
    if save:
        from chainer_irnn.models import save_model
        os.makedirs(out, exist_ok=True)
        save_model(model, description, out)
    stopped = 'diverged' if any(r.stopped == 'diverged' for r in results) else 'completed'
    message = '; '.join('member {}: {}'.format(i + 1, r.message)
                        for i, r in enumerate(results) if r.stopped == 'diverged')
    result = FitResult(model=model, description=description, out=out, log=[],
                       seconds=time.time() - start, best=best, stopped=stopped,
                       message=message)
    result.members = results
    if test is not None:
        result.test = scoring.score_test(
            model, test, results[0].model.device, out if save else None,
            kept='an ensemble of {} members, each the kept model of its run'.format(members))
    return result


def combine(results, seed):
    """``(model, description)`` of the ensemble of the runs ``results``."""
    import chainer.links as L

    from chainer_irnn.links import Ensemble
    model = L.Classifier(Ensemble(r.model.predictor for r in results))
    description = dict(results[0].description, ensemble=len(results), seed=seed)
    return model, description
