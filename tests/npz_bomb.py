"""Small ``.npz`` files whose member claims to unpack to far more than the
file holds (issue 22's decompression bomb), without ever building the big
array: the member's ``.npy`` header declares ``shape``, a little filler
follows, and the sizes in the zip directory are patched to match the
header (as a real deflate bomb's are)."""
import io
import math
import struct
import tracemalloc
import zipfile

import numpy


def write_bomb(path, arrays, key, shape, dtype='<f4', filler=None):
    """Writes ``arrays`` (``{key: array}``) plus ``key`` declaring ``shape``
    of ``dtype``, with ``filler`` bytes of data (random, so the ratio of
    declared to compressed size stays realistic: about 1000 by default)."""
    header = io.BytesIO()
    numpy.lib.format.write_array_header_1_0(
        header, {'descr': numpy.dtype(dtype).str, 'fortran_order': False, 'shape': shape})
    declared = len(header.getvalue()) + math.prod(shape) * numpy.dtype(dtype).itemsize
    assert declared < 2 ** 32 - 1, 'keep it out of zip64'
    if filler is None:
        filler = declared // 1000
    data = header.getvalue() + numpy.random.RandomState(0).bytes(filler)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, value in arrays.items():
            member = io.BytesIO()
            numpy.lib.format.write_array(member, numpy.asarray(value), allow_pickle=False)
            z.writestr(name + '.npy', member.getvalue())
        z.writestr(key + '.npy', data)
    raw = bytearray(buf.getvalue())
    name = (key + '.npy').encode()
    for signature, size_at, length_at, name_at in ((b'PK\x03\x04', 22, 26, 30),
                                                   (b'PK\x01\x02', 24, 28, 46)):
        at = raw.find(signature)
        while at >= 0:
            n = struct.unpack('<H', bytes(raw[at + length_at:at + length_at + 2]))[0]
            if raw[at + name_at:at + name_at + n] == name:
                raw[at + size_at:at + size_at + 4] = struct.pack('<I', declared)
            at = raw.find(signature, at + 4)
    with open(str(path), 'wb') as f:
        f.write(bytes(raw))
    with zipfile.ZipFile(str(path)) as z:     # the forged size is what a reader sees
        assert z.getinfo(key + '.npy').file_size == declared
    return declared


def peak_bytes(call, *args, **kwargs):
    """``(peak bytes traced while calling, exception raised or None)``."""
    tracemalloc.start()
    try:
        call(*args, **kwargs)
        raised = None
    except Exception as e:
        raised = e
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, raised
