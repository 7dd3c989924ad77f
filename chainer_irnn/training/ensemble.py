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

A fold ensemble (``config.run.ensemble_folds`` F >= 2, the ``csv``
preset's 10) does not share one split.  On small sets a validation split
of a few sequences cannot tell models apart (the best reach a validation
loss near 0), and every member is chosen by the same few.  So the training
and validation data are pooled (training first, then validation) and dealt
into F folds, stratified by label and seeded by the run's seed
(:func:`~chainer_irnn.datasets.tabular.preprocess.stratified_folds`);
member i trains on every fold but fold i and keeps its model by fold i.
Each sequence of the first ``ensemble`` folds is thus judged by one member
that never trained on it, and the ensemble's validation figures (``best``,
the log line, ``FitResult.best``) are out-of-fold: each member's kept model
scored on its own fold, combined weighted by the fold sizes -- never the
ensemble itself on the pool, whose members trained on most of it.  The
folds follow from the data, the seed and F, which ``run.json`` and
``settings.json`` record, so resuming and ``train --config OUT`` deal the
same folds.  Without validation data the training data alone are dealt;
F is a ceiling (fewer sequences than F: one fold each), members past the
folds validate on them again in turn, and MNIST's test set
(``meta['validation'] == 'test'``) is refused: pooling would train on it.
"""
import logging
import os
import time

import numpy

from chainer_irnn.errors import ParameterError, Setting

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
    when ``val`` is MNIST's test set, logged only); for a fold ensemble
    (``ensemble_folds``) it is the out-of-fold figure of
    :func:`out_of_fold` (with ``folds``, ``n``, ``out_of_fold: True`` and
    each member's ``fold_scores``).  ``stopped`` is
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
    # the members' data (a fold ensemble's refusals come before the folder is touched)
    data = member_data(config, train, val, meta)
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
        folds = config.run.ensemble_folds
        for i, (m_train, m_val) in enumerate(data):
            logger.info('ensemble member %d of %d (seed %d%s) in %s', i + 1, members,
                        config.run.seed + i, '' if not folds else
                        '; validating on fold {} of {}, {} sequences, training on {}'.format(
                            # the folds dealt: F at most, one per sequence of the pool
                            i % min(folds, len(m_train) + len(m_val)) + 1,
                            min(folds, len(m_train) + len(m_val)), len(m_val), len(m_train)),
                        member_folder(out, i))
            # a member is a single run on its own data (ensemble_folds 0 there)
            results.append(fit(config.replace(ensemble=1, ensemble_folds=0,
                                              seed=config.run.seed + i),
                               m_train, m_val, out=member_folder(out, i),
                               meta=_member_meta(meta, m_train, m_val) if folds else meta,
                               device=device, resume=resume, save=save, record=record,
                               extensions=extensions))
        model, description = combine(results, config.run.seed)
        if folds:
            # the data the ensemble was given, not member 1's share of them
            description.update({k: meta[k] for k in ('n_train', 'n_test') if k in (meta or {})})
            # the members' training sets differ in size: the batch is resolved by each
            # member (its settings.json), and train --config resolves it again the same way
            resolved = config
            n_first = len(data[0][0])      # the stop of member 1 (each records its own)
            stop = config.replace(batchsize=config.run.batch_for(n_first)).run.stop_trigger(
                n_first)
        else:
            # as fit records a run's: the batch resolved for this training set
            resolved = config.replace(batchsize=config.run.batch_for(len(train)),
                                      auto_batchsize=False)
            stop = config.run.stop_trigger(len(train))
        snapshots.write_json(os.path.join(out, SETTINGS_FILE), dict(
            description, **resolved.flat(), stop=list(stop),
            device=str(get_device(device)), processes=1, **(record or {})))
        best = None
        if folds:
            best = out_of_fold(results, data, config, description['n_class'])
        elif val is not None and len(val) and (meta or {}).get('validation') != 'test':
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


def member_data(config, train, val, meta=None):
    """``[(train_i, val_i)]``, the data of each member of ``config``'s
    ensemble: ``(train, val)`` for each, or with ``ensemble_folds`` F the
    pool of both minus fold i and fold i (:func:`fold_indices`).

    Without validation data the pool is the training data alone.  F is a
    ceiling, as the batch size is: a pool of fewer than F sequences is
    dealt into as many folds as it has sequences, and where those are
    fewer than the members, member i validates on fold i modulo their
    number (a set of two sequences still trains, as it does without folds).

    Raises:
        ParameterError: a fold ensemble with MNIST's test set as validation
            data, or on fewer than 2 sequences.
    """
    folds = config.run.ensemble_folds
    if not folds:
        return [(train, val)] * config.run.ensemble
    val = [] if val is None else val     # the folds make the validation data then
    if (meta or {}).get('validation') == 'test':
        raise ParameterError('ensemble_folds', "the validation data are MNIST's test set, "
                             'which is evaluated for the log only: a fold ensemble would '
                             'train on it; give MNIST no folds')
    # plain lists of the examples (references, not copies): what fit takes from the estimator
    pool = [train[i] for i in range(len(train))] + [val[i] for i in range(len(val))]
    labels = [int(example[1]) for example in pool]
    if len(pool) < 2:
        raise ParameterError('ensemble_folds', 'a fold ensemble needs 2 sequences at least '
                             '(training and validation data together: {})'.format(len(pool)))
    if len(pool) < folds:
        logger.info('%d sequences for %d folds: dealt into %d folds of one sequence',
                    len(pool), folds, len(pool))
        folds = len(pool)
    found = fold_indices(labels, folds, config.run.seed)
    classes, counts = numpy.unique(labels, return_counts=True)
    alone = [int(c) for c in classes[counts == 1]]
    if alone:
        logger.warning('class%s %s %s one sequence: the member validating on %s fold never '
                       'trains on %s', '' if len(alone) == 1 else 'es',
                       ', '.join(map(str, alone)), 'has' if len(alone) == 1 else 'each have',
                       'its' if len(alone) == 1 else 'their', 'it' if len(alone) == 1 else
                       'them')
    out = []
    for i in range(config.run.ensemble):
        k = i % folds
        rest = numpy.sort(numpy.concatenate([f for j, f in enumerate(found) if j != k]))
        out.append(([pool[j] for j in rest], [pool[j] for j in found[k]]))
    if alone and config.run.class_weight != 'none':
        # weighing by the training counts needs every class in every member's
        # training data: refused here, before any member trains
        missing = [(i, c) for i, (tr, _) in enumerate(out) for c in alone
                   if not any(int(e[1]) == c for e in tr)]
        if missing:
            i, c = missing[0]
            raise ParameterError('class_weight', '{!r} weighs each class by its training '
                                 'sequences, and member {} of the fold ensemble validates on '
                                 'the one sequence of class {} (its fold {}), so trains on '
                                 'none; give {} (the members share one split) or {}'.format(
                                     config.run.class_weight, i + 1, c, i % folds + 1,
                                     Setting('ensemble_folds', 0),
                                     Setting('class_weight', 'none')))
    return out


def fold_indices(labels, folds, seed):
    """The folds of a fold ensemble: ``folds`` disjoint, stratified arrays
    of indices into the pool (training data first, then validation) that
    cover it, seeded by the run's ``seed``; a :class:`ParameterError` where
    the pool holds fewer sequences than folds (a fold would be empty)."""
    from chainer_irnn.datasets.tabular.preprocess import stratified_folds
    if len(labels) < folds:
        raise ParameterError('ensemble_folds', '{} folds of {} sequences (training and '
                             'validation data together): a fold would be empty; choose at '
                             'most {}'.format(folds, len(labels), len(labels)))
    return stratified_folds(labels, folds, seed)


def _member_meta(meta, train, val):
    """``meta`` with a fold member's counts (what its log line reports)."""
    if meta is None:
        return None
    return dict(meta, **{k: n for k, n in (('n_train', len(train)), ('n_test', len(val)))
                         if k in meta})


