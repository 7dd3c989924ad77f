"""The reliability audit's cases (issue 17): each ends in a correct result or
a one-line error with exit status 2 — no traceback, nothing silently wrong."""
import gzip
import os
import subprocess
import sys

import numpy
import pandas as pd
import pytest

from chainer_irnn import cli
from chainer_irnn.training.lock import RunLock

FAST = ['--iteration', '4', '--no-progress', '--hidden', '6', '--batchsize', '8', '--ensemble', '1']


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert 'Traceback' not in err
    return rc, out, err


def long_file(path, order=('a', 'b'), extra=None, n=24, steps=4, scale=1.0, labels=('0', '1')):
    rng = numpy.random.RandomState(0)
    x = rng.normal(size=(n, steps, 2)).round(3) * scale
    head = ['id', 't'] + list(order) + (['extra'] if extra else []) + ['label']
    rows = []
    for i in range(n):
        y = labels[int(x[i, :, 0].sum() > x[i, :, 1].sum())]
        for t in range(steps):
            vals = {'a': x[i, t, 0], 'b': x[i, t, 1]}
            row = ['s{}'.format(i), str(t)] + ['{:g}'.format(vals[c]) for c in order]
            if extra:
                row.append('7')
            rows.append(','.join(row + [y]))
    path.write_text(','.join(head) + '\n' + '\n'.join(rows) + '\n')
    return str(path)


@pytest.fixture
def model(tmp_path, capsys):
    csv = long_file(tmp_path / 'train.csv')
    out = str(tmp_path / 'm')
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', out, *FAST)
    assert rc == 0, err
    return out


def predict(capsys, model, csv, out):
    rc, _, err = run(capsys, 'predict', '--model', model, '--csv', csv, '--out', out)
    return rc, err


# 1 -------------------------------------------------------- features by name

def test_predict_maps_features_by_name(tmp_path, capsys, model):
    same = long_file(tmp_path / 'same.csv')
    swapped = long_file(tmp_path / 'swapped.csv', order=('b', 'a'))
    extra = long_file(tmp_path / 'extra.csv', extra=True)
    outs = []
    for i, csv in enumerate((same, swapped, extra)):
        out = str(tmp_path / 'p{}.csv'.format(i))
        rc, err = predict(capsys, model, csv, out)
        assert rc == 0, err
        outs.append(pd.read_csv(out))
        if csv == extra:
            assert "'extra' left out (not features of the model)" in err
    pd.testing.assert_frame_equal(outs[0], outs[1])
    pd.testing.assert_frame_equal(outs[0], outs[2])


def test_predict_names_a_missing_feature(tmp_path, capsys, model):
    csv = tmp_path / 'renamed.csv'
    csv.write_text(open(long_file(tmp_path / 'x.csv')).read().replace(',b,', ',B,', 1))
    rc, err = predict(capsys, model, str(csv), str(tmp_path / 'p.csv'))
    assert rc == 2 and "renamed.csv, line 1: no feature column 'b'" in err, err
    assert not (tmp_path / 'p.csv').exists()


# 2 -------------------------------------------------- values beyond float32

@pytest.mark.parametrize('value', ['1e308', '1e39', '-4e38'])
def test_values_beyond_float32_are_refused_with_their_place(tmp_path, capsys, model, value):
    text = open(long_file(tmp_path / 'x.csv')).read().splitlines()
    cells = text[3].split(',')
    cells[3] = value                                   # line 4, column 4 (b)
    text[3] = ','.join(cells)
    bad = tmp_path / 'bad.csv'
    bad.write_text('\n'.join(text) + '\n')
    rc, err = predict(capsys, model, str(bad), str(tmp_path / 'p.csv'))
    assert rc == 2 and 'bad.csv, line 4, column 4' in err and 'float32' in err, err
    rc, _, err = run(capsys, 'train', '--csv', str(bad), '--out', str(tmp_path / 't'), *FAST)
    assert rc == 2 and 'bad.csv, line 4, column 4' in err, err


# 3 -------------------------------------------------- one run per folder

