"""``chainer-irnn migrate``: migrated scripts run without the 1.x shims and
print the losses the shimmed originals print from the same seed.

Tolerance: the training losses are compared with ``rtol=1e-5``.  Both
versions draw the same random numbers in the same order (1.x initialisers
and Chainer 7's are the same ``numpy.random.normal`` calls), so the forward
passes are the same float32 arithmetic; the one difference is the gradient
norm of ``clip_grads`` (1.x order, a float64 sum) against
``GradientClipping`` (Chainer 7 sums over a set of links whose order follows
string hashing), which moves the clipping factor by ~1e-16 relative and the
float32 parameters by at most an ulp per step — orders of magnitude below
1e-5 over these few steps, and far above what a wrong translation (another
initialisation, a missing clip, train/test mixed up) changes.
"""
import os
import subprocess
import sys

import numpy
import pytest

from chainer_irnn.cli import main
from tests.cli_tests.legacy_helpers import LEGACY, ROOT, cli, env, losses, run_without_shims
from tests.cli_tests.test_legacy_cli import PY2_SCRIPT

CASES = [
    ('irnn_mnist_v1.py', ['--n-train', '48', '--n-test', '16', '--seq-len', '28',
                          '--lr', '0.01', '--seed', '3']),
    ('irnn_float_v1.py', ['--n-train', '48', '--n-test', '16', '--seq-len', '10',
                          '--lr', '0.05', '--seed', '4']),
]


@pytest.mark.slow
@pytest.mark.parametrize('script,args', CASES)
def test_migrated_legacy_script_prints_the_same_losses(tmp_path, script, args):
    original = os.path.join(LEGACY, script)
    migrated = str(tmp_path / script)
    p = cli('migrate', original, '-o', migrated)
    assert p.returncode == 0, p.stderr
    with open(migrated) as f:
        code = f.read().split('"""', 2)[2]   # the code after the docstring
    assert 'FunctionSet' not in code and 'volatile' not in code
    assert 'zero_grads' not in code and 'clip_grads' not in code
    assert '# MIGRATE' not in code
    shimmed = cli('legacy', 'run', original, *args)
    plain = run_without_shims(migrated, *args)
    assert shimmed.returncode == 0, shimmed.stderr
    assert plain.returncode == 0, plain.stderr
    assert 'ChainerV1Warning' not in plain.stderr
    its1, test1 = losses(shimmed.stdout)
    its2, test2 = losses(plain.stdout)
    assert len(its1) == len(its2) == 3
    numpy.testing.assert_allclose([v for _, v in its2], [v for _, v in its1], rtol=1e-5)
    numpy.testing.assert_allclose(test2, test1, rtol=1e-5)
    # the run is not trivially constant: training moves the loss
    assert len({v for _, v in its1}) == 3


@pytest.mark.slow
def test_python2_v1_script_migrates_and_matches(tmp_path):
    script = tmp_path / 'old.py'
    script.write_text(PY2_SCRIPT)
    new = str(tmp_path / 'new.py')
    p = cli('migrate', str(script), '-o', new)
    assert p.returncode == 0, p.stderr
    assert 'Python 2 syntax translated' in p.stderr
    shimmed = cli('legacy', 'run', str(script), '5', cwd=str(tmp_path))
    plain = run_without_shims(new, '5', cwd=str(tmp_path))
    assert plain.returncode == 0, plain.stderr
    its1, _ = losses(shimmed.stdout)
    its2, _ = losses(plain.stdout)
    assert len(its1) == 9
    numpy.testing.assert_allclose([v for _, v in its2], [v for _, v in its1], rtol=1e-5)
    assert 'batches 3' in plain.stdout


