"""``chainer_irnn.baselines`` and ``chainer-irnn baseline`` (issue 23)."""
import numpy
import pytest

from chainer_irnn import cli
from chainer_irnn.baselines import baselines, table


def data(n=24, T=12, seed=0, shift=0):
    """Class 1 has a bump at step 3 (+ shift), class 0 none."""
    rng = numpy.random.RandomState(seed)
    y = numpy.arange(n) % 2
    x = rng.normal(0, 0.05, (n, T, 1))
    x[y == 1, 3 + shift:6 + shift, 0] += 2.0
    return [(x[i], int(y[i])) for i in range(n)]


def by_method(rows):
    return {r['method']: r for r in rows}


def test_majority_and_nearest_neighbours():
    train = data(24, seed=0)
    val = data(10, seed=1)[:7]            # 4 of class 0, 3 of class 1
    rows = by_method(baselines(train, val, methods=('majority', '1nn-euclidean')))
    assert rows['majority class']['validation'] == pytest.approx(4 / 7)
    assert rows['1-NN Euclidean']['validation'] == 1.0
    assert rows['1-NN Euclidean']['n_validation'] == 7 and 'test' not in rows['1-NN Euclidean']


def test_dtw_finds_a_shifted_bump_that_euclidean_misses():
    pytest.importorskip('numba')
    train = data(24, seed=0)
    test = data(24, seed=2, shift=5)      # the bump 5 steps later
    rows = by_method(baselines(train, None, test, methods=('1nn-euclidean', '1nn-dtw')))
    assert rows['1-NN DTW']['test'] == 1.0
    assert rows['1-NN Euclidean']['test'] < 0.9


def test_variable_lengths_are_padded_for_euclidean():
    train = [(x[:8 + i % 3], y) for i, (x, y) in enumerate(data(24, seed=0))]
    rows = by_method(baselines(train, train, methods=('1nn-euclidean',)))
    assert rows['1-NN Euclidean']['validation'] == 1.0


def test_a_method_that_cannot_run_says_why(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_aeon(name, *a, **k):
        if name.startswith('aeon'):
            raise ImportError('No module named aeon')
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, '__import__', no_aeon)
    row = baselines(data(), data(6, seed=1), methods=('minirocket',))[0]
    assert 'validation' not in row and row['note'].startswith('not run: needs aeon')
    assert 'not run: needs aeon' in table([row])


def test_cli_baseline_on_the_split_train_uses(tmp_path, capsys):
    rng = numpy.random.RandomState(0)
    lines = ['label,' + ','.join('t{}'.format(i) for i in range(10))]
    for i in range(40):
        x = rng.normal(0, 0.1, 10) + (i % 2) * numpy.r_[0, 0, 2, 2, 2, 0, 0, 0, 0, 0]
        lines.append('{},'.format(i % 2) + ','.join('{:.3f}'.format(v) for v in x))
    csv = tmp_path / 'd.csv'
    csv.write_text('\n'.join(lines) + '\n')
    test = tmp_path / 't.csv'
    test.write_text('\n'.join(lines[:1] + lines[1:11]) + '\n')
    model = str(tmp_path / 'm')
    assert cli.main(['train', '--csv', str(csv), '--out', model, '--iteration', '4',
                     '--no-progress', '--hidden', '4']) == 0
    capsys.readouterr()
    rc = cli.main(['baseline', '--csv', str(csv), '--test', str(test), '--methods',
                   'majority,1nn-euclidean', '--model', model])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert '36 training sequences; validation: validation = 10% stratified by label, seed 0' \
        in out
    assert 'validation (4)' in out and 'test (10)' in out
    rows = {line.split('  ')[0]: line.split() for line in out.splitlines()[2:]}
    assert rows['majority class'][2:4] == ['0.5000', '0.5000']
    assert rows['1-NN Euclidean'][2:4] == ['1.0000', '1.0000']
    assert any(k.startswith('IRNN (') for k in rows)
    rc = cli.main(['baseline', '--csv', str(csv), '--methods', 'knn'])
    _, err = capsys.readouterr()
    assert rc == 2 and err.strip().endswith("--methods: unknown 'knn' (choose from majority, "
                                            "1nn-euclidean, 1nn-dtw, minirocket)")


def test_cli_baseline_refuses_a_model_fed_otherwise(tmp_path, capsys):
    """A model trained on a reading of the file that baseline's flags do not
    repeat (another window averaging, another split) is refused, not scored
    on data it was never fed."""
    rng = numpy.random.RandomState(0)
    lines = ['label,' + ','.join('t{}'.format(i) for i in range(12))]
    for i in range(30):
        lines.append('{},'.format(i % 2) + ','.join('{:.3f}'.format(v)
                                                    for v in rng.normal(i % 2, 1, 12)))
    csv = tmp_path / 'd.csv'
    csv.write_text('\n'.join(lines) + '\n')
    model = str(tmp_path / 'm')
    assert cli.main(['train', '--csv', str(csv), '--out', model, '--iteration', '2',
                     '--no-progress', '--hidden', '4', '--ensemble', '1',
                     '--max-steps', '6']) == 0
    capsys.readouterr()
    for flags, message in (([], 'it averages each sequence over windows of 2 steps, this '
                                'reading of the file over 1: give baseline the --max-steps '
                                'that train was given'),
                           (['--max-steps', '6', '--seed', '3'],
                            'its feature means differ from those of this reading of the file')):
        rc = cli.main(['baseline', '--csv', str(csv), '--methods', 'majority', '--model',
                       model] + flags)
        _, err = capsys.readouterr()
        assert rc == 2 and message in err and 'Traceback' not in err, err
    assert cli.main(['baseline', '--csv', str(csv), '--methods', 'majority', '--model', model,
                     '--max-steps', '6']) == 0
