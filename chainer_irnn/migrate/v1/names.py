"""Names and small helpers shared by the rule families of
:mod:`chainer_irnn.migrate.chainer_v1`: the Chainer 1.x names the rules look
for, dotted names and source text of LibCST nodes, and the check of a name
against the installed Chainer 7.
"""
import importlib
import importlib.util
import os
import sys

import libcst as cst

V1_LINKS = ('Linear', 'EmbedID', 'Convolution2D', 'BatchNormalization',
            'NegativeSampling', 'BinaryHierarchicalSoftmax', 'PReLU',
            'Bilinear', 'Parameter')
# 1.x function objects (F.ReLU(), F.AveragePooling2D(...)): see compat.v1.function_objects
FUNCTION_OBJECTS = ('ReLU', 'Sigmoid', 'Tanh', 'Softmax', 'LeakyReLU', 'AveragePooling2D',
                    'MaxPooling2D')
TRAIN_FUNCTIONS = ('dropout', 'zoneout', 'simplified_dropconnect', 'rrelu',
                   'gaussian')
PARAM_ATTRS = ('W', 'b', 'gamma', 'beta')


def _dotted(node):
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return None if head is None else head + '.' + node.attr.value
    return None


def _is_param(node):
    """``f.W`` / ``f.b`` / ... (not ``self.W``)."""
    return isinstance(node, cst.Attribute) and node.attr.value in PARAM_ATTRS and \
        _dotted(node.value) != 'self'


def _installed_chainer(origin):
    """``origin`` (a file of the ``chainer`` package) is an installed Chainer:
    under the interpreter's prefixes or a site-packages folder, not a script's
    ``chainer.py`` or ``chainer/`` that shadows it from the current folder."""
    origin = os.path.realpath(origin)
    parts = origin.split(os.sep)
    if 'site-packages' in parts or 'dist-packages' in parts:
        return True
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(os.path.commonpath([origin, p]) == p for p in prefixes)


def _import_chainer(module):
    """Import ``module`` (``chainer`` or ``chainer.*``) to check a name against
    Chainer 7, only from the installed Chainer: migrating never imports (and so
    never runs) the user's code.  None when that cannot be done safely."""
    if module != 'chainer' and not module.startswith('chainer.'):
        return None
    top = sys.modules.get('chainer')
    if top is None:
        spec = importlib.util.find_spec('chainer')   # finds; executes nothing
        if spec is None or not spec.origin or not _installed_chainer(spec.origin):
            return None
    elif not getattr(top, '__file__', None) or not _installed_chainer(top.__file__):
        return None
    return importlib.import_module(module)


def _expr(code):
    return cst.parse_expression(code)


def _code(node):
    return cst.Module(body=[]).code_for_node(node)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)
