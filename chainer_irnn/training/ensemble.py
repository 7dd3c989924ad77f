"""A seed ensemble: the same run several times, predicting together.

Small data make a single run's result depend on its seed (the
initialisation, the batch order, dropout and noise): on the corpus of
docs/csv.md, three seeds of one model differed by up to 24 points
(OSULeaf), 13 on ItalyPowerDemand.  :func:`fit_ensemble` trains
``config.run.ensemble`` runs that differ
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

from chainer_irnn.errors import ParameterError

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
    for ``ensemble > 1`` (call ``fit``, not this).

    ``out`` is a run folder of its own (``run.json`` records the ensemble,
    ``settings.json`` its settings, so ``train --config OUT`` redoes it):
    a folder holding another run, or files named as a run's without a
    record, is refused as for a single run; ``resume='none'`` starts the
    ensemble and every member over.  The result's ``best`` is the
    ensemble's evaluation on ``val`` (``None`` without validation data or
    when ``val`` is MNIST's test set, logged only), ``stopped`` is
    ``'diverged'`` when any member ended diverged (its kept model is still
    a member, and ``model.json`` says so), ``log`` holds one entry, the
    ensemble's validation figures, and ``members`` lists the members' own
    results (with their training logs).
    """
    from chainer_irnn.training import distributed, run_folder, scoring, snapshots
    from chainer_irnn.training.devices import get_device
    from chainer_irnn.training.settings import SETTINGS_FILE
    from chainer_irnn.training.lock import RunLock
    from chainer_irnn.training.results import FitResult
    members = config.run.ensemble
    if distributed.of(distribution).size > 1:
        raise ParameterError('ensemble', 'an ensemble trains its members one after another in '
                             'one process; run it without ChainerMN')
    if resume not in (None, 'auto', 'none'):
        raise ParameterError('resume', 'an ensemble resumes each member from its own folder: '
                             "'auto' or 'none', not a snapshot path ({})".format(resume))
    start = time.time()
    with RunLock(out):
        run_folder.claim(out, run_folder.identity(config, train, val, meta), resume,
                         description=meta)
        if resume == 'none':
            _remove_extra_members(out, members)
        description = None
        results = []
        for i in range(members):
            logger.info('ensemble member %d of %d (seed %d) in %s', i + 1, members,
                        config.run.seed + i, member_folder(out, i))
            results.append(fit(config.replace(ensemble=1, seed=config.run.seed + i), train, val,
                               out=member_folder(out, i), meta=meta, device=device,
                               resume=resume, save=save, record=record,
                               extensions=extensions))
        model, description = combine(results, config.run.seed)
        # as fit records a run's: the batch resolved for this training set
        resolved = config.replace(batchsize=config.run.batch_for(len(train)),
                                  auto_batchsize=False)
        snapshots.write_json(os.path.join(out, SETTINGS_FILE), dict(
            description, **resolved.flat(), stop=list(config.run.stop_trigger(len(train))),
            device=str(get_device(device)), processes=1, **(record or {})))
        best = None
        if val is not None and len(val) and (meta or {}).get('validation') != 'test':
            from chainer_irnn.training.converter import sequence_converter
            from chainer_irnn.training.extensions.evaluator import evaluate_dataset
            # measured as each member chose its kept model: with the class
            # weights of the training split, if any (the members' returned
            # models compute the plain loss)
            from chainer_irnn.training import class_weights
            weights = None
            if config.run.class_weight != 'none':
                weights = class_weights.weights_for(config.run.class_weight,
                                                    class_weights.class_counts(
                                                        train, description['n_class']))
            scores = evaluate_dataset(class_weights.weigh(model, weights), val,
                                      sequence_converter, results[0].model.device, 128)
            class_weights.weigh(model, None)
            best = {'validation/main/loss': scores['loss'],
                    'validation/main/accuracy': scores.get('accuracy'), 'members': members,
                    'by': 'its own validation {}'.format(config.run.best_by)}
            logger.info('ensemble of %d: validation loss %.4f, accuracy %.4f (%d sequences); the '
                        'members alone: accuracy %s', members, scores['loss'],
                        scores.get('accuracy', float('nan')), scores['n'],
                        ', '.join('{:.4f}'.format(r.best['validation/main/accuracy'])
                                  for r in results if r.best))
        diverged = [i for i, r in enumerate(results) if r.stopped == 'diverged']
        message = '; '.join('member {}: {}'.format(i + 1, results[i].message) for i in diverged)
        if diverged:
            description = dict(description, stopped='diverged', diverged=message)
        if save:
            from chainer_irnn.models import save_model
            save_model(model, description, out)
        # the log: one entry, the ensemble's evaluation (the members' logs are theirs)
        log = [{k: v for k, v in best.items() if k.startswith('validation/')}] if best else []
        result = FitResult(model=model, description=description, out=out, log=log,
                           seconds=time.time() - start, best=best,
                           stopped='diverged' if diverged else 'completed', message=message)
        result.members = results
        if test is not None:
            result.test = scoring.score_test(
                model, test, results[0].model.device, out if save else None,
                kept='an ensemble of {} members, each the kept model of its run'.format(members))
    return result


def _remove_extra_members(out, members):
    """Starting over with fewer members: the run folders of members past
    ``members`` (``member-<i>`` holding a ``run.json``) go."""
    import re
    import shutil

    from chainer_irnn.training import run_folder
    for name in os.listdir(out):
        match = re.fullmatch(r'member-(\d+)', name)
        path = os.path.join(out, name)
        if match and int(match.group(1)) > members and not os.path.islink(path) and \
                os.path.isfile(os.path.join(path, run_folder.RUN_FILE)):
            shutil.rmtree(path)
            logger.info('started over: removed %s (a member past the %d of this ensemble)',
                        path, members)


def combine(results, seed):
    """``(model, description)`` of the ensemble of the runs ``results``."""
    import chainer.links as L

    from chainer_irnn.links import Ensemble
    model = L.Classifier(Ensemble(r.model.predictor for r in results))
    description = {k: v for k, v in results[0].description.items()
                   if k not in ('stopped', 'diverged')}
    description.update(ensemble=len(results), seed=seed)
    return model, description
