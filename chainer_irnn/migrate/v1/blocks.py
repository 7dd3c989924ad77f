"""The statement bookkeeping that every rule family of
:mod:`chainer_irnn.migrate.chainer_v1` writes through.

:class:`Rewriter` counts rewrites, records findings (a
:class:`~chainer_irnn.migrate.findings.Finding` and a ``# MIGRATE:`` comment
above the statement), asks for the imports the new code needs, and wraps a
statement, or the rest of its block, in ``with`` contexts.
:class:`_RedundantWith` then drops a ``with`` that an enclosing one already
set.
"""
import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider

from chainer_irnn.migrate.findings import Finding
from chainer_irnn.migrate.v1.names import _code, _expr


class Rewriter(cst.CSTTransformer):
    """The base of the transformer: bookkeeping, no rule of its own."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, aliases, context):
        super().__init__()
        self.aliases = aliases
        self.context = context
        self.findings = []
        self.rewrites = 0
        links = sorted(aliases.links)
        self.L = links[0] if links else 'L'
        self._stmt_stack = []       # per statement: {'comments': [], 'wrap': [], 'rest': []}
        self._wrap_rest = {}        # id(updated statement) -> [context exprs]

    def _need(self, module, obj=None, asname=None):
        AddImportsVisitor.add_needed_import(self.context, module, obj, asname)

    def _chainer(self, code):
        self._need('chainer')
        return _expr(code)

    def _line(self, node):
        try:
            return self.get_metadata(PositionProvider, node).start.line
        except KeyError:
            return 0

    def _flag(self, node, message):
        self.findings.append(Finding(self._line(node), message))
        if self._stmt_stack:
            self._stmt_stack[-1]['comments'].append(message)

    def on_visit(self, node):
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._stmt_stack.append({'comments': [], 'wrap': [], 'rest': [],
                                     'simple': isinstance(node, cst.SimpleStatementLine)})
        return super().on_visit(node)

    def on_leave(self, original, updated):
        result = super().on_leave(original, updated)
        if isinstance(original, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            info = self._stmt_stack.pop()
            if isinstance(result, cst.CSTNode):
                if info['wrap']:
                    result = self._with(info['wrap'], [result], result.leading_lines)
                if info['comments']:
                    comments = [cst.EmptyLine(comment=cst.Comment('# MIGRATE: ' + c))
                                for c in dict.fromkeys(info['comments'])]
                    result = result.with_changes(
                        leading_lines=list(result.leading_lines) + comments)
                if info['rest']:
                    self._wrap_rest[id(result)] = info['rest']
        return result

    def _with(self, contexts, body, leading_lines=()):
        items = [cst.WithItem(c) for c in contexts]
        body = [b.with_changes(leading_lines=[]) if i == 0 else b
                for i, b in enumerate(body)]
        return cst.With(items=items, body=cst.IndentedBlock(body=body),
                        leading_lines=list(leading_lines))

    def _add_context(self, node, key, context):
        """Run the current statement (``key='wrap'``) or the rest of its block
        (``'rest'``) inside ``context``."""
        info = next((i for i in reversed(self._stmt_stack) if i['simple']), None) \
            if self._stmt_stack and self._stmt_stack[-1]['simple'] else None
        if info is None:
            self._flag(node, 'wrap this statement in "with {}:" by hand '
                             '(it is a compound statement\'s header)'.format(_code(context)))
            return
        if _code(context) not in [_code(c) for c in info[key]]:
            info[key].append(context)

    def _wrap_block(self, body, active=()):
        body = list(body)
        for i, stmt in enumerate(body):
            contexts = [c for c in self._wrap_rest.pop(id(stmt), [])
                        if _code(c) not in active]
            if contexts:
                rest = self._wrap_block(
                    body[i + 1:], set(active) | {_code(c) for c in contexts})
                return body[:i] + [self._with(contexts, [stmt] + rest,
                                              stmt.leading_lines)]
        return body

    def leave_IndentedBlock(self, original, updated):
        if any(id(s) in self._wrap_rest for s in updated.body):
            return updated.with_changes(body=self._wrap_block(updated.body))
        return updated

    def leave_Module(self, original, updated):
        if any(id(s) in self._wrap_rest for s in updated.body):
            return updated.with_changes(body=self._wrap_block(updated.body))
        return updated

    def _need_links(self):
        if self.L == 'L' and not self.aliases.links:
            self._need('chainer.links', asname='L')


class _RedundantWith(cst.CSTTransformer):
    """Drop a ``with`` whose contexts an enclosing ``with`` (same function) set."""

    def __init__(self):
        super().__init__()
        self._frames = [[]]

    def visit_FunctionDef(self, node):
        self._frames.append([])

    def leave_FunctionDef(self, original, updated):
        self._frames.pop()
        return updated

    def visit_With(self, node):
        active = set().union(*self._frames[-1]) if self._frames[-1] else set()
        self._frames[-1].append({_code(i.item) for i in node.items} - active)

    def leave_With(self, original, updated):
        own = self._frames[-1].pop()
        if not own and isinstance(updated.body, cst.IndentedBlock) and \
                all(_code(i.item).startswith('chainer.') for i in updated.items):
            body = list(updated.body.body)
            body[0] = body[0].with_changes(leading_lines=list(
                updated.leading_lines) + list(body[0].leading_lines))
            return cst.FlattenSentinel(body)
        return updated
