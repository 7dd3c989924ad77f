"""The wide layout's features per step, read from step-indexed column names."""
import os
import subprocess
import sys

import pytest

from chainer_irnn import errors, read_csv
from chainer_irnn.datasets.tabular import Options, Table
from chainer_irnn.datasets.tabular.layouts import group_steps

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize('names,k', [
    ('a1,b1,c1,a2,b2,c2', 3), ('x_0,y_0,x_1,y_1,x_2,y_2', 2),
    ('f1_t0,f2_t0,f3_t0,f1_t1,f2_t1,f3_t1', 3), ('t1,t2,t3,t4', 1), ('pixel0,pixel1', 1)])
def test_step_indexed_names_group(names, k):
    got, why = group_steps(names.split(','))
    assert got == k and 'from the column names' in why


@pytest.mark.parametrize('names,reason', [
    ('a,b,c', 'do not end in step numbers'),
    ('a1,a2,b1,b2', 'no step-by-step grouping'),      # feature-major: not guessed
    ('a1,b1,a2,c2', 'no step-by-step grouping'),      # different features per step
    ('a2,b2,a1,b1', 'no step-by-step grouping'),      # steps out of order
    ('x1', 'no step-by-step grouping')])
def test_names_that_do_not_tell_assume_one_and_say_how_to_change_it(names, reason):
    k, why = group_steps(names.split(','))
    assert k == 1 and reason in why and 'one feature per step assumed' in why
    assert 'features_per_step' in why
    with errors.naming({}):
        assert '--features-per-step' in group_steps(names.split(','))[1]


def test_no_header_assumes_one():
    k, why = group_steps(['1', '2'], header=False)
    assert k == 1 and 'no header' in why


def test_explicit_features_per_step_wins(tmp_path):
    path = tmp_path / 'x.csv'
    path.write_text('label,a1,b1,a2,b2\n0,1,2,3,4\n1,5,6,7,8\n')
    assert Table(str(path), Options()).n_features == 2
    table = Table(str(path), Options(features_per_step=1))
    assert table.n_features == 1
    table.read()
    assert 'features_per_step=1 given' in table.summary()


def test_toy_file_trains_as_20_steps_of_3_features(tmp_path, caplog):
    toy = tmp_path / 'toy.csv'
    subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'make_toy_csv.py'), str(toy),
                    '--n', '40'], check=True, capture_output=True)
    with caplog.at_level('INFO'):
        data = read_csv(str(toy))
    assert data.meta['in_size'] == 3 and data.train.X[0].shape == (20, 3)
    assert data.meta['tabular']['features_per_step'] == 3
    assert 'of 20 steps x 3 features (3 features per step from the column names ' \
           '(a1,b1,c1,a2,b2,c2,a3,...))' in caplog.text
