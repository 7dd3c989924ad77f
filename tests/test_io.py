"""chainer_irnn.io: the one safe ``.npz`` loader, JSON reading and atomic
writes (issue 22, items 1 and 8), and no allocation on a header's word
(a decompression bomb)."""
import ast
import io as stdio
import os
import zipfile

import numpy
import pytest

import chainer_irnn  # noqa: F401  (the shims, before chainer)
import chainer
import chainer.links as L

from chainer_irnn import io
from chainer_irnn.errors import UserError
from tests.npz_bomb import peak_bytes, write_bomb
from tests.pickle_payload import payload_array, unpickled

MiB = 2 ** 20


def package_imports(module):
    tree = ast.parse(open(module.__file__).read())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    return [n for n in names if n and n.startswith('chainer_irnn')]


def test_io_imports_nothing_of_the_package_but_errors_and_its_member_checks():
    from chainer_irnn import npz_members
    assert package_imports(io) == ['chainer_irnn.errors', 'chainer_irnn.npz_members']
    assert package_imports(npz_members) == ['chainer_irnn.errors']
    assert io.npz_headers is npz_members.npz_headers and io.MAX_BYTES == npz_members.MAX_BYTES


def params_npz(path, **extra):
    link = L.Linear(3, 2)
    arrays = {'W': link.W.array, 'b': link.b.array}
    arrays.update(extra)
    numpy.savez(str(path), **arrays)
    return link


@pytest.mark.parametrize('call', ['read_npz', 'npz_headers', 'load_npz', 'bytes'])
def test_an_object_array_is_refused_unread(tmp_path, call):
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'evil.npz'
    params_npz(path, b=payload_array(marker))
    with pytest.raises(UserError) as e:
        if call == 'load_npz':
            io.load_npz(str(path), L.Linear(3, 2))
        elif call == 'bytes':
            io.load_npz(path.read_bytes(), L.Linear(3, 2), name='the bytes')
        else:
            getattr(io, call)(str(path))
    assert not unpickled(marker)
    msg = str(e.value)
    assert '\n' not in msg and "entry 'b'" in msg and 'object array' in msg
    assert msg.startswith('the bytes' if call == 'bytes' else str(path))


def test_chainers_own_loader_runs_the_payload(tmp_path):
    """The threat is real: the same file through Chainer's load_npz runs it."""
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'evil.npz'
    params_npz(path, b=payload_array(marker))
    with pytest.raises(Exception):
        chainer.serializers.load_npz(str(path), L.Linear(3, 2))
    assert unpickled(marker)


def test_a_pickle_in_an_unused_entry_is_refused_too(tmp_path):
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'evil.npz'
    params_npz(path, extra=payload_array(marker, ()))
    with pytest.raises(UserError, match="entry 'extra'"):
        io.load_npz(str(path), L.Linear(3, 2))
    assert not unpickled(marker)


def test_records_and_members_that_are_not_arrays_are_refused(tmp_path):
    path = tmp_path / 'rec.npz'
    numpy.savez(str(path), r=numpy.zeros(2, dtype=[('a', 'f4'), ('b', 'i4')]))
    with pytest.raises(UserError, match='records'):
        io.read_npz(str(path))
    path = tmp_path / 'other.npz'
    buf = stdio.BytesIO()
    numpy.lib.format.write_array(buf, numpy.zeros(3, 'f'))
    with zipfile.ZipFile(str(path), 'w') as z:
        z.writestr('W.npy', buf.getvalue())
        z.writestr('notes.txt', b'hello')
    with pytest.raises(UserError, match="notes.txt"):
        io.npz_headers(str(path))


def test_a_header_larger_than_its_member_is_refused_before_allocating(tmp_path):
    """A header claiming 10^12 floats over a few bytes of data: one line, no
    MemoryError (numpy would allocate the whole array first)."""
    buf = stdio.BytesIO()
    numpy.lib.format.write_array_header_1_0(
        buf, {'descr': '<f4', 'fortran_order': False, 'shape': (10 ** 6, 10 ** 6)})
    path = tmp_path / 'huge.npz'
    with zipfile.ZipFile(str(path), 'w') as z:
        z.writestr('W.npy', buf.getvalue() + b'\0' * 16)
    with pytest.raises(UserError) as e:
        io.load_npz(str(path), L.Linear(3, 2))
    assert 'damaged' in str(e.value) and str(path) in str(e.value)


