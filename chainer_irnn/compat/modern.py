"""Shims for what breaks Chainer 7.8.1 on today's Python stack.

Chainer's last release (7.8.1, 2020) predates NumPy 2, Python 3.12 and
setuptools 70+.  Five things break it; each shim below repairs one of them and
does nothing where the stack still has what Chainer expects.

============================  ==============================================
Breakage                      Shim
============================  ==============================================
``np.sctypes`` removed         :func:`_restore_sctypes` puts NumPy 1.x's table
(NumPy 2)                      back, built from the scalar types that exist.
``numpy.distutils`` and        :func:`_replace_environment_check`: Chainer's
``pkg_resources`` imported     ``chainer._environment_check`` only warns about
by ``_environment_check``      optional packages' versions; it is replaced by
(Python 3.12, NumPy 2,         an equivalent built on :mod:`importlib.metadata`.
setuptools >= 70/74)
``cupy.cudnn`` gone            Chainer already falls back to its non-cuDNN
(CuPy 14)                      paths; :func:`after_import` silences the
                               misleading "reinstall CuPy with cuDNN" warning
                               and leaves ``chainer.backends.cuda.cudnn_enabled``
                               False.
CuPy >= 8 outside Chainer's    the version warning of the replaced environment
supported range                check names the shim instead of asking for
                               CuPy 7.
``pkg_resources`` imported     :func:`_provide_pkg_resources_to_testing`:
by ``chainer.testing``'s       where ``pkg_resources`` is absent, those two
``helper`` and                 modules alone get a stand-in
``doctest_helper``, so also    (:data:`_PKG_RESOURCES`, built on
by ``chainer.gradient_check``  :mod:`importlib.metadata`) while they execute.
(setuptools >= 81)
============================  ==============================================
"""
import sys
import types
import warnings


_applied = False
_restored_sctypes = False


def _restore_sctypes(np):
    global _restored_sctypes
    try:
        np.sctypes  # NumPy 1.x: present
        return
    except AttributeError:
        pass
    _restored_sctypes = True

    def existing(*names):
        return [getattr(np, n) for n in names if hasattr(np, n)]

    np.sctypes = {
        'int': existing('int8', 'int16', 'int32', 'int64'),
        'uint': existing('uint8', 'uint16', 'uint32', 'uint64'),
        'float': existing('float16', 'float32', 'float64', 'longdouble'),
        'complex': existing('complex64', 'complex128', 'clongdouble'),
        'others': [bool, object, bytes, str, np.void],
    }


def _check_optional_dependencies():
    """What Chainer's ``_check_optional_dependencies`` does, minus pkg_resources."""
    from importlib import metadata

    import chainer._version as v
    for dep in v._optional_dependencies:
        for pkg in dep['packages']:
            try:
                version = metadata.version(pkg)
            except metadata.PackageNotFoundError:
                continue
            if dep['name'] == 'CuPy':
                # CuPy 8-14 work through these shims; Chainer's own
                # specifier (>=7.7,<8) would warn on every modern CuPy.
                break
            if not _satisfies(version, dep['specifier']):
                warnings.warn(
                    '{} ({}) version {} may not be compatible with Chainer '
                    '7.8.1 (it expects {}).'.format(
                        dep['name'], pkg, version, dep['specifier']))
            break


def _satisfies(version, specifier):
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # packaging is optional: skip the check
        return True
    return version in SpecifierSet(specifier)


def _replace_environment_check():
    name = 'chainer._environment_check'
    if name in sys.modules:
        return
    mod = types.ModuleType(name)
    mod.__doc__ = ('chainer-irnn replacement for Chainer 7.8.1\'s environment '
                   'check (the original imports numpy.distutils and '
                   'pkg_resources).')
    mod._check_optional_dependencies = _check_optional_dependencies
    mod.check = _check_optional_dependencies
    sys.modules[name] = mod


class _ResolutionError(Exception):
    pass


class _DistributionNotFound(_ResolutionError):
    pass


class _VersionConflict(_ResolutionError):
    pass


