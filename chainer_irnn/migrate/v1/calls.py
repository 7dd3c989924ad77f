"""Rules for calls.

``F.Linear(...)`` & co -> ``L.*`` links with 1.x initialisation;
``F.ReLU()`` -> ``F.relu``; ``train=``/``test=``/``volatile=`` arguments ->
``with chainer.using_config(...)``; ``use_cudnn=`` dropped; optimizer methods
of 1.x (``zero_grads``, ``clip_grads``, ``compute_grads_norm``, ``setup`` of
``collect_parameters()``); ``cuda.init``/``cuda.get_device``;
``FunctionSet(...)`` -> ``chainer.Chain(...)``; a float64 accumulator
``Variable(np.zeros(()))`` -> float32.
"""
import libcst as cst

from chainer_irnn.migrate.v1.names import (
    FUNCTION_OBJECTS, TRAIN_FUNCTIONS, V1_LINKS, _code, _dotted, _expr, _is_param, _walk)


class CallRules:
    """Mixin of :class:`~chainer_irnn.migrate.chainer_v1.ChainerV1Transformer`."""

    # calls that take an array where 1.x code passed f.W
    ARRAY_FUNCTIONS = ('to_cpu', 'to_gpu', 'asarray', 'asnumpy', 'array', 'save', 'savetxt')

    def visit_Call(self, node):
        self._called.add(id(node.func))
        name = _dotted(node.func) or ''
        if name.rpartition('.')[2] in self.ARRAY_FUNCTIONS or \
                name.partition('.')[0] in ('np', 'numpy', 'cupy', 'xp'):
            self._array_like.update(id(a.value) for a in node.args if _is_param(a.value))
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == 'setup' \
                and len(node.args) == 1 and isinstance(node.args[0].value, cst.Call):
            self._consumed.add(id(node.args[0].value))
        return True

    def leave_Call(self, original, updated):
        name = _dotted(original.func)
        if name is None:
            return self._method_call(original, updated)
        head, _, last = name.rpartition('.')
        if head in self.aliases.functions and last not in V1_LINKS:
            updated = self._old_function_kwargs(original, updated, last)
        if last in ('array', 'asarray') and head in ('np', 'numpy') and \
                len(original.args) == 1 and not original.args[0].keyword and \
                isinstance(original.args[0].value, cst.Attribute) and \
                original.args[0].value.attr.value in ('parameters', 'gradients') and \
                isinstance(updated.args[0].value, cst.ListComp):
            # numpy.array(m.parameters): NumPy >= 1.24 refuses the ragged list
            self.need_array_of = True
            return updated.with_changes(func=cst.Name('_v1_array_of'))
        if head in self.aliases.functions and last in V1_LINKS:
            return self._v1_link(original, updated, last)
        if head in self.aliases.functions and last in FUNCTION_OBJECTS:
            return self._function_object(original, updated, head, last)
        if head in self.aliases.functions and last == 'create_huffman_tree':
            self.rewrites += 1
            return updated.with_changes(func=_expr(
                self.L + '.BinaryHierarchicalSoftmax.create_huffman_tree'))
        if head in self.aliases.functions and last in TRAIN_FUNCTIONS:
            return self._train_kwarg(original, updated, 'train', negate=False,
                                     position=2 if last == 'dropout' else None)
        if name in self.aliases.function_set:
            self.rewrites += 1
            return updated.with_changes(func=self._chainer('chainer.Chain'))
        if name in self.aliases.variable or last == 'Variable':
            return self._variable(original, updated)
        if head in self.aliases.cuda and last == 'init':
            self.rewrites += 1
            if updated.args:
                return _expr('{}.get_device_from_id({}).use()'.format(
                    head, _code(updated.args[0].value)))
            return _expr(head + '.check_cuda_available()')
        if head in self.aliases.cuda and last == 'get_device' and len(updated.args) == 1:
            arg = updated.args[0].value
            label = (_dotted(arg) or '').lower()
            if isinstance(arg, cst.Integer) or any(k in label.rsplit('.', 1)[-1]
                                                   for k in ('gpu', 'device', 'id')):
                self.rewrites += 1
                return updated.with_changes(func=_expr(head + '.get_device_from_id'))
        if any(k.keyword and k.keyword.value == 'test' for k in updated.args) and \
                any(s in last.lower() for s in ('bn', 'batch', 'norm')):
            return self._train_kwarg(original, updated, 'test', negate=True)
        return self._method_call(original, updated)

    def _function_object(self, original, updated, head, name):
        """``F.ReLU()`` -> ``F.relu``; ``F.AveragePooling2D(8, 1)`` ->
        ``functools.partial(F.average_pooling_2d, ksize=8, stride=1)``."""
        from chainer_irnn.compat.v1.function_objects import FUNCTION_OBJECTS as OBJECTS
        func_name, names, dropped = OBJECTS[name]
        if any(a.star for a in updated.args) or \
                len([a for a in updated.args if not a.keyword]) > len(names):
            self._flag(original, 'F.{}(...) objects are gone: call F.{}(x, ...)'.format(
                name, func_name))
            return updated
        bound = []
        for i, arg in enumerate(updated.args):
            key = arg.keyword.value if arg.keyword else names[i]
            if key not in dropped:
                bound.append((key, arg.value))
        self.rewrites += 1
        func = '{}.{}'.format(head, func_name)
        if not bound:
            return _expr(func)
        self._need('functools')
        return _expr('functools.partial({}, {})'.format(func, ', '.join(
            '{}={}'.format(k, _code(v)) for k, v in bound)))

    def _old_function_kwargs(self, original, updated, name):
        """``F.f(..., use_cudnn=c)`` -> ``F.f(...)`` (Chainer 7 refuses it; cuDNN
        is chosen by ``chainer.config.use_cudnn``); other 1.x-only keywords
        (``train=``/``test=`` outside the functions rewritten elsewhere) flagged."""
        if any(a.keyword and a.keyword.value == 'use_cudnn' for a in updated.args):
            _, updated = self._pop_arg(updated, 'use_cudnn')
            self.rewrites += 1
        if name not in TRAIN_FUNCTIONS:
            for a in updated.args:
                if a.keyword and a.keyword.value in ('train', 'test', 'volatile') and not (
                        a.keyword.value == 'test' and
                        any(k in name.lower() for k in ('bn', 'batch', 'norm'))):
                    self._flag(original, 'F.{}(..., {}=...): Chainer 7 has no such '
                               'argument; use chainer.using_config(\'train\', ...)'.format(
                                   name, a.keyword.value))
        return updated

    def _method_call(self, original, updated):
        if not isinstance(updated.func, cst.Attribute):
            return updated
        method = updated.func.attr.value
        obj = updated.func.value
        args = updated.args
        if method == 'setup' and len(args) == 1 and isinstance(args[0].value, cst.Call) \
                and isinstance(args[0].value.func, cst.Attribute) \
                and args[0].value.func.attr.value == 'collect_parameters':
            self.rewrites += 1
            return updated.with_changes(args=[cst.Arg(args[0].value.func.value)])
        if method == 'zero_grads' and not args:
            self.rewrites += 1
            return _expr(_code(obj) + '.target.cleargrads()')
        if method == 'clip_grads' and len(args) == 1:
            self.rewrites += 1
            return self._chainer('chainer.optimizer_hooks.GradientClipping({})({})'
                                 .format(_code(args[0].value), _code(obj)))
        if method == 'compute_grads_norm' and not args:
            self.rewrites += 1
            self._need('math')
            return _expr('math.sqrt(sum(float((_p.grad * _p.grad).sum()) for _p in '
                         '{}.target.params() if _p.grad is not None))'.format(_code(obj)))
        if method == 'collect_parameters' and id(original) not in self._consumed:
            self._flag(original, 'collect_parameters() is gone; pass the model '
                                 'itself to optimizer.setup()')
        if method == 'copy_parameters_from' and id(original) in self._statement_calls \
                and len(args) == 1 and self._v1_params_receiver(obj) == 'yes':
            return updated      # the statement becomes a loop (leave_SimpleStatementLine)
        if method in ('accumulate_grads', 'copy_parameters_from'):
            self._flag(original, '{}() is gone; use model.addgrads(other) / '
                                 'model.copyparams(other)'.format(method))
        return updated

    def _v1_link(self, original, updated, name):
        self.rewrites += 1
        self._need_links()
        func = _expr('{}.{}'.format(self.L, name))
        if name not in ('Linear', 'Convolution2D', 'BatchNormalization', 'EmbedID'):
            return updated.with_changes(func=func)
        spec = {'Linear': ['in_size', 'out_size', 'wscale', 'bias', 'nobias',
                           'initialW', 'initial_bias'],
                'EmbedID': ['in_size', 'out_size', 'initialW', 'ignore_label'],
                'Convolution2D': ['in_channels', 'out_channels', 'ksize', 'stride',
                                  'pad', 'wscale', 'bias', 'nobias', 'use_cudnn',
                                  'initialW', 'initial_bias'],
                'BatchNormalization': ['size', 'decay', 'eps', 'dtype']}[name]
        values = {}
        for i, arg in enumerate(updated.args):
            if arg.star:
                self._flag(original, 'F.{}(*args/**kwargs): check the arguments '
                                     'against L.{}'.format(name, name))
                return updated.with_changes(func=func)
            key = arg.keyword.value if arg.keyword else spec[i]
            values[key] = arg.value
        new = []
        for key in spec[:3 if name == 'Convolution2D' else 2]:
            if key in values:
                new.append(cst.Arg(values.pop(key)))
        if name == 'BatchNormalization':
            values.setdefault('eps', cst.Float('1e-5'))   # 1.x default; 7 has 2e-5
        if name == 'Convolution2D':
            values.pop('use_cudnn', None)
        wscale = values.pop('wscale', None)
        if wscale is not None and 'initialW' not in values:
            fan_in = _code(new[0].value)
            if name == 'Convolution2D':
                k = new[2].value
                if isinstance(k, cst.Tuple):
                    fan_in = '({}) * {}'.format(fan_in, ' * '.join(
                        '({})'.format(_code(e.value)) for e in k.elements))
                else:
                    fan_in = '({0}) * ({1}) * ({1})'.format(fan_in, _code(k))
            self._need('math')
            values['initialW'] = self._chainer(
                'chainer.initializers.Normal(({}) * math.sqrt(1. / ({})))'.format(
                    _code(wscale), fan_in))
        bias = values.pop('bias', None)
        if bias is not None and 'initial_bias' not in values:
            values['initial_bias'] = bias
        for key in ('stride', 'pad', 'decay', 'eps', 'dtype', 'nobias', 'initialW',
                    'initial_bias', 'ignore_label'):
            if key in values:
                new.append(cst.Arg(values.pop(key), keyword=cst.Name(key),
                                   equal=cst.AssignEqual(
                                       whitespace_before=cst.SimpleWhitespace(''),
                                       whitespace_after=cst.SimpleWhitespace(''))))
        return updated.with_changes(func=func, args=new)

    def _pop_arg(self, call, keyword, position=None):
        args = list(call.args)
        for i, arg in enumerate(args):
            if (arg.keyword and arg.keyword.value == keyword) or \
                    (position is not None and i == position and not arg.keyword
                     and not arg.star):
                value = arg.value
                del args[i]
                if args:
                    args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                return value, call.with_changes(args=args)
        return None, call

    def _train_kwarg(self, original, updated, keyword, negate, position=None):
        value, updated = self._pop_arg(updated, keyword, position)
        if value is None:
            return updated
        self.rewrites += 1
        if negate:
            value = value.expression if isinstance(value, cst.UnaryOperation) and \
                isinstance(value.operator, cst.Not) else _expr('not ({})'.format(_code(value)))
        self._add_context(original, 'wrap', self._chainer(
            "chainer.using_config('train', {})".format(_code(value))))
        return updated

    def _float64_array(self, updated):
        """``Variable(np.zeros(()))`` (float64) -> ``np.zeros((), dtype=np.float32)``.

        Chainer 1.0-1.1 added float32 losses to such a float64 accumulator;
        Chainer 7 refuses mixed dtypes.  ``cuda.zeros`` (1.x) is
        ``cuda.cupy.zeros``.
        """
        if not updated.args or updated.args[0].keyword or updated.args[0].star:
            return updated
        call = updated.args[0].value
        if not isinstance(call, cst.Call):
            return updated
        name = _dotted(call.func) or ''
        head, _, last = name.rpartition('.')
        if last not in ('zeros', 'ones', 'empty') or not head or \
                any(a.keyword and a.keyword.value == 'dtype' for a in call.args) or \
                len([a for a in call.args if not a.keyword]) != 1:
            return updated
        if head in self.aliases.cuda:
            head = head + '.cupy'
            call = call.with_changes(func=_expr(head + '.' + last))
        self.rewrites += 1
        args = list(call.args)
        args[-1] = args[-1].with_changes(comma=cst.Comma(
            whitespace_after=cst.SimpleWhitespace(' ')))
        args.append(cst.Arg(_expr(head + '.float32'), keyword=cst.Name('dtype'),
                            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(''),
                                                  whitespace_after=cst.SimpleWhitespace(''))))
        first = updated.args[0].with_changes(value=call.with_changes(args=args))
        return updated.with_changes(args=[first] + list(updated.args[1:]))

    def _variable(self, original, updated):
        updated = self._float64_array(updated)
        value, updated = self._pop_arg(updated, 'volatile', 1)
        if value is None:
            return updated
        self.rewrites += 1
        literal = _code(value).strip()
        if literal in ('True', "'on'", '"on"', 'chainer.flag.ON', 'flag.ON'):
            context = self._chainer('chainer.no_backprop_mode()')
        elif literal in ('False', 'None', "'off'", '"off"', "'auto'", '"auto"',
                         'chainer.flag.OFF', 'chainer.flag.AUTO', 'flag.OFF',
                         'flag.AUTO'):
            return updated
        else:
            if any(isinstance(n, cst.SimpleString) for n in _walk(value)) or \
                    'flag' in literal:
                self._flag(original, 'volatile flag "{}" may be a 1.x string flag; '
                           'check the enable_backprop value'.format(literal))
            enable = value.expression if isinstance(value, cst.UnaryOperation) and \
                isinstance(value.operator, cst.Not) else _expr('not ({})'.format(literal))
            context = self._chainer("chainer.using_config('enable_backprop', {})"
                                    .format(_code(enable)))
        self._add_context(original, 'rest', context)
        return updated