def out_of_fold(results, data, config, n_class):
    """The validation figures of a fold ensemble: each member's kept model
    (``results[i].model``) scored on its own fold (``data[i]`` is the
    member's ``(train, fold)``), the one it never trained on, the means over
    the members weighted by fold size.  With ``class_weight``, each fold's
    loss is weighted as its member's validation loss was: by the class
    weights of that member's training data.

    The ensemble itself is never scored here: each of its members trained on
    all folds but one, so on the pool it would be judged mostly on its own
    training data."""
    from chainer_irnn.training import class_weights
    from chainer_irnn.training.converter import sequence_converter
    from chainer_irnn.training.extensions.evaluator import evaluate_dataset
    scores = []
    for r, (m_train, fold) in zip(results, data):
        weights = None
        if config.run.class_weight != 'none':
            weights = class_weights.weights_for(config.run.class_weight,
                                                class_weights.class_counts(m_train, n_class))
        scores.append(evaluate_dataset(class_weights.weigh(r.model, weights), fold,
                                       sequence_converter, r.model.device, 128))
        class_weights.weigh(r.model, None)     # the members predict with the plain loss
    n = sum(s['n'] for s in scores)
    # the folds dealt (the setting is a ceiling: fewer where the pool is smaller)
    folds = min(config.run.ensemble_folds, len(data[0][0]) + len(data[0][1]))
    best = {'validation/main/loss': float(sum(s['n'] * s['loss'] for s in scores) / n),
            'validation/main/accuracy': None, 'members': len(results),
            'folds': folds, 'out_of_fold': True, 'n': n,
            'by': "its own fold's validation {}".format(config.run.best_by),
            'fold_scores': [{'loss': float(s['loss']), 'accuracy': None if s.get('accuracy')
                             is None else float(s['accuracy']), 'n': s['n']} for s in scores]}
    if all(s.get('accuracy') is not None for s in scores):
        best['validation/main/accuracy'] = float(sum(s['n'] * s['accuracy'] for s in scores) / n)
    acc = best['validation/main/accuracy']
    logger.info('fold ensemble of %d members: out-of-fold validation loss %.4f, accuracy %s '
                '(%d sequences in %d of %d folds, each scored by a member that did not '
                'train on it); each member on its fold: accuracy %s', len(results),
                best['validation/main/loss'], '-' if acc is None else '{:.4f}'.format(acc), n,
                min(len(results), folds), folds,
                ', '.join('-' if s.get('accuracy') is None else '{:.4f}'.format(s['accuracy'])
                          for s in scores))
    return best


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