def test_a_second_run_into_a_held_folder_is_refused(tmp_path, capsys):
    csv = long_file(tmp_path / 'train.csv')
    out = str(tmp_path / 'shared')
    with RunLock(out):
        rc, _, err = run(capsys, 'train', '--csv', csv, '--out', out, *FAST)
    assert rc == 2 and 'another run (pid {})'.format(os.getpid()) in err, err
    assert not os.path.exists(os.path.join(out, 'model.npz'))
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', out, *FAST)   # released
    assert rc == 0, err


def test_a_crashed_holder_leaves_no_stale_lock(tmp_path):
    out = str(tmp_path / 'o')
    code = ('import os, sys; sys.path.insert(0, {!r}); from chainer_irnn.training.lock import '
            'RunLock; RunLock({!r}).__enter__(); os._exit(9)').format(
                os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                out)
    assert subprocess.run([sys.executable, '-c', code]).returncode == 9
    assert os.path.exists(os.path.join(out, '.lock.pid'))     # it died holding the lock
    with RunLock(out) as lock:                                 # the OS released it
        assert lock.holder() == os.getpid()


# 4 -------------------------------------------------- damaged files

DAMAGE = {'text': b'hello\n', 'empty': b'', 'zip end only': b'PK\x05\x06' + b'\0' * 18}


@pytest.mark.parametrize('kind', sorted(DAMAGE))
def test_damaged_model_is_a_one_line_error(tmp_path, capsys, model, kind):
    with open(os.path.join(model, 'model.npz'), 'wb') as f:
        f.write(DAMAGE[kind])
    csv = long_file(tmp_path / 'x.csv')
    rc, err = predict(capsys, model, csv, str(tmp_path / 'p.csv'))
    assert rc == 2 and 'model.npz' in err and len(err.strip().splitlines()) == 1, err


def test_bytes_flipped_inside_a_model_are_a_one_line_error(tmp_path, capsys, model):
    path = os.path.join(model, 'model.npz')
    data = bytearray(open(path, 'rb').read())
    for i in range(40, len(data) - 40, 97):          # inside the compressed members
        data[i] ^= 0xFF
    open(path, 'wb').write(bytes(data))
    rc, err = predict(capsys, model, long_file(tmp_path / 'x.csv'), str(tmp_path / 'p.csv'))
    assert rc == 2 and 'model.npz' in err, err


def test_resume_falls_back_past_a_damaged_snapshot(tmp_path, capsys):
    csv = long_file(tmp_path / 'train.csv')
    out = str(tmp_path / 'r')
    args = ['train', '--csv', csv, '--out', out, '--no-progress', '--hidden', '6',
            '--batchsize', '8', '--snapshot-interval', '2', '--ensemble', '1']
    rc, _, err = run(capsys, *args, '--iteration', '4')
    assert rc == 0, err
    with open(os.path.join(out, 'snapshot_iter_4'), 'wb') as f:
        f.write(b'hello\n')
    rc, _, err = run(capsys, *args, '--iteration', '6')
    assert rc == 0, err
    assert 'skipping a damaged snapshot' in err and 'snapshot_iter_4' in err
    assert 'resumed from {}'.format(os.path.join(out, 'snapshot_iter_2')) in err


# 5 -------------------------------------------------- compressed files

def test_gzipped_file_with_an_empty_last_cell_is_not_ragged(tmp_path, capsys):
    text = 'label,a,b,c\n0,1,2,3\n1,4,5,6\n0,7,8,\n1,1,2,3\n0,3,2,1\n1,6,5,4\n0,1,1,\n1,2,2,2\n'
    plain, packed = tmp_path / 'g.csv', tmp_path / 'g.csv.gz'
    plain.write_text(text)
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (plain, packed):
        rc, _, err = run(capsys, 'train', '--csv', str(path),
                         '--out', str(tmp_path / (path.name + '.out')),
                         '--fill', 'zero', '--val-split', '0', *FAST)
        assert rc == 0, err


