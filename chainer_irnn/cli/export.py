"""``chainer-irnn export``: a saved model as an ONNX file (docs/export.md).

The graph takes the raw inputs ``x`` (and optionally ``lengths``) and returns
class probabilities; :mod:`chainer_irnn.export.onnx` describes it.
"""
import os

from chainer_irnn import errors
from chainer_irnn.cli import common


def add_parser(sub):
    from chainer_irnn.export.onnx import OPSET
    p = sub.add_parser('export', help='export a saved model to ONNX',
                       description='Write a saved IRNN classifier as an ONNX graph: raw '
                                   'inputs in (the training standardisation inside), class '
                                   'probabilities out.')
    p.add_argument('--model', '-m', required=True,
                   help='a directory written by train, or its model.npz')
    p.add_argument('--onnx', required=True, metavar='FILE', help='the ONNX file to write')
    p.add_argument('--opset', type=common.positive_int, default=OPSET,
                   help='ONNX operator set (default {}; 15 or later)'.format(OPSET))
    return p


def run(args):
    from chainer_irnn.predictor import load_model

    with errors.naming(dict(common.FLAGS, path='--onnx')):
        predictor = load_model(args.model)
        proto = predictor.to_onnx(args.onnx, opset=args.opset)
    inputs = ', '.join('{} {}'.format(i.name, _shape(i)) for i in proto.graph.input)
    print('wrote {} ({} bytes, opset {}): inputs {}; output {} {}'.format(
        args.onnx, os.path.getsize(args.onnx), args.opset, inputs,
        proto.graph.output[0].name, _shape(proto.graph.output[0])))
    return 0


def _shape(info):
    from onnx import TensorProto
    dims = [d.dim_param or str(d.dim_value) if (d.dim_param or d.dim_value) else '?'
            for d in info.type.tensor_type.shape.dim]
    return '{}({})'.format(TensorProto.DataType.Name(info.type.tensor_type.elem_type).lower(),
                           ', '.join(dims))
