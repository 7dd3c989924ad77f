"""Functions: the IRNN recurrence, fused (one graph node) and naive (reference)."""
from chainer_irnn.functions.naive_recurrence import naive_recurrence  # NOQA