def test_gzipped_file_with_a_short_row_is_ragged(tmp_path, capsys):
    text = 'label,a,b,c\n0,1,2,3\n1,4,5\n0,7,8,9\n'
    packed = tmp_path / 'h.csv.gz'
    packed.write_bytes(gzip.compress(text.encode()))
    rc, _, err = run(capsys, 'train', '--csv', str(packed), '--out', str(tmp_path / 'o'),
                     '--fill', 'zero', *FAST)
    assert rc == 2 and 'h.csv.gz, line 3, column 4: ragged row' in err, err


# 6 -------------------------------------------------- labels are values

def test_labels_compare_as_values(tmp_path, capsys, model):
    floats = long_file(tmp_path / 'f.csv', labels=('0.0', '1.0'))
    rc, err = predict(capsys, model, floats, str(tmp_path / 'p.csv'))
    ints = long_file(tmp_path / 'i.csv')
    rc2, err2 = predict(capsys, model, ints, str(tmp_path / 'q.csv'))
    assert rc == rc2 == 0
    acc = err.split('accuracy ')[1].split()[0]
    assert acc == err2.split('accuracy ')[1].split()[0] and float(acc) > 0, err
    # in training, 1 and 1.0 are one class
    text = open(ints).read().replace(',1\n', ',1.0\n', 3)
    mixed = tmp_path / 'mixed.csv'
    mixed.write_text(text)
    rc, _, err = run(capsys, 'train', '--csv', str(mixed), '--out', str(tmp_path / 'mx'), *FAST)
    classes_line = next(line for line in err.splitlines() if 'classes 0: ' in line)
    assert rc == 0 and '1.0' not in classes_line.split('classes')[1], err


def test_a_missing_label_token_is_not_a_class(tmp_path, capsys):
    text = open(long_file(tmp_path / 'x.csv')).read().splitlines()
    text[5] = text[5].rsplit(',', 1)[0] + ',NA'
    bad = tmp_path / 'na.csv'
    bad.write_text('\n'.join(text) + '\n')
    rc, _, err = run(capsys, 'train', '--csv', str(bad), '--out', str(tmp_path / 'o'), *FAST)
    assert rc == 2 and "na.csv, line 6, column 5: missing label ('NA'" in err, err


# 7 -------------------------------------------------- predict --out

def test_predict_out_must_be_a_writable_new_file(tmp_path, capsys, model):
    csv = long_file(tmp_path / 'x.csv')
    before = open(csv).read()
    for out, words in ((tmp_path / 'no' / 'p.csv', 'does not exist'),
                       (tmp_path, 'is a directory'),
                       (csv, 'is the input file')):
        rc, err = predict(capsys, model, csv, str(out))
        assert rc == 2 and words in err and '--out' in err, err
    assert open(csv).read() == before


# 8 -------------------------------------------------- rollback history

def test_truncated_rollback_history_is_a_one_line_error(tmp_path, capsys):
    csv = long_file(tmp_path / 'train.csv')
    out = tmp_path / 'rb'
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', str(out), *FAST)
    assert rc == 0, err                     # a run of this tool's, then its history damaged
    (out / 'rollbacks.json').write_text('[{')
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', str(out), *FAST)
    assert rc == 2 and 'rollbacks.json: not a readable rollback history' in err, err
    # a folder that is no run of ours is refused before anything in it is read
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'rollbacks.json').write_text('[{')
    rc, _, err = run(capsys, 'train', '--csv', csv, '--out', str(other), *FAST)
    assert rc == 2 and 'no run.json' in err and (other / 'rollbacks.json').exists(), err


# 9 -------------------------------------------------- a hint for the separator

def test_semicolon_file_gets_a_sep_hint(tmp_path, capsys):
    bad = tmp_path / 'semi.csv'
    bad.write_text('label;a;b\n0;1;2\n1;3;4\n')
    rc, _, err = run(capsys, 'train', '--csv', str(bad), '--out', str(tmp_path / 'o'), *FAST)
    assert rc == 2 and 'semicolon-separated: set --sep ;' in err, err