class _WorkingSet:
    """``pkg_resources.WorkingSet`` as far as ``chainer.testing`` uses it.

    ``require`` checks that each requirement's distribution is installed in a
    matching version; unlike ``pkg_resources`` it does not follow the
    distribution's own dependencies (``chainer.testing`` only asks about
    NumPy, SciPy, Theano and the like).
    """

    def require(self, *requirements):
        import re
        from importlib import metadata
        for text in requirements:
            try:
                from packaging.requirements import Requirement
                req = Requirement(text)
                name, specifier = req.name, req.specifier
            except ImportError:  # packaging is optional: presence only
                name = re.match(r'\s*([A-Za-z0-9._-]+)', text).group(1)
                specifier = None
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                raise _DistributionNotFound(text)
            if specifier is not None and not specifier.contains(
                    version, prereleases=True):
                raise _VersionConflict(text, version)


_PKG_RESOURCES = types.ModuleType('pkg_resources')
_PKG_RESOURCES.__doc__ = ('chainer-irnn stand-in for the part of '
                          'pkg_resources that chainer.testing uses.')
_PKG_RESOURCES.WorkingSet = _WorkingSet
_PKG_RESOURCES.ResolutionError = _ResolutionError
_PKG_RESOURCES.DistributionNotFound = _DistributionNotFound
_PKG_RESOURCES.VersionConflict = _VersionConflict

_PKG_RESOURCES_USERS = ('chainer.testing.helper',
                        'chainer.testing.doctest_helper')


class _WithPkgResourcesLoader:
    """Runs a module with the stand-in as ``sys.modules['pkg_resources']``.

    The entry is there only while the module executes, so nothing else in the
    process sees a ``pkg_resources``.
    """

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        missing = object()
        saved = sys.modules.get('pkg_resources', missing)
        sys.modules['pkg_resources'] = _PKG_RESOURCES
        try:
            self._loader.exec_module(module)
        finally:
            if saved is missing:
                del sys.modules['pkg_resources']
            else:
                sys.modules['pkg_resources'] = saved


class _ChainerTestingFinder:
    """Meta-path finder for the ``chainer.testing`` modules importing
    ``pkg_resources``; it steps in only where that import would fail."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _PKG_RESOURCES_USERS:
            return None
        import importlib.machinery
        import importlib.util
        try:
            if importlib.util.find_spec('pkg_resources') is not None:
                return None   # the real one is there: leave Chainer alone
        except (ImportError, ValueError):
            pass
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _WithPkgResourcesLoader(spec.loader)
        return spec


def _provide_pkg_resources_to_testing():
    if not any(isinstance(f, _ChainerTestingFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ChainerTestingFinder())


def before_import():
    """Run before Chainer's ``__init__`` executes."""
    import numpy
    _restore_sctypes(numpy)
    _replace_environment_check()
    _provide_pkg_resources_to_testing()


def after_import(chainer_module=None):
    """Run once Chainer is imported."""
    global _applied
    _applied = True
    _provide_pkg_resources_to_testing()
    cuda = sys.modules.get('chainer.backends.cuda')
    if cuda is not None and cuda.available and not cuda.cudnn_enabled:
        # CuPy 14 has no cuDNN: Chainer uses its own kernels, which is what
        # we want; its warning would tell users to reinstall CuPy.
        cuda.check_cuda_available._already_warned = True


def apply():
    """Apply every shim and import Chainer; returns the ``chainer`` module.

    Safe to call many times.  Prefer this (or ``import chainer_irnn``) in
    environments where the start-up hook is disabled.
    """
    if 'chainer' in sys.modules:
        chainer = sys.modules['chainer']
        if not _applied:
            after_import(chainer)
        return chainer
    before_import()
    import chainer
    after_import(chainer)
    return chainer


def report():
    """A dict describing the stack and which shims are active."""
    import platform

    import numpy
    chainer = apply()
    cuda = chainer.backends.cuda
    try:
        import cupy
        cupy_version = cupy.__version__
    except Exception:
        cupy_version = None
    return {
        'python': platform.python_version(),
        'numpy': numpy.__version__,
        'chainer': chainer.__version__,
        'cupy': cupy_version,
        'cuda_available': bool(cuda.available),
        'cudnn_enabled': bool(cuda.cudnn_enabled),
        'sctypes_restored': _restored_sctypes,
        'environment_check_replaced': (
            getattr(sys.modules.get('chainer._environment_check'),
                    'check', None) is _check_optional_dependencies),
    }
