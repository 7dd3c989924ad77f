"""``chainer-irnn predict --images`` for models trained on MNIST."""
import numpy
import pandas
import pytest

from chainer_irnn.cli import main
from chainer_irnn.datasets import idx, mnist


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('model')
    assert main(['train', '--preset', 'irnn', '--data', 'embedded', '--n-train', '32',
                 '--n-test', '16', '--batchsize', '16', '--iteration', '2', '--no-progress',
                 '--permute', '5',
                 '--out', str(out)]) == 0
    return out


@pytest.fixture(scope='module')
def images():
    arrays = mnist.load_mnist('embedded', progress=False)
    return arrays.test_images[:5], arrays.test_labels[:5]


def predict(model_dir, tmp_path, *args):
    out = tmp_path / 'pred.csv'
    rc = main(['predict', '--model', str(model_dir), '--out', str(out)] + list(args))
    return rc, out


def test_idx_images_with_labels(model_dir, images, tmp_path, capsys):
    imgs, labels = images
    idx.write_idx(str(tmp_path / 'img.gz'), imgs, compress=True)
    idx.write_idx(str(tmp_path / 'lab'), labels.astype(numpy.uint8))
    rc, out = predict(model_dir, tmp_path, '--images', str(tmp_path / 'img.gz'),
                      '--labels', str(tmp_path / 'lab'))
    assert rc == 0
    frame = pandas.read_csv(out)
    assert list(frame.columns) == (['sequence_id', 'predicted_label']
                                   + ['p_{}'.format(i) for i in range(10)] + ['true_label'])
    assert list(frame.sequence_id) == [0, 1, 2, 3, 4]
    probs = frame[['p_{}'.format(i) for i in range(10)]].to_numpy()
    numpy.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-4)
    assert (frame.predicted_label == probs.argmax(axis=1)).all()
    assert list(frame.true_label) == [int(t) for t in labels]
    assert 'accuracy' in capsys.readouterr().err


def test_npy_and_png_give_the_same_predictions(model_dir, images, tmp_path):
    import matplotlib.image
    imgs, _ = images
    numpy.save(str(tmp_path / 'img.npy'), imgs.reshape(5, 784))
    rc, out = predict(model_dir, tmp_path, '--images', str(tmp_path / 'img.npy'))
    assert rc == 0
    from_npy = pandas.read_csv(out)
    matplotlib.image.imsave(str(tmp_path / 'one.png'), imgs[2], cmap='gray', vmin=0, vmax=255)
    rc, out = predict(model_dir, tmp_path, '--images', str(tmp_path / 'one.png'))
    assert rc == 0
    from_png = pandas.read_csv(out)
    assert len(from_png) == 1
    numpy.testing.assert_allclose(from_png.iloc[0, 2:].to_numpy(float),
                                  from_npy.iloc[2, 2:].to_numpy(float), atol=1e-3)


@pytest.mark.parametrize('make, message', [
    (lambda d: numpy.save(str(d / 'bad.npy'), numpy.zeros((3, 27, 28))), 'expected (N, 28, 28)'),
    (lambda d: numpy.save(str(d / 'bad.npy'), numpy.full((1, 784), 300)), '0..255'),
    (lambda d: (d / 'bad.npy').write_bytes(b'garbage'), 'not a readable .npy'),
    (lambda d: (d / 'bad.idx').write_bytes(b'\x00\x00\x08\x03\x00\x00'), 'bad.idx'),
])
def test_bad_image_files(model_dir, tmp_path, capsys, make, message):
    make(tmp_path)
    name = 'bad.idx' if message == 'bad.idx' else 'bad.npy'
    rc, out = predict(model_dir, tmp_path, '--images', str(tmp_path / name))
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err and 'Traceback' not in err
    assert not out.exists()


def test_png_of_wrong_size(model_dir, tmp_path, capsys):
    import matplotlib.image
    matplotlib.image.imsave(str(tmp_path / 'big.png'), numpy.zeros((30, 30)), cmap='gray')
    rc, _ = predict(model_dir, tmp_path, '--images', str(tmp_path / 'big.png'))
    assert rc == 2
    assert '30x30' in capsys.readouterr().err
