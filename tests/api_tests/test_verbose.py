"""Long work shows life: a verbose fit logs where no logging is set up, and
predict_file logs its pace."""
import logging

import numpy

from chainer_irnn import IRNNClassifier
from chainer_irnn import predictor as predictor_mod


def data(n=24, steps=4, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.normal(size=(n, steps, 2)).astype(numpy.float32)
    return x, (x[:, :, 0].sum(axis=1) > 0).astype(int)


def test_a_verbose_fit_shows_the_run_and_a_quiet_one_does_not(capsys, monkeypatch):
    monkeypatch.setattr(logging.getLogger(), 'handlers', [])    # as in a fresh Python
    x, y = data()
    IRNNClassifier(hidden=(4,), epoch=1, min_iteration=0, verbose=False).fit(x, y)
    quiet = capsys.readouterr()
    assert quiet.err == '' and quiet.out == ''
    IRNNClassifier(hidden=(4,), epoch=1, min_iteration=0, verbose=True).fit(x, y)
    loud = capsys.readouterr()
    assert 'chainer-irnn: ' in loud.err and 'main/loss' in loud.out
    assert not logging.getLogger('chainer_irnn').handlers     # undone after the fit


def test_predict_file_logs_its_pace(tmp_path, caplog, monkeypatch):
    from chainer_irnn import read_csv
    x, y = data(n=40)
    rows = ['id,t,a,b,label'] + ['{},{},{},{},{}'.format(i, t, x[i, t, 0], x[i, t, 1], y[i])
                                 for i in range(40) for t in range(4)]
    (tmp_path / 'x.csv').write_text('\n'.join(rows) + '\n')
    data_ = read_csv(str(tmp_path / 'x.csv'))
    IRNNClassifier(hidden=(4,), epoch=1, min_iteration=0).fit(data_.train).save(
        str(tmp_path / 'm'))
    monkeypatch.setattr(predictor_mod._Progress, 'interval', 0.0)
    caplog.set_level('INFO', logger='chainer_irnn')
    pred = predictor_mod.load_model(str(tmp_path / 'm'))
    pred.predict_file(str(tmp_path / 'x.csv'), str(tmp_path / 'p.csv'), chunksize=40,
                      batchsize=8)
    assert 'predicted 40 sequences so far (' in caplog.text


def test_a_model_fitted_on_arrays_says_it_cannot_read_a_csv_file(tmp_path):
    import pytest
    from chainer_irnn.errors import UserError
    x, y = data()
    clf = IRNNClassifier(hidden=(4,), epoch=1, min_iteration=0).fit(x, y)
    clf.save(str(tmp_path / 'm'))
    (tmp_path / 'x.csv').write_text('id,a,b\n0,1,2\n')
    with pytest.raises(UserError, match='fitted on arrays'):
        predictor_mod.load_model(str(tmp_path / 'm')).predict_file(
            str(tmp_path / 'x.csv'), str(tmp_path / 'p.csv'))
