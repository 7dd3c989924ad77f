"""The onnxruntime examples of docs/export.md run as written, as a user runs
them (a fresh Python process in a folder holding the files they name), and
print what ``predict`` gives."""
import ast
import os
import re
import subprocess
import sys

import numpy
import pytest

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

from chainer_irnn import models  # noqa: E402
from chainer_irnn.cli import main  # noqa: E402
from chainer_irnn.predictor import Predictor, load_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, 'docs', 'export.md')


def example(name):
    text = open(DOC, encoding='utf-8').read()
    m = re.search(r'<!-- ci: {} -->\n```python\n(.*?)```'.format(re.escape(name)), text, re.S)
    assert m, 'docs/export.md has no example {!r}'.format(name)
    code = m.group(1)
    assert len(code.strip().splitlines()) == 5, 'the examples are promised at five lines'
    return code


def run(code, cwd):
    r = subprocess.run([sys.executable, '-c', code], cwd=str(cwd), capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert r.returncode == 0, r.stderr
    return r.stdout


def printed_array(text):
    """The array numpy printed (``[1 2 3]`` or ``[[0.1 0.9] ...]``)."""
    body = re.sub(r'(?<=[\d.e+-])\s+(?=[-\d\[])', ', ', ' '.join(text.split()))
    return numpy.asarray(ast.literal_eval(body.replace('] [', '], [')))


def test_mnist_example(tmp_path):
    from chainer_irnn.datasets import mnist
    model = os.path.join(ROOT, 'models', 'irnn-pixel')
    assert main(['export', '--model', model, '--onnx', str(tmp_path / 'irnn-pixel.onnx')]) == 0
    images = mnist.load_mnist('embedded', progress=False).test_images[:12]
    numpy.save(str(tmp_path / 'digits.npy'), images)
    got = printed_array(run(example('onnx-example'), tmp_path))
    expected = load_model(model).predict(images.reshape(12, 784))
    assert got.tolist() == [int(c) for c in expected]
    assert len(set(got.tolist())) > 3          # real digits, not one class


def test_lengths_example(tmp_path):
    config = {'model': 'irnn', 'in_size': 3, 'hidden': [8, 6], 'input': 'linear',
              'activation': 'relu', 'identity_scale': 1.0, 'input_std': 0.5, 'n_class': 3,
              'tabular': {'classes': ['low', 'mid', 'high'], 'mean': [1.0, 0.5, -0.5],
                          'std': [0.5, 1.0, 2.0], 'fill': None, 'standardize': True}}
    numpy.random.seed(0)    # the initialisers draw from the global generator
    model = models.build_model(config)
    rng = numpy.random.RandomState(0)
    for _, p in sorted(model.namedparams()):
        p.array[...] += rng.normal(0, 0.3, p.shape).astype(numpy.float32)
    pred = Predictor(model, config)
    pred.to_onnx(str(tmp_path / 'toy.onnx'))
    got = printed_array(run(example('onnx-lengths'), tmp_path))
    a, b = numpy.arange(21.0).reshape(7, 3) / 10, -numpy.ones((4, 3))
    expected = pred.predict_proba([a, b])
    assert got.shape == (2, 3)
    numpy.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    # the padding is not read: the second sequence alone gives the same row
    numpy.testing.assert_allclose(got[1], pred.predict_proba([b])[0], rtol=0, atol=1e-5)
    assert numpy.abs(got[0] - got[1]).max() > 1e-3
