"""``train --config settings.json`` redoes a run; ``IRNNClassifier.from_settings``
repeats it in Python; ``train --help`` groups its flags and shows each
setting's preset values (issue 24, items 7 and 9)."""
import json
import os
import subprocess
import sys

import numpy
import pytest

from chainer_irnn.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DESCRIPTION = 'chainer_irnn.model.json'    # the description inside model.npz (names the data)


def arrays(folder):
    with numpy.load(os.path.join(str(folder), 'model.npz')) as f:
        return {k: f[k] for k in f.files if k != DESCRIPTION}


def same_arrays(a, b):
    a, b = arrays(a), arrays(b)
    return sorted(a) == sorted(b) and all(numpy.array_equal(a[k], b[k]) for k in a)


def toy_csv(folder, n=240):
    subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'make_toy_csv.py'),
                    str(folder / 'toy.csv'), '--n', str(n), '--steps', '8',
                    '--test-out', str(folder / 'toy_test.csv'), '--n-test', '60'],
                   check=True, capture_output=True)


# ------------------------------------------------------------------ redo a run

@pytest.mark.slow
def test_config_redoes_an_mnist_run_bit_for_bit(tmp_path, capsys):
    # a bare train: no preset (the log says so, not "preset None")
    assert main(['train', '--data', 'embedded', '--n-train', '64', '--n-test', '16',
                 '--iteration', '3', '--no-progress', '--out', str(tmp_path / 'a')]) == 0
    err = capsys.readouterr().err
    assert 'no preset' in err and 'preset None' not in err
    settings = json.loads((tmp_path / 'a' / 'settings.json').read_text())
    assert settings['data_args'] == {'data': 'embedded', 'n_train': 64, 'n_test': 16}

    assert main(['train', '--config', str(tmp_path / 'a' / 'settings.json'),
                 '--out', str(tmp_path / 'b')]) == 0
    err = capsys.readouterr().err
    assert 'settings and data from {}'.format(tmp_path / 'a' / 'settings.json') in err
    assert '64 training / 16 test' in err
    assert same_arrays(tmp_path / 'a', tmp_path / 'b')
    redone = json.loads((tmp_path / 'b' / 'settings.json').read_text())
    assert redone == settings

    # a flag given overrides the file, and the log names it; the arrays then differ
    assert main(['train', '--config', str(tmp_path / 'a'), '--lr', '0.1',
                 '--out', str(tmp_path / 'c')]) == 0
    err = capsys.readouterr().err
    assert 'the flags given override them: --lr' in err and 'lr 0.1 ' in err
    assert not same_arrays(tmp_path / 'a', tmp_path / 'c')


