"""What a GPU run sends to the device, checked on the CPU with a recording
device: every array the model sees goes through ``device.send``, so that on
``@cupy:0`` nothing reaches the fused node as a host array.  (Here rather than
in training_tests because it guards the fused node's GPU path; what cannot
be checked without a GPU is listed in docs/performance.md.)"""
import numpy

import chainer

from chainer_irnn.training.converter import sequence_converter


class RecordingDevice(chainer.backend.CpuDevice):
    """A CPU device that records what is sent to it."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, arrays):
        self.sent.append(arrays)
        return super().send(arrays)


def test_converter_sends_every_array():
    batch = [(numpy.arange(5, dtype=numpy.int32), 1), (numpy.arange(3, dtype=numpy.int32), 2)]
    device = RecordingDevice()
    xs, lengths, t = sequence_converter(batch, device)
    assert len(device.sent) == 3
    assert [a.shape for a in device.sent] == [(2, 5), (2,), (2,)]
    assert lengths.tolist() == [5, 3] and t.tolist() == [1, 2]
    device = RecordingDevice()
    xs, lengths, t = sequence_converter(batch[:1], device)   # equal lengths: None
    assert lengths is None and len(device.sent) == 2
