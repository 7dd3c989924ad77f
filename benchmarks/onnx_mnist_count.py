"""Counts the correct predictions of an exported MNIST model in onnxruntime
alone (no Chainer): the 10000 official test images, read from their IDX files.

    chainer-irnn export --model models/irnn-pixel --onnx irnn-pixel.onnx
    python benchmarks/onnx_mnist_count.py irnn-pixel.onnx /work/shared/mnist

The model must read pixels as tokens (the ``pixels`` view, no permutation):
input ``x`` (batch, 784) int64 intensities 0..255 in row-major order.
docs/export.md gives the count measured for models/irnn-pixel.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    return numpy.frombuffer(data, numpy.uint8, offset=4 + 4 * ndim).reshape(shape)


def find(folder, stem):
    for name in (stem, stem + '.gz', stem.replace('-idx', '.idx'),
                 stem.replace('-idx', '.idx') + '.gz'):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    sys.exit('{}: no {} (raw or .gz)'.format(folder, stem))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('onnx', help='the exported model')
    parser.add_argument('data', help='a folder with t10k-images-idx3-ubyte[.gz] and labels')
    parser.add_argument('--batchsize', type=int, default=500)
    args = parser.parse_args()
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.log_severity_level = 3
    sess = ort.InferenceSession(args.onnx, options, providers=['CPUExecutionProvider'])
    meta = sess.get_modelmeta().custom_metadata_map
    description = json.loads(meta['model.json'])
    if description.get('view') != 'pixels' or description.get('permutation') is not None:
        sys.exit('{}: not a model of MNIST pixels in their order (view {!r})'.format(
            args.onnx, description.get('view')))
    classes = json.loads(meta['classes'])
    images = read_idx(find(args.data, 't10k-images-idx3-ubyte'))
    labels = read_idx(find(args.data, 't10k-labels-idx1-ubyte'))
    X = images.reshape(len(images), -1).astype(numpy.int64)
    start = time.perf_counter()
    pred = numpy.concatenate([sess.run(None, {'x': X[i:i + args.batchsize]})[0].argmax(1)
                              for i in range(0, len(X), args.batchsize)])
    seconds = time.perf_counter() - start
    correct = int(sum(classes[p] == str(t) for p, t in zip(pred, labels)))
    print('{}: {}/{} correct ({:.2f}%) in onnxruntime {}, {:.1f} s'.format(
        args.onnx, correct, len(X), 100.0 * correct / len(X), ort.__version__, seconds))


if __name__ == '__main__':
    main()