@pytest.mark.slow
def test_config_redoes_a_csv_run_from_another_folder(tmp_path, capsys, monkeypatch):
    toy_csv(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(['train', '--csv', 'toy.csv', '--test', 'toy_test.csv', '--iteration', '20',
                 '--no-progress', '--out', 'first']) == 0
    err = capsys.readouterr().err
    assert '(as in the training file)' in err and 'given)' not in err
    data = json.loads((tmp_path / 'first' / 'settings.json').read_text())['data_args']
    assert data['csv'] == str(tmp_path / 'toy.csv')      # absolute: redone from anywhere
    assert data['test'] == str(tmp_path / 'toy_test.csv')

    (tmp_path / 'elsewhere').mkdir()
    monkeypatch.chdir(tmp_path / 'elsewhere')
    assert main(['train', '--config', '../first/settings.json', '--out', 'again']) == 0
    err = capsys.readouterr().err
    assert 'settings and data from ../first/settings.json' in err
    assert same_arrays(tmp_path / 'first', tmp_path / 'elsewhere' / 'again')
    assert json.loads((tmp_path / 'elsewhere' / 'again' / 'test.json').read_text())['accuracy'] \
        == json.loads((tmp_path / 'first' / 'test.json').read_text())['accuracy']

    # predict says where the grouping came from, not that a flag gave it
    assert main(['predict', '--model', str(tmp_path / 'first'), '--csv',
                 str(tmp_path / 'toy_test.csv'), '--out', 'p.csv']) == 0
    err = capsys.readouterr().err
    assert '(as the model reads them)' in err and 'given' not in err


@pytest.mark.slow
def test_estimator_from_settings_repeats_the_run(tmp_path, monkeypatch):
    from chainer_irnn import IRNNClassifier, read_csv
    from chainer_irnn.errors import UserError
    toy_csv(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(['train', '--csv', 'toy.csv', '--epoch', '2', '--no-progress',
                 '--out', 'run']) == 0
    clf = IRNNClassifier.from_settings('run/settings.json')
    assert clf.epoch == 2 and clf.min_iteration == 0 and clf.input_noise == 0.1
    # the members of a fold ensemble each resolve the batch from their own training set
    assert clf.validation_fraction == 0.1 and clf.batchsize is None and clf.ensemble_folds == 10
    data = read_csv('toy.csv', seed=clf.seed)
    clf.fit(data.train, X_val=data.val, y_val=data.val.y).save('py')
    assert same_arrays(tmp_path / 'run', tmp_path / 'py')
    assert IRNNClassifier.from_settings('run', lr=0.5).lr == 0.5

    settings = json.loads((tmp_path / 'run' / 'settings.json').read_text())
    settings['lr_decay_every'] = 100       # nothing in the estimator sets it
    settings['lr_anneal'] = 'none'         # (the two schedules exclude each other)
    (tmp_path / 's.json').write_text(json.dumps(settings))
    with pytest.raises(UserError, match=r's\.json: key "lr_decay_every" has 100'):
        IRNNClassifier.from_settings('s.json')


# ------------------------------------------------------------------ bad files

def run_main(args, capsys):
    status = main(args)
    out, err = capsys.readouterr()
    return status, err


@pytest.mark.parametrize('content, message', [
    ({'lr': 0.01, 'colour': 'red'}, 'unknown key "colour"'),
    ({'lr': -1}, 'key "lr" has -1: expected a number > 0'),
    ({'hidden': 'big'}, 'key "hidden" has \'big\''),
    ({'preset': 'nope'}, 'key "preset" has \'nope\''),
    ({'batchsize': True}, 'key "batchsize" has True'),
    ({'data_args': {'data': 'embedded', 'rows': 3}}, 'unknown key "data_args.rows"'),
    ({'data_args': {'n_train': 'many'}}, 'key "data_args.n_train" has \'many\''),
    ({'data_args': {'layout': 'tall'}}, 'key "data_args.layout" has \'tall\''),
    ({'data_args': {'header': 'yes'}}, 'key "data_args.header" has \'yes\''),
    ({'data_args': ['csv']}, 'key "data_args" must hold an object'),
    ([1, 2], 'expected a JSON object of settings'),
])
def test_bad_config_is_one_line_naming_key_and_file(tmp_path, capsys, content, message):
    path = tmp_path / 'settings.json'
    path.write_text(json.dumps(content))
    status, err = run_main(['train', '--config', str(path), '--out', str(tmp_path / 'o')],
                           capsys)
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith('chainer-irnn train: error: {}: '.format(path)), err
    assert message in err, err
    assert not (tmp_path / 'o').exists()


def test_settings_without_data_arguments_need_the_data(tmp_path, capsys):
    path = tmp_path / 'settings.json'     # as IRNNClassifier(out=...) writes it
    path.write_text(json.dumps({'lr': 0.01, 'data': 'arrays', 'data_source': 'arrays'}))
    status, err = run_main(['train', '--config', str(path), '--out', str(tmp_path / 'o')],
                           capsys)
    assert status == 2 and len(err.splitlines()) == 1
    assert 'records a run on arrays data' in err and '--csv FILE' in err


def test_missing_or_damaged_config(tmp_path, capsys):
    status, err = run_main(['train', '--config', str(tmp_path / 'none.json')], capsys)
    assert status == 2 and 'none.json: missing' in err and len(err.splitlines()) == 1
    (tmp_path / 'bad.json').write_text('{"lr": ')
    status, err = run_main(['train', '--config', str(tmp_path / 'bad.json')], capsys)
    assert status == 2 and 'bad.json: not a readable settings file' in err
    assert len(err.splitlines()) == 1


# ------------------------------------------------------------------ layering

def config_of(argv):
    from chainer_irnn.cli import build_parser, settings_args, train
    args = build_parser().parse_args(['train'] + argv)
    settings = settings_args.apply_config(args, settings_args.given(args))
    return args, train.train_config(args, settings)


def test_flags_given_override_the_file_even_at_their_default(tmp_path):
    path = tmp_path / 'settings.json'
    path.write_text(json.dumps({'preset': 'irnn', 'iteration': 7, 'impl': 'naive', 'seed': 3,
                                'progress': False, 'lr': 0.5,
                                'data_args': {'data': 'embedded', 'n_train': 64}}))
    args, config = config_of(['--config', str(path)])
    assert (config.run.iteration, config.model.impl, config.run.seed) == (7, 'naive', 3)
    assert (config.optimizer.lr, config.run.progress, config.preset) == (0.5, False, 'irnn')
    assert config.optimizer.name == 'adam'           # from the file's preset
    assert (args.data, args.n_train, args.n_test) == ('embedded', 64, None)
    # '--impl fused' and '--seed 0' are the parser's defaults, given: they win
    args, config = config_of(['--config', str(path), '--impl', 'fused', '--seed', '0',
                              '--epoch', '2', '--n-train', '32', '--preset', 'blog'])
    assert (config.model.impl, config.run.seed) == ('fused', 0)
    assert (config.run.iteration, config.run.epoch, config.run.min_iteration) == (None, 2, 0)
    assert config.preset == 'blog' and config.optimizer.name == 'sgd'   # --preset under the file
    assert config.optimizer.lr == 0.5                                   # the file over --preset
    assert args.n_train == 32
    # --csv names its own data: the file's MNIST source is not used
    args, config = config_of(['--config', str(path), '--csv', 'x.csv'])
    assert args.csv == 'x.csv' and config.model.input == 'linear'


# ------------------------------------------------------------------ help

def help_text(capsys, *command):
    with pytest.raises(SystemExit):
        main(list(command) + ['--help'])
    return capsys.readouterr().out


def test_train_help_groups_flags_and_shows_preset_values(capsys):
    import re
    text = help_text(capsys, 'train')
    groups = re.findall(r'^(\S[^\n]*):$', text, re.M)
    assert [g for g in groups if g not in ('options', 'presets')] == [
        'settings', 'model', 'optimisation', 'MNIST data (without --csv)',
        'CSV data (instead of MNIST; see docs/csv.md)', 'run']
    flat = ' '.join(text.split())

    def section(title):
        start = text.index('\n{}:\n'.format(title))
        end = text.find('\n\n', start + 2)
        return text[start:end]
    assert '--data ' in section('MNIST data (without --csv)')
    assert '--csv FILE' not in section('MNIST data (without --csv)')
    assert '--features-per-step' in section('CSV data (instead of MNIST; see docs/csv.md)')
    assert '--lr ' in section('optimisation') and '--lr ' not in section('model')
    assert '--out ' in section('run') and '--hidden' in section('model')
    assert 'training [default 0; preset csv: 0.1]' in flat          # --input-noise
    assert '[default 0.01; preset blog: 1e-08;' in flat             # --lr
    assert 'presets irnn, irnn-permuted: 15000]' in flat            # --lr-decay-every


def test_preset_notes_come_from_presets_py(capsys, monkeypatch):
    from chainer_irnn.training import presets
    monkeypatch.setitem(presets.PRESETS, 'csv', dict(presets.PRESETS['csv'], input_noise=0.25))
    flat = ' '.join(help_text(capsys, 'train').split())
    assert '[default 0; preset csv: 0.25]' in flat
    flat = ' '.join(help_text(capsys, 'tune').split())          # tune shares the flags
    assert '[default 0; preset csv: 0.25]' in flat


def test_config_redoes_max_steps(tmp_path):
    """--max-steps is a data argument: settings.json records it and --config redoes it."""
    import json

    import numpy

    from chainer_irnn.cli import main
    rng = numpy.random.RandomState(0)
    rows = ['label,' + ','.join('x{}'.format(t) for t in range(10))]
    for _ in range(40):
        x = rng.randn(10)
        rows.append('{},{}'.format(int(x.mean() > 0), ','.join('{:.4f}'.format(v) for v in x)))
    (tmp_path / 'd.csv').write_text('\n'.join(rows) + '\n')
    first, again = tmp_path / 'a', tmp_path / 'b'
    assert main(['train', '--csv', str(tmp_path / 'd.csv'), '--max-steps', '4', '--epoch', '1',
                 '--min-iteration', '0', '--out', str(first), '--no-progress']) == 0
    assert json.loads((first / 'settings.json').read_text())['data_args']['max_steps'] == 4
    assert main(['train', '--config', str(first), '--out', str(again), '--no-progress']) == 0
    for out in (first, again):
        assert json.loads((out / 'model.json').read_text())['tabular']['window_mean'] == 3