@pytest.mark.parametrize('data', [b'', b'hello\n', b'PK\x05\x06' + b'\0' * 18])
def test_damaged_files_are_one_line(tmp_path, data):
    path = tmp_path / 'm.npz'
    path.write_bytes(data)
    with pytest.raises(UserError) as e:
        io.load_npz(str(path), L.Linear(3, 2), what='model')
    assert str(e.value).startswith(str(path)) and 'model' in str(e.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(UserError, match='no such snapshot file'):
        io.load_npz(str(tmp_path / 'nope'), L.Linear(3, 2), what='snapshot')


def test_load_npz_loads_what_chainer_saved(tmp_path):
    src = L.Linear(3, 2)
    chainer.serializers.save_npz(str(tmp_path / 'l.npz'), src)
    dst = L.Linear(3, 2)
    io.load_npz(str(tmp_path / 'l.npz'), dst)
    numpy.testing.assert_array_equal(dst.W.array, src.W.array)
    numpy.testing.assert_array_equal(dst.b.array, src.b.array)


def test_a_trainer_snapshot_round_trips(tmp_path):
    """Nested serializers (optimizer state under '/predictor/...' names)
    resolve as Chainer's own deserializer resolves them."""
    def make():
        model = L.Classifier(L.Linear(3, 2))
        opt = chainer.optimizers.Adam()
        opt.setup(model)
        data = [(numpy.ones(3, 'f') * i, numpy.int32(i % 2)) for i in range(8)]
        it = chainer.iterators.SerialIterator(data, 4)
        return model, chainer.training.Trainer(
            chainer.training.updaters.StandardUpdater(it, opt), (2, 'iteration'),
            out=str(tmp_path))

    model, trainer = make()
    trainer.run()
    chainer.serializers.save_npz(str(tmp_path / 'snap'), trainer)
    model2, trainer2 = make()
    io.load_npz(str(tmp_path / 'snap'), trainer2, what='snapshot')
    assert trainer2.updater.iteration == 2
    numpy.testing.assert_array_equal(model2.predictor.W.array, model.predictor.W.array)
    opt, opt2 = trainer.updater.get_optimizer('main'), trainer2.updater.get_optimizer('main')
    numpy.testing.assert_array_equal(opt2.target.predictor.W.update_rule.state['m'],
                                     opt.target.predictor.W.update_rule.state['m'])


def test_a_broadcastable_array_of_another_shape_is_refused(tmp_path):
    """Chainer copies a (1,) array into a (2,) bias by broadcasting."""
    path = tmp_path / 'l.npz'
    numpy.savez(str(path), W=numpy.zeros((2, 3), 'f'), b=numpy.ones(1, 'f'))
    target = L.Linear(3, 2)
    chainer.serializers.load_npz(str(path), target)       # silently broadcast
    with pytest.raises(UserError) as e:
        io.load_npz(str(path), L.Linear(3, 2))
    assert 'entry b has shape (1,)' in str(e.value) and 'needs (2,)' in str(e.value)


def test_exact_refuses_entries_the_target_lacks(tmp_path):
    path = tmp_path / 'l.npz'
    params_npz(path, more=numpy.zeros(3, 'f'))
    io.load_npz(str(path), L.Linear(3, 2))                  # snapshots: tolerated
    with pytest.raises(UserError, match='more'):
        io.load_npz(str(path), L.Linear(3, 2), exact=True)
    io.load_npz(str(path), L.Linear(3, 2), exact=True, ignore=('more',))


# a decompression bomb: nothing is read before its declared size is checked

@pytest.fixture
def reads(monkeypatch):
    """The sizes of the arrays numpy reads from members."""
    sizes = []
    real = numpy.lib.format.read_array

    def read_array(*args, **kwargs):
        a = real(*args, **kwargs)
        sizes.append(a.nbytes)
        return a
    monkeypatch.setattr(numpy.lib.format, 'read_array', read_array)
    return sizes


def refused(call, *args, **kwargs):
    """The message of the UserError ``call`` raises, asserting little was
    allocated on the way (the bombs below declare 64 to 512 MiB)."""
    peak, e = peak_bytes(call, *args, **kwargs)
    assert isinstance(e, UserError), e
    assert peak < 8 * MiB, peak
    assert '\n' not in str(e)
    return str(e)


def test_a_member_over_the_default_cap_is_refused_unread(tmp_path, reads):
    """512 MiB declared in a 0.5 MB file (a deflate bomb's ratio)."""
    path = tmp_path / 'bomb.npz'
    write_bomb(path, {'y': numpy.zeros(3, 'u1')}, 'x', (512 * MiB,), 'u1')
    assert os.path.getsize(str(path)) < MiB
    for call in (lambda: io.read_npz(str(path)),
                 lambda: io.read_npz(str(path), keys=('x', 'y')),
                 lambda: io.read_npz(path.read_bytes(), name='the bytes')):
        msg = refused(call)
        assert "refused: entry 'x' declares 512 MiB" in msg and 'nothing read' in msg, msg
    assert reads == []                      # not even 'y': all are checked first
    assert set(io.read_npz(str(path), keys=('y',))) == {'y'}


def test_a_caller_gives_a_smaller_cap_or_the_shapes(tmp_path, reads):
    path = tmp_path / 'bomb.npz'
    write_bomb(path, {'a': numpy.zeros(3, 'f')}, 'x', (16 * MiB,), 'u1')
    msg = refused(io.read_npz, str(path), max_bytes={'x': MiB}, name='m.npz')
    assert msg.startswith('m.npz: refused') and "'x'" in msg and 'more than the 1 MiB' in msg
    msg = refused(io.read_npz, str(path), max_bytes=MiB)
    assert "'x'" in msg
    msg = refused(io.read_npz, str(path), shapes={'x': (28, 28)})
    assert "entry 'x' has shape (16777216,)" in msg and 'needs (28, 28)' in msg
    assert reads == []


def test_an_absurd_ratio_is_refused_unread(tmp_path, reads):
    """More than deflate can give: a forged size, or another compression."""
    path = tmp_path / 'bomb.npz'
    write_bomb(path, {}, 'x', (64 * MiB,), 'u1', filler=100)
    for call in ('read_npz', 'npz_headers'):
        msg = refused(getattr(io, call), str(path))
        assert str(path) in msg and "entry 'x'" in msg and 'bomb' in msg
    assert reads == []
    ok = tmp_path / 'zeros.npz'                  # what deflate really gives
    numpy.savez_compressed(str(ok), z=numpy.zeros(4 * MiB, 'f'))
    assert io.read_npz(str(ok))['z'].shape == (4 * MiB,)


def test_load_npz_compares_the_targets_shapes_before_reading(tmp_path):
    """A parameter declaring 64 MiB for a (2,) bias: refused from its header."""
    path = tmp_path / 'bomb.npz'
    write_bomb(path, {'W': numpy.zeros((2, 3), 'f')}, 'b', (16 * MiB,))
    msg = refused(io.load_npz, str(path), L.Linear(3, 2))
    assert msg.startswith(str(path)) and 'entry b has shape (16777216,)' in msg
    assert 'needs (2,)' in msg
    msg = refused(io.load_npz, path.read_bytes(), L.Linear(3, 2), name='the pickled state')
    assert msg.startswith('the pickled state')


def test_an_entry_the_target_does_not_use_is_never_read(tmp_path, reads):
    path = tmp_path / 'bomb.npz'
    link = L.Linear(3, 2)
    write_bomb(path, {'W': link.W.array, 'b': link.b.array}, 'other', (16 * MiB,))
    io.load_npz(str(path), L.Linear(3, 2))          # snapshots tolerate extra entries
    assert sorted(reads) == [8, 24]
    with pytest.raises(UserError, match='other'):
        io.load_npz(str(path), L.Linear(3, 2), exact=True)


def test_a_number_and_an_uninitialized_parameter_are_capped(tmp_path):
    """A persistent number needs one value; a parameter of open shape (an
    uninitialized one) may declare at most the cap."""
    link = L.Linear(3, 2)
    with link.init_scope():
        link.add_persistent('count', 0)
    path = tmp_path / 'count.npz'
    write_bomb(path, {'W': link.W.array, 'b': link.b.array}, 'count', (16 * MiB,), '<i8')
    msg = refused(io.load_npz, str(path), link, what='snapshot')
    assert 'entry count has shape (16777216,)' in msg and 'needs one value' in msg
    path = tmp_path / 'open.npz'
    write_bomb(path, {'b': numpy.zeros(2, 'f')}, 'W', (2, 64 * MiB))
    msg = refused(io.load_npz, str(path), L.Linear(None, 2))
    assert "entry 'W' declares 512 MiB" in msg
    msg = refused(io.load_npz, str(path), L.Linear(None, 2), max_bytes=MiB)
    assert 'more than the 1 MiB' in msg
    lazy = L.Linear(None, 2)                         # a fitting one loads
    chainer.serializers.save_npz(str(tmp_path / 'l.npz'), L.Linear(3, 2))
    io.load_npz(str(tmp_path / 'l.npz'), lazy)
    assert lazy.W.shape == (2, 3)


def test_load_json(tmp_path):
    path = tmp_path / 's.json'
    assert io.load_json(str(path), default=[]) == []
    with pytest.raises(UserError, match='missing'):
        io.load_json(str(path))
    path.write_text('{"a": ')
    with pytest.raises(UserError, match='not a readable settings file'):
        io.load_json(str(path))


@pytest.mark.parametrize('text', ['[' * 200000 + ']' * 200000, '{"a": ' * 100000 + '1'])
def test_load_json_nested_too_deeply_is_one_line(tmp_path, text):
    path = tmp_path / 'run.json'
    path.write_text(text)
    with pytest.raises(UserError) as e:
        io.load_json(str(path), 'run identity')
    msg = str(e.value)
    assert msg.startswith(str(path)) and 'nested too deeply' in msg and '\n' not in msg


def test_load_json_refuses_a_file_over_its_cap_unread(tmp_path):
    path = tmp_path / 'model.json'
    path.write_text('[' + '0,' * MiB + '0]')
    assert len(io.load_json(str(path))) == MiB + 1
    with pytest.raises(UserError, match='more than the 1 MiB'):
        io.load_json(str(path), max_bytes=MiB)


def leftovers(folder):
    return sorted(n for n in os.listdir(str(folder)) if n.endswith('.tmp'))


def test_write_file_is_atomic_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / 'f.json'
    io.write_json(str(path), {'b': 1, 'a': [1, 2]})
    assert path.read_text() == '{\n "a": [\n  1,\n  2\n ],\n "b": 1\n}'
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(str(path)).st_mode & 0o777 == 0o666 & ~umask

    def fail(*a):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(os, 'fsync', fail)
    with pytest.raises(OSError):
        io.write_json(str(path), {'new': True})
    assert io.load_json(str(path)) == {'b': 1, 'a': [1, 2]}
    assert leftovers(tmp_path) == []


def test_write_pair_renames_only_when_both_are_written(tmp_path, monkeypatch):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    io.write_pair((a, b'old a'), (b, 'old b'))
    calls = []
    real = io._write_temporary

    def second_fails(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(27, 'File too large')
        return real(path, data)
    monkeypatch.setattr(io, '_write_temporary', second_fails)
    with pytest.raises(OSError):
        io.write_pair((a, b'new a'), (b, 'new b'))
    assert open(a, 'rb').read() == b'old a' and open(b).read() == 'old b'
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    io.write_pair((a, b'new a'), (b, 'new b'))
    assert open(a, 'rb').read() == b'new a' and open(b).read() == 'new b'