def test_stdout_diff_in_place_and_report(tmp_path, capsys):
    script = tmp_path / 'old.py'
    script.write_text('import chainer\nfrom chainer import FunctionSet\n'
                      'import chainer.functions as F\n'
                      'm = FunctionSet(l=F.Linear(2, 2))\nprint(x.volatile)\n')
    assert main(['migrate', str(script)]) == 0
    out, err = capsys.readouterr()
    assert 'chainer.Chain(l=L.Linear(2, 2))' in out
    assert 'old.py:5: MIGRATE:' in err and '1 place(s) left' in err
    assert main(['migrate', '--diff', str(script)]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith('---') and '+m = chainer.Chain(l=L.Linear(2, 2))' in out
    assert main(['migrate', '--strict', str(script), '-o', str(tmp_path / 'n.py')]) == 1
    assert main(['migrate', str(script), '-o', str(script)]) == 2
    assert 'use --in-place' in capsys.readouterr().err
    assert main(['migrate', '--in-place', str(script)]) == 0
    assert '# MIGRATE:' in script.read_text()


def test_unreadable_and_invalid_input(tmp_path, capsys):
    assert main(['migrate', str(tmp_path / 'none.py')]) == 2
    bad = tmp_path / 'bad.py'
    bad.write_text('def f(:\n')
    assert main(['migrate', str(bad)]) == 2
    err = capsys.readouterr().err
    assert 'bad.py' in err and 'line 1' in err and 'Traceback' not in err


@pytest.mark.slow
def test_migrate_a_folder(tmp_path):
    src = tmp_path / 'project'
    (src / 'util').mkdir(parents=True)
    (src / 'util' / '__init__.py').write_text('')
    (src / 'util' / 'io.py').write_text('import cPickle\ndef half(n):\n    return n / 2\n')
    (src / 'model.py').write_text(
        'from chainer import FunctionSet\nimport chainer.functions as F\n'
        'def make():\n    return FunctionSet(l=F.Linear(2, 3))\n')
    (src / 'train.py').write_text('import model\nfrom util.io import half\n'
                                  'net = model.make()\nprint half(7), len(net.parameters)\n'
                                  'def f(opts):\n    return opts.parameters\n')
    (src / 'notes.txt').write_text('kept\n')
    out = tmp_path / 'new'
    p = cli('migrate', str(src), '-o', str(out))
    assert p.returncode == 0, p.stderr
    assert (out / 'notes.txt').read_text() == 'kept\n'
    assert 'import pickle' in (out / 'util' / 'io.py').read_text()
    assert 'chainer.Chain(l=L.Linear(2, 3))' in (out / 'model.py').read_text()
    assert '4 file(s) migrated, 1 place(s) left for you' in p.stderr
    assert 'MIGRATE: "opts.parameters"' in p.stderr   # not known: flagged
    r = run_without_shims(str(out / 'train.py'), cwd=str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '3 2'     # Python 2's 7 / 2; W and b


def test_migrate_a_folder_needs_an_output(tmp_path, capsys):
    (tmp_path / 'a.py').write_text('x = 1\n')
    assert main(['migrate', str(tmp_path)]) == 2
    assert '-o NEW_FOLDER' in capsys.readouterr().err


def test_strict_and_stderr_for_what_is_left(tmp_path, capsys):
    script = tmp_path / 'old.py'
    script.write_text('import chainer.functions as F\ny = F.some_1x_function(x)\n')
    assert main(['migrate', str(script), '-o', str(tmp_path / 'new.py'), '--strict']) == 1
    err = capsys.readouterr().err
    assert 'old.py:2: MIGRATE: "F.some_1x_function" does not exist in Chainer 7' in err
    assert '# MIGRATE:' in (tmp_path / 'new.py').read_text()
    assert main(['migrate', str(script), '-o', str(tmp_path / 'new2.py')]) == 0


# -- issue 22: links, user code, encodings; issue 24: help and pipes ------------

def _link_project(tmp_path):
    """proj/ with a link out of it to a victim, a link to its parent and links
    inside it; out/victim.py must never change."""
    (tmp_path / 'out').mkdir()
    victim = tmp_path / 'out' / 'victim.py'
    victim.write_text('x = 7 / 2\n')
    proj = tmp_path / 'proj'
    (proj / 'sub').mkdir(parents=True)
    (proj / 'a.py').write_text('import cPickle\nprint 7 / 2\n')
    os.symlink(os.path.join('..', 'out', 'victim.py'), str(proj / 'link.py'))
    os.symlink(str(victim), str(proj / 'abs_link.py'))
    os.symlink('..', str(proj / 'up'))
    os.symlink(os.path.join('..', 'a.py'), str(proj / 'sub' / 'in.py'))
    os.symlink('sub', str(proj / 'subalias'))
    return proj, victim


def test_folder_in_place_never_writes_through_a_link_out_of_it(tmp_path, capsys):
    proj, victim = _link_project(tmp_path)
    assert main(['migrate', str(proj), '--in-place']) == 0
    err = capsys.readouterr().err
    assert victim.read_text() == 'x = 7 / 2\n'
    assert '_py2_div' in (proj / 'a.py').read_text()     # the project itself migrated
    assert os.path.islink(str(proj / 'sub' / 'in.py'))   # an inner link stays a link
    for name in ('link.py', 'abs_link.py', 'up'):
        assert 'skipped {} (a link to'.format(proj / name) in err, err
    assert '1 file(s) migrated' in err and '3 link(s) or special file(s) skipped' in err


def test_folder_output_copies_no_link_out_of_it(tmp_path, capsys):
    proj, victim = _link_project(tmp_path)
    new = tmp_path / 'new'
    assert main(['migrate', str(proj), '-o', str(new)]) == 0   # no RecursionError via up/
    err = capsys.readouterr().err
    assert victim.read_text() == 'x = 7 / 2\n'
    assert sorted(os.listdir(str(new))) == ['a.py', 'sub', 'subalias']
    assert os.readlink(str(new / 'sub' / 'in.py')) == os.path.join('..', 'a.py')
    assert os.readlink(str(new / 'subalias')) == 'sub'
    assert '_py2_div' in (new / 'a.py').read_text()
    assert 'skipped {} (a link to .., outside'.format(proj / 'up') in err
    assert '2 link(s) inside it kept as links' in err
    # -o inside the input folder would copy the folder into itself
    assert main(['migrate', str(proj), '-o', str(proj / 'copy')]) == 2
    assert 'is inside' in capsys.readouterr().err and not (proj / 'copy').exists()


def test_folder_in_place_replaces_a_hard_link_instead_of_writing_through(tmp_path, capsys):
    (tmp_path / 'out').mkdir()
    victim = tmp_path / 'out' / 'victim.py'
    victim.write_text('print 7 / 2\n')
    victim.chmod(0o751)
    proj = tmp_path / 'proj'
    proj.mkdir()
    os.link(str(victim), str(proj / 'hard.py'))
    assert main(['migrate', str(proj), '--in-place']) == 0
    assert victim.read_text() == 'print 7 / 2\n'
    assert '_py2_div' in (proj / 'hard.py').read_text()
    assert oct((proj / 'hard.py').stat().st_mode & 0o777) == oct(0o751)
    assert 'has other hard links' in capsys.readouterr().err
    assert sorted(os.listdir(str(proj))) == ['hard.py']     # no temporary file left
    # a link named on the command line is the user's choice: its file is rewritten
    os.symlink(str(victim), str(tmp_path / 'named.py'))
    assert main(['migrate', str(tmp_path / 'named.py'), '--in-place']) == 0
    assert os.path.islink(str(tmp_path / 'named.py')) and '_py2_div' in victim.read_text()


def test_folder_with_only_a_parent_link(tmp_path, capsys):
    p = tmp_path / 'p'
    p.mkdir()
    (p / 'm.py').write_text('y = 1\n')
    os.symlink('..', str(p / 'up'))
    assert main(['migrate', str(p), '-o', str(tmp_path / 'new')]) == 0
    assert os.listdir(str(tmp_path / 'new')) == ['m.py']
    assert main(['migrate', str(p), '--diff']) == 0
    assert 'skipped' in capsys.readouterr().err


@pytest.mark.parametrize('form', ['file', 'folder'])
def test_migrate_never_imports_user_code(tmp_path, form):
    # names that start with "chainer" but are not Chainer: the user's modules
    marker = tmp_path / 'MARKER'
    # ... and modules named like the migrator's own dependencies
    for name in ('chainer_helpers', 'chainerutils', 'libcst', 'fissix', 'lib2to3'):
        (tmp_path / (name + '.py')).write_text(
            'open({!r}, "a").write({!r})\n'.format(str(marker), name))
    (tmp_path / 'train.py').write_text(
        'import chainer\nimport chainer.functions as F\n'
        'from chainer_helpers import util\nimport chainerutils as cu\n'
        'from chainerutils import sub\n'
        'util.go()\ncu.x.y()\nsub.z\ny = F.relu(1)\n')
    (tmp_path / 'old2.py').write_text('import chainer\nprint "python 2"\n')
    runs = [['migrate', 'train.py'], ['migrate', 'old2.py']] if form == 'file' else \
        [['migrate', '.', '-o', str(tmp_path.parent / (tmp_path.name + '_new'))]]
    for args in runs:
        p = cli(*args, cwd=str(tmp_path))
        assert p.returncode == 0, p.stderr
        assert not marker.exists(), marker.read_text()


LATIN1 = '# -*- coding: latin-1 -*-\nprint "caf\xe9 \xb5s", 7 / 2\n'.encode('latin-1')


def test_latin1_script_file_forms(tmp_path, capsys):
    old = tmp_path / 'old.py'
    old.write_bytes(LATIN1)
    assert main(['migrate', str(old), '-o', str(tmp_path / 'new.py')]) == 0
    data = (tmp_path / 'new.py').read_bytes()
    assert b'caf\xe9 \xb5s' in data and b'coding: latin-1' in data   # latin-1 kept
    assert 'the output is iso-8859-1 too' in capsys.readouterr().err
    # stdout redirected to a file: the same bytes
    p = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'migrate', str(old)],
                       cwd=ROOT, env=env(), capture_output=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout == data
    r = run_without_shims(str(tmp_path / 'new.py'))
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'caf\xe9 \xb5s 3\n'
    assert main(['migrate', '--in-place', str(old)]) == 0
    assert old.read_bytes() == data


def test_latin1_folder_and_bad_encodings(tmp_path, capsys):
    proj = tmp_path / 'proj'
    proj.mkdir()
    (proj / 'old.py').write_bytes(LATIN1)
    (proj / 'fine.py').write_text('z = "\u00e9"\n', encoding='utf-8')
    assert main(['migrate', str(proj), '-o', str(tmp_path / 'new')]) == 0
    assert b'caf\xe9 \xb5s' in (tmp_path / 'new' / 'old.py').read_bytes()
    assert (tmp_path / 'new' / 'fine.py').read_text(encoding='utf-8') == 'z = "\u00e9"\n'
    capsys.readouterr()
    bad = tmp_path / 'bad.py'
    bad.write_bytes(b'x = 1\ns = "caf\xe9"\n')           # latin-1 bytes, no declaration
    assert main(['migrate', str(bad)]) == 2
    err = capsys.readouterr().err
    assert 'bad.py, line 2: not valid utf-8 text' in err and 'coding' in err
    unknown = tmp_path / 'unknown.py'
    unknown.write_bytes(b'# -*- coding: klingon -*-\nx = 1\n')
    assert main(['migrate', str(unknown)]) == 2
    err = capsys.readouterr().err
    assert 'unknown.py' in err and 'klingon' in err and 'Traceback' not in err


def test_help_is_plain_text(capsys):
    for command in (['migrate', '--help'], ['legacy', '--help']):
        with pytest.raises(SystemExit):
            main(command)
        out = capsys.readouterr().out
        assert ':mod:' not in out and '``' not in out, out
    assert 'chainer_irnn.migrate' in out or 'chainer_irnn.compat.v1' in out


def test_diff_into_a_closed_pipe_ends_quietly(tmp_path):
    script = tmp_path / 'big.py'
    script.write_text('from chainer import FunctionSet\nimport chainer.functions as F\n' +
                      ''.join('m{} = FunctionSet(l=F.Linear(2, 2))\n'.format(i)
                              for i in range(3000)))     # a diff far above a pipe's buffer
    for args in (['--diff', str(script)], [str(script)]):
        p = subprocess.Popen([sys.executable, '-m', 'chainer_irnn', 'migrate'] + args,
                             cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdout.readline()
        p.stdout.close()              # `| head -1`
        err = p.stderr.read().decode()
        assert p.wait() == 0, err
        assert 'BrokenPipeError' not in err and 'Traceback' not in err, err
        assert 'construct(s) rewritten' in err   # the report still came


def test_file_follows_its_local_imports_to_the_1x_model(tmp_path, capsys):
    # issue 24: the FunctionSet is in models/net.py, W is used in train.py
    proj = tmp_path / 'proj'
    proj.mkdir()
    (proj / 'models').mkdir()
    (proj / 'models' / '__init__.py').write_text('')
    (proj / 'models' / 'net.py').write_text(
        'from chainer import FunctionSet\nimport chainer.functions as F\n'
        'def make():\n    return FunctionSet(l1=F.Linear(3, 2))\n')
    (proj / 'train.py').write_text(
        'import numpy as np\nfrom models.net import make\nmodel = make()\n'
        'print(model.l1.W.max())\nW = model.l1.W\nW[0] = 1\n'
        'print("%e" % model.l1.W[0, 0])\n')
    new = tmp_path / 'new'
    assert main(['migrate', str(proj), '-o', str(new)]) == 0
    assert main(['migrate', str(proj / 'train.py'), '-o', str(tmp_path / 't.py')]) == 0
    code = (tmp_path / 't.py').read_text()
    assert 'model.l1.W.array.max()' in code and 'W = model.l1.W.array' in code
    assert '"%e" % model.l1.W.array[0, 0]' in code and '# MIGRATE' not in code
    (new / 'train.py').write_text(code)
    r = run_without_shims(str(new / 'train.py'), cwd=str(new))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1] == '1.000000e+00'
    # the model file missing: a note on each array use, never a silent miss
    os.remove(str(proj / 'models' / 'net.py'))
    (proj / 'train.py').write_text('import chainer\n' + (proj / 'train.py').read_text())
    capsys.readouterr()
    assert main(['migrate', str(proj / 'train.py'), '--strict']) == 1
    assert capsys.readouterr().err.count('used as an array') == 3


# -- issue 22 (review): python -m runs nothing from the current folder; a folder
# is migrated all or nothing -------------------------------------------------------

SHADOWS = ('chainer', 'numpy', 'difflib', 'argparse', 'logging', 'json', 'six', 'filelock')


def _shadow_modules(folder, marker, names=SHADOWS):
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / (name + '.py')).write_text(
            'open({!r}, "a").write({!r})\n'.format(str(marker), name + ' '))


