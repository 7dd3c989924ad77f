"""An --out that cannot take a run's files is one line, exit 2, no
traceback (issue 22, item 15): an existing file, a symbolic link loop, a
read-only folder, a full disk, a file size limit."""
import errno
import os
import subprocess
import sys

import pytest

from chainer_irnn.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train(out, csv, *extra):
    return main(['train', '--csv', str(csv), '--out', str(out), '--iteration', '4',
                 '--min-iteration', '0', '--no-progress', '--hidden', '8'] + list(extra))


def one_error(capsys):
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1, err
    return errors[0]


def test_an_existing_file_as_out(tmp_path, capsys, two_feature_csv):
    target = tmp_path / 'afile'
    target.write_text('keep me')
    assert train(target, two_feature_csv) == 2
    line = one_error(capsys)
    assert '--out {}'.format(target) in line and 'not a folder' in line
    assert target.read_text() == 'keep me'
    assert train(target / 'sub', two_feature_csv) == 2
    assert 'is a file, not a folder' in one_error(capsys)


def test_a_symlink_loop_as_out(tmp_path, capsys, two_feature_csv):
    os.symlink(str(tmp_path / 'b'), str(tmp_path / 'a'))
    os.symlink(str(tmp_path / 'a'), str(tmp_path / 'b'))
    assert train(tmp_path / 'a', two_feature_csv) == 2
    assert 'choose a folder' in one_error(capsys)


@pytest.mark.parametrize('code, words', [(errno.EROFS, 'read-only'),
                                         (errno.EACCES, 'permission denied')])
def test_a_folder_that_cannot_be_written(tmp_path, capsys, monkeypatch, two_feature_csv,
                                         code, words):
    out = tmp_path / 'ro'
    out.mkdir()
    real = os.open

    def refuse(path, *a, **k):     # as a read-only mount or another owner's folder answers
        if os.path.dirname(os.path.abspath(str(path))) == str(out):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, *a, **k)
    monkeypatch.setattr(os, 'open', refuse)
    assert train(out, two_feature_csv) == 2
    assert words in one_error(capsys)


@pytest.mark.skipif(hasattr(os, 'geteuid') and os.geteuid() == 0,
                    reason='root writes into read-only folders')
def test_a_read_only_folder_for_real(tmp_path, capsys, two_feature_csv):
    out = tmp_path / 'ro'
    out.mkdir()
    out.chmod(0o555)
    try:
        assert train(out, two_feature_csv) == 2
        assert 'permission denied' in one_error(capsys)
    finally:
        out.chmod(0o755)


def test_a_full_disk_while_writing_a_snapshot(tmp_path, capsys, monkeypatch, two_feature_csv):
    import numpy

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(numpy, 'savez_compressed', full)
    monkeypatch.setattr(numpy, 'savez', full)
    assert train(tmp_path / 'run', two_feature_csv, '--snapshot-interval', '2') == 2
    assert 'disk is full' in one_error(capsys)


@pytest.mark.slow
def test_a_file_size_limit_in_a_subprocess(tmp_path, two_feature_csv):
    out = tmp_path / 'run'
    cmd = ('ulimit -f 8; exec {} -m chainer_irnn train --csv {} --out {} --iteration 4 '
           '--min-iteration 0 --snapshot-interval 1 --no-progress --hidden 64').format(
               sys.executable, two_feature_csv, out)
    proc = subprocess.run(['bash', '-c', cmd], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT), timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert 'Traceback' not in proc.stderr and 'ulimit -f' in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if 'error:' in line]
    assert len(errors) == 1
