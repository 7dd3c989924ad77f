"""Rules that rewrite a whole statement.

``m.l = F.Linear(...)`` / ``setattr(m, 'l', F.Linear(...))`` on a FunctionSet
-> ``m.add_link('l', ...)``; ``m.parameters = arrays``,
``m.copy_parameters_from(arrays)`` and ``opt.weight_decay(d)`` -> loops over
the parameters.
"""
import libcst as cst

from chainer_irnn.migrate.v1.names import V1_LINKS, _code, _dotted, _expr


class StatementRules:
    """Mixin of :class:`~chainer_irnn.migrate.chainer_v1.ChainerV1Transformer`."""

    def leave_Expr(self, original, updated):
        return updated

    def _is_link_call(self, node):
        """``F.Linear(...)`` (1.x) or ``L.X(...)``: a link is being created."""
        if not isinstance(node, cst.Call):
            return False
        name = _dotted(node.func) or ''
        head, _, last = name.rpartition('.')
        return (head in self.aliases.functions and last in V1_LINKS) or \
            (head in self.aliases.links | {'chainer.links'})

    def _function_set_object(self, node):
        """``node`` is a FunctionSet (a plain Chain after migration)."""
        name = _dotted(node)
        if name == 'self':
            return bool(self._classes) and self._classes[-1] in self.aliases.fs_classes
        return name is not None and name in self.aliases.fs_names

    def _add_link(self, original, updated):
        """``m.l2 = F.Linear(...)`` / ``setattr(m, 'l2', F.Linear(...))`` on a
        FunctionSet registered the link (1.x); on a Chainer 7 Chain outside
        ``init_scope`` it would be a plain attribute the optimizer never sees."""
        if len(original.body) != 1:
            return None
        o, u = original.body[0], updated.body[0]
        if isinstance(o, cst.Assign) and len(o.targets) == 1 and \
                isinstance(o.targets[0].target, cst.Attribute) and \
                self._is_link_call(o.value) and \
                self._function_set_object(o.targets[0].target.value):
            target = o.targets[0].target
            call = '{}.add_link({!r}, {})'.format(_code(target.value), target.attr.value,
                                                  _code(u.value))
        elif isinstance(o, cst.Expr) and isinstance(o.value, cst.Call) and \
                _dotted(o.value.func) == 'setattr' and len(o.value.args) == 3 and \
                self._is_link_call(o.value.args[2].value) and \
                self._function_set_object(o.value.args[0].value):
            args = u.value.args
            call = '{}.add_link({}, {})'.format(_code(args[0].value), _code(args[1].value),
                                                _code(args[2].value))
        else:
            return None
        self.rewrites += 1
        return updated.with_changes(body=[cst.Expr(_expr(call))])

    def leave_SimpleStatementLine(self, original, updated):
        added = self._add_link(original, updated)
        if added is not None:
            return added
        # m.parameters = arrays (1.x setter) -> a loop over the parameters
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Assign) and \
                len(updated.body[0].targets) == 1 and \
                isinstance(updated.body[0].targets[0].target, cst.Attribute) and \
                updated.body[0].targets[0].target.attr.value in ('parameters', 'gradients'):
            target = updated.body[0].targets[0].target
            verdict = self._v1_params_receiver(target.value)
            what = 'array' if target.attr.value == 'parameters' else 'grad'
            if verdict == 'yes':
                self.rewrites += 1
                return cst.parse_statement(
                    'for (_, _p), _a in zip(sorted({}.namedparams()), {}):\n'
                    '    _p.{} = _a\n'.format(_code(target.value),
                                              _code(updated.body[0].value), what)
                ).with_changes(leading_lines=updated.leading_lines)
            if verdict == 'maybe':
                self._flag(original, '"{0}.{1} = ...": if {0} is a 1.x FunctionSet or '
                           'link, set _p.{2} for _, _p in sorted({0}.namedparams())'.format(
                               _code(target.value), target.attr.value, what))
        # m.copy_parameters_from(arrays) (1.x) as a statement -> a loop
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Expr):
            call = updated.body[0].value
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and call.func.attr.value == 'copy_parameters_from' and \
                    len(call.args) == 1 and not call.args[0].keyword and \
                    self._v1_params_receiver(call.func.value) == 'yes':
                self.rewrites += 1
                return cst.parse_statement(
                    'for (_, _p), _a in zip(sorted({}.namedparams()), {}):\n'
                    '    _p.array[...] = _p.xp.asarray(_a)\n'.format(
                        _code(call.func.value), _code(call.args[0].value))
                ).with_changes(leading_lines=updated.leading_lines)
        # opt.weight_decay(d) as a statement -> a loop
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Expr):
            call = updated.body[0].value
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and call.func.attr.value == 'weight_decay' and len(call.args) == 1:
                opt = _code(call.func.value)
                decay = _code(call.args[0].value)
                self.rewrites += 1
                return cst.parse_statement(
                    'for _param in {}.target.params():\n'
                    '    if _param.grad is None:\n'
                    '        _param.grad = _param.xp.zeros_like(_param.array)\n'
                    '    _param.grad += ({}) * _param.array\n'.format(opt, decay)
                ).with_changes(leading_lines=updated.leading_lines)
        return updated

    def visit_SimpleStatementLine(self, node):
        if len(node.body) == 1 and isinstance(node.body[0], cst.Expr) and \
                isinstance(node.body[0].value, cst.Call):
            self._statement_calls.add(id(node.body[0].value))
        return True
