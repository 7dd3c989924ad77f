"""Exporting trained models to other formats: :mod:`chainer_irnn.export.onnx`."""
