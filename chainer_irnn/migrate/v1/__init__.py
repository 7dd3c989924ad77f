"""The rule families of :mod:`chainer_irnn.migrate.chainer_v1`, one module each.

:mod:`~chainer_irnn.migrate.v1.scan` reads a module before it is rewritten;
:mod:`~chainer_irnn.migrate.v1.blocks` holds the bookkeeping the rules write
through; :mod:`~chainer_irnn.migrate.v1.attributes`,
:mod:`~chainer_irnn.migrate.v1.statements` and
:mod:`~chainer_irnn.migrate.v1.calls` the rules, mixed into
:class:`~chainer_irnn.migrate.chainer_v1.ChainerV1Transformer`.
"""