def test_python_m_runs_nothing_from_the_current_folder(tmp_path):
    marker = tmp_path / 'MARKER'
    _shadow_modules(tmp_path, marker)
    (tmp_path / 'x.py').write_text('from chainer import FunctionSet\n'
                                   'import chainer.functions as F\n'
                                   'm = FunctionSet(l=F.Linear(2, 2))\n')
    p = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'migrate', 'x.py'],
                       cwd=str(tmp_path), env=env(), capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert 'chainer.Chain(l=L.Linear(2, 2))' in p.stdout
    assert not marker.exists(), marker.read_text()
    # migrate starts without Chainer or NumPy (x.py needs no name checked in
    # Chainer 7): shadows of the installed
    # packages on PYTHONPATH say so (not the stdlib: Python itself would break)
    shadows = tmp_path / 'shadows'
    _shadow_modules(shadows, marker, ('chainer', 'numpy', 'six', 'filelock'))
    p = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'migrate', str(tmp_path / 'x.py')],
                       cwd=str(tmp_path), capture_output=True, text=True,
                       env=env(PYTHONPATH=os.pathsep.join([ROOT, str(shadows)])))
    assert p.returncode == 0, p.stderr
    assert not marker.exists(), marker.read_text()
    # a source checkout run from its root, without PYTHONPATH, still works
    plain = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    p = subprocess.run([sys.executable, '-m', 'chainer_irnn', 'migrate', str(tmp_path / 'x.py')],
                       cwd=ROOT, env=plain, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert 'chainer.Chain(l=L.Linear(2, 2))' in p.stdout


def _half_bad_project(tmp_path, files):
    proj = tmp_path / 'proj'
    (proj / 'sub').mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (proj / name).write_bytes(data)
    return proj


def _unchanged(proj, files):
    assert {os.path.relpath(os.path.join(d, n), str(proj))
            for d, _, names in os.walk(str(proj)) for n in names} == set(files)
    for name, data in files.items():
        assert (proj / name).read_bytes() == data, name


@pytest.mark.parametrize('mode', ['--in-place', '-o', '--diff'])
def test_folder_with_a_bad_file_writes_nothing(tmp_path, capsys, mode):
    files = {'a.py': b'import cPickle\nprint 7 / 2\n',
             'z.py': b'def f(:\n    pass\n'}                # no Python at all
    args = ['-o', str(tmp_path / 'new')] if mode == '-o' else [mode]
    nothing = 'nothing printed' if mode == '--diff' else 'nothing written'
    proj = _half_bad_project(tmp_path, files)
    assert main(['migrate', str(proj)] + args) == 2
    out, err = capsys.readouterr()
    assert out == ''
    _unchanged(proj, files)                      # a.py, valid, was not rewritten either
    assert sorted(os.listdir(str(tmp_path))) == ['proj']   # no output folder, nothing hidden
    lines = err.splitlines()
    assert len(lines) == 2 and 'Traceback' not in err, err
    assert 'z.py, line 1' in lines[0]
    assert '1 of 2 file(s) could not be migrated' in lines[1] and nothing in lines[1]
    # every failing file is named, one line each, in path order
    files['sub/m.py'] = b'x = 1\ns = "caf\xe9"\n'         # not UTF-8, no declaration
    _half_bad_project(tmp_path, files)
    assert main(['migrate', str(proj)] + args) == 2
    out, err = capsys.readouterr()
    assert out == ''
    _unchanged(proj, files)
    assert sorted(os.listdir(str(tmp_path))) == ['proj']
    lines = err.splitlines()
    assert len(lines) == 3 and 'Traceback' not in err, err
    assert 'm.py, line 2: not valid utf-8 text' in lines[0]
    assert 'z.py, line 1' in lines[1]
    assert '2 of 3 file(s) could not be migrated' in lines[2] and nothing in lines[2]


def _fail_for(name, real):
    def fail(*a, **k):
        if name in ' '.join(map(str, a)) + ' '.join(map(str, k.values())):
            raise OSError(28, 'No space left on device')
        return real(*a, **k)
    return fail


def test_folder_in_place_write_failure_changes_no_file(tmp_path, capsys, monkeypatch):
    import tempfile
    proj = tmp_path / 'proj'
    proj.mkdir()
    files = {'a.py': b'print 7 / 2\n', 'z.py': b'print 9 / 2\n'}
    for name, data in files.items():
        (proj / name).write_bytes(data)
    monkeypatch.setattr(tempfile, 'mkstemp', _fail_for('z.py', tempfile.mkstemp))
    assert main(['migrate', str(proj), '--in-place']) == 2
    err = capsys.readouterr().err
    assert 'cannot write {}: No space left on device; no file was changed'.format(
        proj / 'z.py') in err, err
    _unchanged(proj, files)                      # a.py, staged first, not replaced
    monkeypatch.undo()
    assert main(['migrate', str(proj), '--in-place']) == 0
    assert all('_py2_div' in (proj / n).read_text() for n in files)


def test_folder_output_write_failure_leaves_no_output(tmp_path, capsys, monkeypatch):
    import shutil
    proj = tmp_path / 'proj'
    proj.mkdir()
    for name in ('a.py', 'b.txt', 'z.py'):
        (proj / name).write_text('x = 1\n')
    monkeypatch.setattr(shutil, 'copy2', _fail_for('z.py', shutil.copy2))
    new = tmp_path / 'new'
    assert main(['migrate', str(proj), '-o', str(new)]) == 2
    err = capsys.readouterr().err
    assert 'cannot write {}: No space left on device; nothing was written there'.format(
        new) in err, err
    assert sorted(os.listdir(str(tmp_path))) == ['proj']
    monkeypatch.undo()
    assert main(['migrate', str(proj), '-o', str(new)]) == 0
    assert sorted(os.listdir(str(new))) == ['a.py', 'b.txt', 'z.py']
    assert oct(new.stat().st_mode & 0o777) == oct(proj.stat().st_mode & 0o777)
