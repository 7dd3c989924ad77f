"""The public names of chainer_irnn.functions are the functions, F-style."""
import inspect

import chainer_irnn.functions as IF


def test_names_are_functions_not_modules():
    for name in ('irnn_recurrence', 'naive_recurrence', 'embed_id'):
        obj = getattr(IF, name)
        assert inspect.isfunction(obj), (name, obj)
        assert obj.__name__ == name


def test_package_level_lazy_name_is_the_function():
    import chainer_irnn
    assert chainer_irnn.irnn_recurrence is IF.irnn_recurrence
