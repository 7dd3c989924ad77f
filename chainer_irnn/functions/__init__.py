"""Functions: the IRNN recurrence, fused (one graph node) and naive (reference),
and a fast ``EmbedID`` lookup.

As in :mod:`chainer.functions`, each name here is the function; the modules
that define them live in folders named for what they hold (``rnn/``,
``connection/``).
"""
from chainer_irnn.functions.connection.embed_id import embed_id  # NOQA
from chainer_irnn.functions.rnn.irnn_recurrence import irnn_recurrence  # NOQA
from chainer_irnn.functions.rnn.naive_recurrence import naive_recurrence  # NOQA
