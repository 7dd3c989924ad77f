"""model.json names what its reader must apply (``"requires"``): a release
that does not know one of them refuses the file instead of predicting with
another model (before, an older reader silently read a pooled or window-
averaged model as a last-state model on raw steps)."""
import json

import numpy
import pytest

from chainer_irnn import load_model
from chainer_irnn.errors import UserError
from chainer_irnn.models import FEATURES, build_model, check_description, requirements, \
    save_model

BASE = {'model': 'irnn', 'input': 'linear', 'hidden': [4], 'activation': 'relu',
        'identity_scale': 1.0, 'input_std': 0.001, 'in_size': 2, 'n_class': 2}


def saved(tmp_path, **changes):
    config = dict(BASE, **changes)
    save_model(build_model(config), config, str(tmp_path))
    return json.loads((tmp_path / 'model.json').read_text())


def test_a_plain_model_requires_nothing(tmp_path):
    assert 'requires' not in saved(tmp_path)
    assert 'requires' not in saved(tmp_path, pool='last', ensemble=1)
    assert 'requires' not in saved(tmp_path, bidirectional=False)


@pytest.mark.parametrize('changes, needs', [
    ({'pool': 'mean'}, ['pool']),
    ({'ensemble': 2}, ['ensemble']),
    ({'tabular': {'classes': ['a', 'b'], 'mean': [0.0, 0.0], 'std': [1.0, 1.0],
                  'window_mean': 3}}, ['window_mean']),
    ({'pool': 'max', 'ensemble': 3}, ['ensemble', 'pool']),
    ({'bidirectional': True}, ['bidirectional']),
    ({'bidirectional': True, 'pool': 'mean', 'ensemble': 2},
     ['ensemble', 'pool', 'bidirectional']),
])
def test_what_the_model_uses_is_written_and_loads(tmp_path, changes, needs):
    assert requirements(dict(BASE, **changes)) == needs
    written = saved(tmp_path, **changes)
    assert written['requires'] == needs
    assert load_model(str(tmp_path)).description['requires'] == needs


def test_a_stale_requires_in_the_config_is_recomputed(tmp_path):
    assert 'requires' not in saved(tmp_path, requires=['pool'])
    assert saved(tmp_path, pool='mean', requires=[])['requires'] == ['pool']


def test_an_unknown_requirement_is_refused_naming_it(tmp_path):
    saved(tmp_path, pool='mean')
    config = json.loads((tmp_path / 'model.json').read_text())
    config['requires'] = ['pool', 'attention']
    with pytest.raises(UserError, match=r"model.json: the model needs the feature 'attention', "
                                        r'which chainer-irnn \S+ does not know: it was saved '
                                        r'by a newer release; upgrade'):
        check_description(config, 'model.json')
    # the same through a model file whose both descriptions say so
    config = dict(BASE, requires=['attention', 'convolution'])
    save_model(build_model(BASE), BASE, str(tmp_path))
    npz = numpy.load(str(tmp_path / 'model.npz'))
    arrays = {k: npz[k] for k in npz.files}
    text = json.dumps(config)
    arrays['chainer_irnn.model.json'] = numpy.frombuffer(text.encode(), numpy.uint8)
    numpy.savez(str(tmp_path / 'model.npz'), **arrays)
    (tmp_path / 'model.json').write_text(text)
    with pytest.raises(UserError, match="needs features 'attention', 'convolution'"):
        load_model(str(tmp_path))


@pytest.mark.parametrize('value', ['pool', [1], None, {'pool': 1}])
def test_a_malformed_requires_is_refused(value):
    with pytest.raises(UserError, match='requires .* must be a list of feature names'):
        check_description(dict(BASE, requires=value))


def test_every_known_feature_is_one_requirements_can_name():
    full = dict(BASE, pool='mean', ensemble=2, bidirectional=True,
                tabular={'classes': ['a', 'b'], 'mean': [0.0, 0.0], 'std': [1.0, 1.0],
                         'window_mean': 2})
    assert sorted(requirements(full)) == sorted(FEATURES)


def test_a_directory_entry_claiming_an_unknown_zip_version_is_one_line(tmp_path):
    """Bytes flipped in model.npz's central directory can make zipfile raise
    NotImplementedError ("zip file version 21.0"; found by the reliability
    test's byte flipping): a UserError naming the file, not a traceback."""
    saved(tmp_path)
    path = tmp_path / 'model.npz'
    data = bytearray(path.read_bytes())
    at = data.index(b'PK\x01\x02')             # the first central directory entry
    data[at + 6:at + 8] = (210).to_bytes(2, 'little')     # version needed: 21.0
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r'model.npz: not a readable model file \(not an npz '
                                        r'archive: zip file version 21.0\)'):
        load_model(str(tmp_path))
