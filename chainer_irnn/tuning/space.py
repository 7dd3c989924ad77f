"""The search space of :func:`chainer_irnn.tuning.tune`: the settings a
trial draws (:data:`SEARCHED`) and :func:`suggest`, which draws them."""

#: settings the search draws (flat TrainConfig keys); ``fixed`` ones are left alone
SEARCHED = ('hidden', 'optimizer', 'lr', 'clip', 'batchsize', 'identity_scale', 'dropout',
            'input_dropout', 'weight_decay', 'pool', 'bidirectional', 'augment_scale',
            'augment_slice', 'class_weight')


def suggest(trial, base, n_train, fixed=()):
    """Flat settings for one trial, drawn from the search space.

    ``base`` (TrainConfig) says what kind of model is tuned: the IRNN gets
    layers, identity scale, pooling and reading one way or both, float input
    gets input dropout and the augmentations (scaling, window slicing);
    trials judged by validation accuracy draw the class weights (off or
    balanced); settings in
    ``fixed`` keep ``base``'s value.
    """
    from chainer_irnn.training.settings_table import POOLS
    m, values = base.model, {}

    def want(name):
        return name not in fixed

    if m.model == 'irnn' and want('hidden'):
        layers = trial.suggest_int('layers', 1, 2)
        size = trial.suggest_categorical('hidden_size', [32, 64, 128])
        values['hidden'] = (size,) * layers if layers == 1 else (size, max(16, size // 2))
    if want('optimizer'):
        values['optimizer'] = trial.suggest_categorical('optimizer', ['adam', 'rmsprop'])
    if want('lr'):
        values['lr'] = trial.suggest_float('lr', 1e-4, 1e-2, log=True)
    if want('clip'):
        values['clip'] = trial.suggest_float('clip', 0.1, 10.0, log=True)
    if want('batchsize'):
        sizes = [b for b in (8, 16, 32, 64) if b <= n_train] or [n_train]
        values['batchsize'] = trial.suggest_categorical('batchsize', sizes)
    if m.model == 'irnn' and want('identity_scale'):
        values['identity_scale'] = trial.suggest_float('identity_scale', 0.5, 1.0)
    if want('dropout'):
        values['dropout'] = trial.suggest_float('dropout', 0.0, 0.5)
    if m.model == 'irnn' and m.input == 'linear' and want('input_dropout'):
        values['input_dropout'] = trial.suggest_float('input_dropout', 0.0, 0.3)
    if want('weight_decay'):
        values['weight_decay'] = trial.suggest_float('weight_decay', 1e-6, 1e-2, log=True)
    if m.model == 'irnn' and want('pool'):
        values['pool'] = trial.suggest_categorical('pool', list(POOLS))
    if m.model == 'irnn' and want('bidirectional'):
        values['bidirectional'] = trial.suggest_categorical('bidirectional', [False, True])
    if m.model == 'irnn' and m.input == 'linear':
        # off or on first: on the corpus, both at 0.1 hurt four univariate sets
        # and helped two multivariate ones and PickupGestureWiimoteZ (docs/csv.md)
        for name in ('augment_scale', 'augment_slice'):
            if want(name):
                on = trial.suggest_categorical(name + '_on', [False, True])
                values[name] = trial.suggest_float(name, 0.02, 0.3) if on else 0.0
    if want('class_weight') and base.run.best_by == 'accuracy':
        # balanced weights weigh the validation loss too (fit): trials judged
        # by loss would compare two different losses, so only accuracy,
        # measured alike in both, judges between them; by loss every trial
        # keeps base's class_weight
        values['class_weight'] = trial.suggest_categorical('class_weight',
                                                           ['none', 'balanced'])
    return values
