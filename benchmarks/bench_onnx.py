"""Inference speed on the CPU: onnxruntime on the exported graph against our
own ``Predictor.predict_proba``, at batch 1 and 256 (docs/export.md).

    OMP_NUM_THREADS=1 python benchmarks/bench_onnx.py --repeat 5

Two models: the shipped ``models/irnn-pixel`` (784 steps, EmbedID(256, 100),
100 ReLU units) on test images of the embedded MNIST subset, and a CSV-shaped
model built here with random weights (3 features x 100 steps, hidden (100,
50)).  Each timing is the median of ``--repeat`` runs, the two sides
interleaved; onnxruntime runs with ``--ort-threads`` intra-op threads (1 by
default, like our BLAS under ``OMP_NUM_THREADS=1``).  The largest
difference of probabilities is printed too.
"""
import argparse
import os
import tempfile
import time

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def interleaved(fns, repeat):
    """Median seconds of each function, run in turns; and their last results."""
    times, outs = [[] for _ in fns], [None] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            outs[i] = fn()
            times[i].append(time.perf_counter() - start)
    return [float(numpy.median(t)) for t in times], outs


def models_to_run():
    from chainer_irnn import models
    from chainer_irnn.datasets import mnist
    from chainer_irnn.predictor import Predictor, load_model
    images = mnist.load_mnist('embedded', progress=False).test_images[:256]
    yield ('irnn-pixel (784 steps, 100 units)',
           load_model(os.path.join(ROOT, 'models', 'irnn-pixel')),
           images.reshape(len(images), 784).astype(numpy.int64))
    config = {'model': 'irnn', 'in_size': 3, 'hidden': [100, 50], 'input': 'linear',
              'activation': 'relu', 'identity_scale': 1.0, 'input_std': 0.1, 'n_class': 5,
              'tabular': {'classes': list('abcde'), 'mean': [0.0] * 3, 'std': [1.0] * 3,
                          'fill': None, 'standardize': True}}
    rng = numpy.random.RandomState(0)
    model = models.build_model(config)
    for _, p in sorted(model.namedparams()):
        p.array[...] += rng.normal(0, 0.05, p.shape).astype(numpy.float32)
    yield ('CSV-shaped (100 steps x 3 features, hidden 100,50)', Predictor(model, config),
           rng.normal(size=(256, 100, 3)).astype(numpy.float32))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--ort-threads', type=int, default=1)
    args = parser.parse_args()
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = args.ort_threads
    print('| model | batch | predict (ms) | onnxruntime (ms) | speed-up | max abs diff |')
    print('|---|---:|---:|---:|---:|---:|')
    for name, pred, X in models_to_run():
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'm.onnx')
            pred.to_onnx(path)
            sess = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        for batch in (1, 256):
            xb = X[:batch]
            pred.predict_proba(xb)                    # warm-up: compile, caches
            sess.run(None, {'x': xb})
            (t_ours, t_ort), (a, b) = interleaved(
                [lambda: pred.predict_proba(xb, batchsize=256),
                 lambda: sess.run(None, {'x': xb})[0]], args.repeat)
            print('| {} | {} | {:.1f} | {:.1f} | {:.1f}x | {:.1g} |'.format(
                name, batch, 1e3 * t_ours, 1e3 * t_ort, t_ours / t_ort,
                numpy.abs(a - b).max()), flush=True)


if __name__ == '__main__':
    main()
