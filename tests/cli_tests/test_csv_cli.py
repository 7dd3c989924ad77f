"""``chainer-irnn train --csv`` and ``chainer-irnn predict``, run in-process."""
import json
import os

import numpy
import pytest

from chainer_irnn import cli

FAST = ['--iteration', '3', '--no-progress', '--hidden', '8,4', '--batchsize', '8']


def toy(n=40, steps=5, seed=0, layout='wide', labels=('0', '1')):
    rng = numpy.random.RandomState(seed)
    x = rng.normal(size=(n, steps, 3)).round(3)
    y = [labels[int(v)] for v in (x[:, :, 0].sum(1) * x[:, :, 1].sum(1) > 0)]
    if layout == 'wide':
        head = ['label'] + ['{}{}'.format(c, t) for t in range(steps) for c in 'abc']
        rows = [','.join([y[i]] + ['{:g}'.format(v) for v in x[i].ravel()]) for i in range(n)]
    else:
        head = ['id', 'a', 'b', 'c', 'label']
        rows = ['s{},{:g},{:g},{:g},{}'.format(i, *x[i, t], y[i])
                for i in range(n) for t in range(steps - i % 3)]  # variable lengths
    return ','.join(head) + '\n' + '\n'.join(rows) + '\n'


def write(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def main(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def train(capsys, tmp_path, csv, out='model', *extra):
    out = str(tmp_path / out)
    rc, _, err = main(capsys, 'train', '--csv', csv, '--out', out, *(FAST + list(extra)))
    assert rc == 0, err
    return out, err


def test_train_predict_round_trip_wide(tmp_path, capsys):
    csv = write(tmp_path, toy(), 'train.csv')
    model, err = train(capsys, tmp_path, csv, 'model', '--features-per-step', '3')
    assert '40 data rows read, wide layout -> 40 sequences of 5 steps x 3 features' in err
    assert '36 training / 4 validation sequences' in err
    config = json.load(open(os.path.join(model, 'model.json')))
    assert config['input'] == 'linear' and config['in_size'] == 3 and config['n_class'] == 2
    assert config['tabular']['classes'] == ['0', '1'] and len(config['tabular']['mean']) == 3
    new = write(tmp_path, toy(n=7, seed=5), 'new.csv')
    pred = str(tmp_path / 'pred.csv')
    rc, _, err = main(capsys, 'predict', '--model', model, '--csv', new, '--out', pred,
                      '--chunksize', '3')
    assert rc == 0, err
    import pandas as pd
    frame = pd.read_csv(pred, dtype={'predicted_label': str, 'true_label': str})
    assert list(frame.columns) == ['sequence_id', 'predicted_label', 'p_0', 'p_1', 'true_label']
    assert frame['sequence_id'].tolist() == list(range(2, 9))  # file lines
    numpy.testing.assert_allclose(frame[['p_0', 'p_1']].sum(axis=1), 1, atol=1e-5)
    assert set(frame['predicted_label']) <= {'0', '1'}
    assert 'accuracy' in err and '7 predictions written' in err


def test_csv_training_defaults_to_the_csv_preset_and_flags_override_it(tmp_path, capsys):
    csv = write(tmp_path, toy(), 'train.csv')
    model, err = train(capsys, tmp_path, csv, 'model', '--features-per-step', '3')
    settings = json.load(open(os.path.join(model, 'settings.json')))
    assert (settings['preset'], settings['optimizer'], settings['lr']) == ('csv', 'adam', 0.001)
    assert 'preset csv, adam lr 0.001' in err
    model, _ = train(capsys, tmp_path, csv, 'other', '--features-per-step', '3',
                     '--preset', 'keras-irnn', '--optimizer', 'sgd')
    settings = json.load(open(os.path.join(model, 'settings.json')))
    assert (settings['preset'], settings['optimizer'], settings['lr']) == ('keras-irnn', 'sgd',
                                                                           1e-6)


@pytest.mark.slow
def test_csv_preset_trains_small_sets_for_at_least_its_updates(tmp_path, capsys):
    csv = write(tmp_path, toy(), 'train.csv')        # 36 training sequences
    out = str(tmp_path / 'm')
    from chainer_irnn.training import TrainConfig
    assert TrainConfig.from_preset('csv').run.epochs_for(36) == 1778   # 2000 * 32 / 36
    rc, _, err = main(capsys, 'train', '--csv', csv, '--out', out, '--features-per-step', '3',
                      '--hidden', '4', '--no-progress', '--batchsize', '12',
                      '--min-iteration', '121', '--ensemble', '1')
    assert rc == 0, err
    settings = json.load(open(os.path.join(out, 'settings.json')))
    # 121 updates of 12 from 36 sequences (3 per epoch): 41 epochs, not 10
    assert settings['epoch'] == 41 and settings['stop'] == [41, 'epoch']
    assert '41 epochs instead of 10, for at least 121 updates on 36 training' in err
    log = json.load(open(os.path.join(out, 'log')))
    assert log[-1]['iteration'] == 123 and log[-1]['epoch'] == 41
    evaluations = [e['epoch'] for e in log if 'validation/main/accuracy' in e]
    assert evaluations == [2 * k for k in range(1, 21)] + [41]   # a twentieth, and the end
    # an explicit --epoch is taken as given
    rc, _, err = main(capsys, 'train', '--csv', csv, '--out', str(tmp_path / 'e'),
                      '--features-per-step', '3', '--hidden', '4', '--no-progress', '--epoch', '2')
    assert rc == 0 and 'instead of' not in err
    assert json.load(open(str(tmp_path / 'e' / 'settings.json')))['epoch'] == 2


def test_long_layout_string_labels_and_predict_without_labels(tmp_path, capsys):
    csv = write(tmp_path, toy(layout='long', labels=('neg', 'pos')), 'long.csv')
    model, err = train(capsys, tmp_path, csv, 'model', '--val-split', '0.25')
    assert 'long layout -> 40 sequences of 3 features per step' in err
    new = toy(n=9, seed=2, layout='long', labels=('neg', 'pos'))
    new = '\n'.join(line.rsplit(',', 1)[0] for line in new.splitlines()) + '\n'  # no labels
    pred = str(tmp_path / 'pred.csv')
    outs = []
    for chunksize in ('2', '1000'):  # sequences straddle chunks of 2 rows
        rc, _, err = main(capsys, 'predict', '-m', model, '--csv', write(tmp_path, new, 'n.csv'),
                          '--out', pred, '--chunksize', chunksize)
        assert rc == 0, err
        outs.append(open(pred).read())
    assert outs[0] == outs[1]
    lines = outs[0].splitlines()
    assert lines[0] == 'sequence_id,predicted_label,p_neg,p_pos'
    assert [line.split(',')[0] for line in lines[1:]] == ['s{}'.format(i) for i in range(9)]


def test_augmentation_flags_train_and_are_kept(tmp_path, capsys):
    """--augment-slice and --augment-scale on sequences of several lengths:
    recorded in settings.json and model.json, the model predicts as usual."""
    from chainer_irnn.estimator import IRNNClassifier
    csv = write(tmp_path, toy(n=24, layout='long'), 'long.csv')
    model = str(tmp_path / 'model')
    rc, _, err = main(capsys, 'train', '--csv', csv, '--out', model, '--epoch', '1',
                      '--min-iteration', '0', '--no-progress', '--hidden', '4',
                      '--batchsize', '8', '--ensemble', '1', '--augment-slice', '0.1',
                      '--augment-scale', '0.1')
    assert rc == 0, err
    for name in ('settings.json', 'model.json'):
        recorded = json.load(open(os.path.join(model, name)))
        assert (recorded['augment_slice'], recorded['augment_scale']) == (0.1, 0.1), name
    clf = IRNNClassifier.from_settings(model)
    assert (clf.augment_slice, clf.augment_scale) == (0.1, 0.1)
    pred = str(tmp_path / 'pred.csv')
    rc, _, err = main(capsys, 'predict', '-m', model, '--csv', csv, '--out', pred)
    assert rc == 0, err
    assert len(open(pred).read().splitlines()) == 25


def test_bidirectional_flag_trains_predicts_evaluates_resumes_and_is_redone(tmp_path, capsys):
    """--bidirectional on sequences of several lengths: recorded in
    settings.json and model.json (with "requires"), the reverse stack saved;
    predict and evaluate read it (the same probabilities as the model
    loaded in Python), a longer run resumes from its snapshot, and
    --config FILE trains it again."""
    from chainer_irnn import load_model
    csv = write(tmp_path, toy(n=24, layout='long'), 'long.csv')
    model = str(tmp_path / 'model')
    args = ['train', '--csv', csv, '--out', model, '--no-progress', '--hidden', '4',
            '--batchsize', '8', '--ensemble', '1', '--bidirectional', '--pool', 'mean',
            '--snapshot-interval', '2', '--eval-interval', '2']
    rc, _, err = main(capsys, *(args + ['--iteration', '2']))
    assert rc == 0, err
    for name in ('settings.json', 'model.json'):
        assert json.load(open(os.path.join(model, name)))['bidirectional'] is True, name
    assert json.load(open(os.path.join(model, 'model.json')))['requires'] == \
        ['pool', 'bidirectional']
    with numpy.load(os.path.join(model, 'model.npz')) as f:
        assert 'encoder/reverse/rec0/W' in f.files and f['head/W'].shape == (2, 8)
    rc, _, err = main(capsys, *(args + ['--iteration', '4']))
    assert rc == 0, err
    assert 'resumed from' in err and 'snapshot_iter_2' in err
    pred = str(tmp_path / 'pred.csv')
    rc, _, err = main(capsys, 'predict', '-m', model, '--csv', csv, '--out', pred)
    assert rc == 0, err
    import pandas as pd
    frame = pd.read_csv(pred)
    loaded = load_model(model)
    assert loaded.model.predictor.encoder.bidirectional
    xs = [x for batch in loaded.csv_batches(csv) for x in batch.xs]   # read as predict reads
    numpy.testing.assert_allclose(frame[['p_0', 'p_1']].to_numpy(), loaded._proba(xs, 256),
                                  atol=1e-6)
    rc, out, err = main(capsys, 'evaluate', '-m', model, '--csv', csv)
    assert rc == 0, err
    assert 'accuracy' in out
    again = str(tmp_path / 'again')
    rc, _, err = main(capsys, 'train', '--config', model, '--out', again)
    assert rc == 0, err
    assert json.load(open(os.path.join(again, 'model.json')))['bidirectional'] is True


def test_series_layout_trains(tmp_path, capsys):
    rng = numpy.random.RandomState(0)
    v = rng.normal(size=200).cumsum()
    text = 'v,label\n' + ''.join('{:.3f},{}\n'.format(a, int(a > 0)) for a in v)
    _, err = train(capsys, tmp_path, write(tmp_path, text, 's.csv'), 'model',
                   '--window', '10', '--stride', '2')
    assert 'series layout -> 96 sequences' in err
    assert 'last 10% of the windows' in err


def test_same_seed_same_predictions(tmp_path, capsys):
    csv = write(tmp_path, toy(), 'train.csv')
    preds = []
    for i, seed in enumerate((1, 1, 2)):
        model, _ = train(capsys, tmp_path, csv, 'm{}'.format(i), '--features-per-step', '3',
                         '--seed', seed, '--optimizer', 'adam', '--lr', '0.01')
        pred = str(tmp_path / 'p{}.csv'.format(i))
        assert main(capsys, 'predict', '-m', model, '--csv', csv, '--out', pred)[0] == 0
        preds.append(open(pred).read())
    assert preds[0] == preds[1]
    assert preds[0] != preds[2]


def test_test_file_chooses_nothing_and_is_scored_once(tmp_path, capsys):
    """Issue 23: validation is a split of the training file; the test file
    is scored once, at the end, with the kept model -- another test file
    leaves the model exactly as it was."""
    csv = write(tmp_path, toy(), 'train.csv')
    test = write(tmp_path, toy(n=10, seed=3), 'test.csv')
    other = write(tmp_path, toy(n=12, seed=4), 'other.csv')
    models = []
    for name, path in (('a', test), ('b', other)):
        out = str(tmp_path / name)
        rc, printed, err = main(capsys, 'train', '--csv', csv, '--features-per-step', '3',
                                '--test', path, '--out', out, '--iteration', '12',
                                '--eval-interval', '3', '--no-progress', '--hidden', '8',
                                '--batchsize', '8', '--ensemble', '1')
        assert rc == 0, err
        assert '36 training / 4 validation sequences (validation = 10% stratified' in err
        assert 'scored once' in err and printed.strip().splitlines()[-1].startswith(
            'test (scored once with the kept model; it chose nothing)')
        scored = json.load(open(os.path.join(out, 'test.json')))
        assert scored['n'] == (10 if name == 'a' else 12) and 0 <= scored['accuracy'] <= 1
        assert scored['model'].startswith('the best validation loss (iteration ')
        models.append(numpy.load(os.path.join(out, 'model.npz')))
    for k in models[0].files:
        numpy.testing.assert_array_equal(models[0][k], models[1][k])


def test_validation_file_chooses_and_excludes_a_split(tmp_path, capsys):
    csv = write(tmp_path, toy(), 'train.csv')
    val = write(tmp_path, toy(n=10, seed=3), 'val.csv')
    _, err = train(capsys, tmp_path, csv, 'model', '--features-per-step', '3', '--val', val)
    assert '40 training / 10 validation sequences (validation file ' + val in err
    # the preset's members share the file the user chose to judge by (no folds)
    assert 'the 3 members each choose on it (no folds' in err
    settings = json.load(open(os.path.join(str(tmp_path), 'model', 'settings.json')))
    assert (settings['ensemble'], settings['ensemble_folds']) == (3, 0)
    # folds asked for pool the file, and train --config redoes that run
    out, err = train(capsys, tmp_path, csv, 'pooled', '--features-per-step', '3', '--val', val,
                     '--ensemble', '2', '--ensemble-folds', '3')
    assert 'no folds' not in err and 'out-of-fold' in err
    again = str(tmp_path / 'again')
    rc, _, err = main(capsys, 'train', '--config', out, '--out', again, '--no-progress')
    assert rc == 0, err
    assert json.load(open(os.path.join(again, 'settings.json')))['ensemble_folds'] == 3
    with numpy.load(os.path.join(out, 'model.npz')) as a, \
            numpy.load(os.path.join(again, 'model.npz')) as b:
        assert a.files == b.files and all((a[k] == b[k]).all() for k in a.files)
    err = error(capsys, 'train', '--csv', csv, '--val', val, '--val-split', '0.2',
                '--out', str(tmp_path / 'm'), *FAST)
    assert err.endswith('--val-split: give a validation file or a validation split, not both')


def error(capsys, *argv):
    rc, out, err = main(capsys, *argv)
    assert rc == 2, err
    assert 'Traceback' not in err, err
    last = err.splitlines()[-1]  # progress lines of the log may come before
    assert ': error: ' in last and all(': error: ' not in line
                                       for line in err.splitlines()[:-1])
    return last


@pytest.mark.parametrize('text,where', [
    ('', 'bad.csv: the file is empty'),
    ('label,a,b\n', 'bad.csv, line 1: the file has a header line but no data rows'),
    ('label,a,b\n0,1,2\n1,2,3,4\n', 'bad.csv, line 3, column 4: ragged row'),
    ('label,a,b\n0,1,2\n1,2\n', 'bad.csv, line 3, column 3: ragged row'),
    ('label,a,b\n0,1,2\n1,two,3\n', "bad.csv, line 3, column 2: feature cell 'two'"),
    ('label,a,b\n0,1,2\n1,,3\n', 'bad.csv, line 3, column 2: missing value'),
    ('label,a,b\n0,1,2\n0,2,3\n', "bad.csv, column 1: only one class ('0')"),
    ('id,a,label\n1,1,x\n2,1,y\n1,1,x\n', "bad.csv, line 4, column 1: sequence id '1' appears"),
    ('id,a,label\n1,1,x\n1,1,y\n2,1,y\n', 'bad.csv, line 3, column 3: the label changes'),
])
def test_bad_training_file_exits_2_naming_file_line_column(tmp_path, capsys, text, where):
    csv = write(tmp_path, text, 'bad.csv')
    err = error(capsys, 'train', '--csv', csv, '--out', str(tmp_path / 'm'), *FAST)
    assert err.startswith('chainer-irnn train: error: ' + str(tmp_path) + os.sep + where), err


def test_unseen_test_label_exits_2(tmp_path, capsys):
    csv = write(tmp_path, toy(), 'train.csv')
    lines = toy(n=2).splitlines()
    lines[2] = '7' + lines[2][1:]                     # line 3: a label training never saw
    test = write(tmp_path, '\n'.join(lines) + '\n', 'test.csv')
    err = error(capsys, 'train', '--csv', csv, '--features-per-step', '3', '--test', test,
                '--out', str(tmp_path / 'm'), *FAST)
    assert test + ", line 3, column 1: label '7' never occurs in the training data" in err


def test_predict_takes_features_by_name_and_leaves_extra_columns_out(tmp_path, capsys):
    model, _ = train(capsys, tmp_path, write(tmp_path, toy(layout='long'), 'l.csv'))
    new = write(tmp_path, 'id,a,b,c,d\n1,0,0,0,0\n', 'new.csv')
    rc, _, err = main(capsys, 'predict', '-m', model, '--csv', new, '--out',
                      str(tmp_path / 'p.csv'))
    assert rc == 0 and new + ": column 'd' left out (not features of the model)" in err, err
    # without a header line, columns are positional: a fourth one cannot be placed
    nh = write(tmp_path, 's1,0,0,0,0,0\n', 'nh.csv')
    model_nh, _ = train(capsys, tmp_path, write(tmp_path, toy(layout='long').split('\n', 1)[1],
                                                'lnh.csv'), 'mnh', '--no-header',
                        '--id-col', '1', '--label-col', '5')
    err = error(capsys, 'predict', '-m', model_nh, '--csv', nh, '--out', str(tmp_path / 'q.csv'))
    assert 'the model was trained on 3' in err and not os.path.exists(str(tmp_path / 'q.csv'))


def test_predict_needs_csv_model(tmp_path, capsys):
    os.makedirs(str(tmp_path / 'm'))
    err = error(capsys, 'predict', '-m', str(tmp_path / 'm'), '--csv', 'x.csv', '--out', 'p.csv')
    assert 'no such model file' in err


def test_headerless_file_and_predict_without_label_column(tmp_path, capsys):
    body = toy().split('\n', 1)[1]  # no header line
    model, err = train(capsys, tmp_path, write(tmp_path, body, 'nh.csv'), 'model', '--no-header',
                       '--features-per-step', '3')
    assert '40 data rows read' in err
    config = json.load(open(os.path.join(model, 'model.json')))
    assert config['tabular']['label_col'] == 1 and config['tabular']['header'] is False
    unlabelled = '\n'.join(line.split(',', 1)[1] for line in body.splitlines()[:5]) + '\n'
    pred = str(tmp_path / 'p.csv')
    rc, _, err = main(capsys, 'predict', '-m', model, '--csv', write(tmp_path, unlabelled, 'u.csv'),
                      '--out', pred, '--label-col', 'none')
    assert rc == 0, err
    lines = open(pred).read().splitlines()
    assert lines[0] == 'sequence_id,predicted_label,p_0,p_1' and len(lines) == 6
    assert [line.split(',')[0] for line in lines[1:]] == ['1', '2', '3', '4', '5']


def test_training_needs_labels(tmp_path, capsys):
    err = error(capsys, 'train', '--csv', write(tmp_path, toy(), 't.csv'), '--label-col', 'none',
                '--out', str(tmp_path / 'm'), *FAST)
    assert 'training needs a label column' in err


def test_evaluate_of_a_csv_model_without_a_file_points_to_csv(tmp_path, capsys):
    csv = write(tmp_path, toy(), 'train.csv')
    model, _ = train(capsys, tmp_path, csv, 'model', '--features-per-step', '3')
    rc, _, err = main(capsys, 'evaluate', '--model', model, '--data', 'embedded')
    assert rc == 2 and 'trained on csv data' in err and '--csv FILE' in err
    assert 'Traceback' not in err
