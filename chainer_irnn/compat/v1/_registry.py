"""The bookkeeping shared by the Chainer 1.x shims.

:class:`ChainerV1Warning` is what every shim warns with, once per shim and
process (:func:`warn_once`).  :func:`patch` replaces an attribute and records
the original so that :func:`restore_all` can put everything back.
"""
import warnings


class ChainerV1Warning(DeprecationWarning):
    """A Chainer 1.x API was used; the message names its modern replacement.

    It derives from :class:`DeprecationWarning` but is shown by default
    (:func:`warn_once` issues it with its own filter), once per shim.
    """


_warned = set()
_MISSING = object()
_patches = []   # (owner, name, original or _MISSING), in application order


def warn_once(key, message, stacklevel=3):
    """Warn ``message`` as :class:`ChainerV1Warning` the first time ``key`` is seen."""
    if key in _warned:
        return
    _warned.add(key)
    with warnings.catch_warnings():
        warnings.simplefilter('always', ChainerV1Warning)
        warnings.warn(message, ChainerV1Warning, stacklevel=stacklevel)


def reset_warnings():
    """Forget which shims have warned (tests use it)."""
    _warned.clear()


def patch(owner, name, value):
    """Set ``owner.name = value``, remembering the original for :func:`restore_all`."""
    original = owner.__dict__.get(name, _MISSING) if isinstance(owner, type) \
        else getattr(owner, name, _MISSING)
    _patches.append((owner, name, original))
    setattr(owner, name, value)


def restore_all():
    """Undo every :func:`patch`, newest first."""
    while _patches:
        owner, name, original = _patches.pop()
        if original is _MISSING:
            try:
                delattr(owner, name)
            except AttributeError:
                pass
        else:
            setattr(owner, name, original)
