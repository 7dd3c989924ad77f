"""scripts/test.sh ends with one line per line of the matrix and the verdict.

The script runs in a copy of the project's layout whose set-up step does
nothing and whose virtual environments are this interpreter, on a test file
with one passing and one failing test.
"""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TESTS = """
def test_passes():
    pass


def test_fails():
    assert False
"""


def fake_project(tmp_path):
    root = tmp_path / 'project'
    (root / 'scripts').mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, 'scripts', 'test.sh'), root / 'scripts' / 'test.sh')
    setup = root / 'scripts' / 'setup_env.sh'
    setup.write_text('#!/usr/bin/env bash\nexit 0\n')
    setup.chmod(0o755)
    for name in ('np1', 'np2'):
        bin_dir = root / '.venv' / name / 'bin'
        bin_dir.mkdir(parents=True)
        python = bin_dir / 'python'      # this interpreter, with its environment
        python.write_text('#!/bin/sh\nexec {} "$@"\n'.format(sys.executable))
        python.chmod(0o755)
    (root / 'test_two.py').write_text(TESTS)
    return root


def run(root, *args):
    env = dict(os.environ, TEST_LINES='1 2', SLOW_LINES='2', CHAINER_IRNN_MPI='0', LINT='0')
    return subprocess.run(['bash', str(root / 'scripts' / 'test.sh'), 'test_two.py'] + list(args),
                          cwd=root, env=env, capture_output=True, text=True)


def test_a_failure_on_any_line_is_the_last_line(tmp_path):
    proc = run(fake_project(tmp_path))
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert lines[-1] == 'test.sh: 2 passed, 2 failed, 0 skipped', lines[-4:]
    assert lines[-4] == '=== test.sh summary (FAILED)'
    assert lines[-3].startswith('line 1: FAILED, pytest exit 1 (1 failed, 1 passed')
    assert lines[-2].startswith('line 2: FAILED, pytest exit 1 (1 failed, 1 passed')


def test_all_lines_passing(tmp_path):
    proc = run(fake_project(tmp_path), '-k', 'passes')
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert lines[-4:] == ['=== test.sh summary (all lines passed)',
                          lines[-3], lines[-2], 'test.sh: 2 passed, 0 failed, 0 skipped']
    assert lines[-3].startswith('line 1: ok (1 passed, 1 deselected')
    assert lines[-2].startswith('line 2: ok (1 passed, 1 deselected')


def test_no_test_run_is_a_failure(tmp_path):
    proc = run(fake_project(tmp_path), '-k', 'nothing_matches')
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1] == 'test.sh: 0 passed, 2 failed, 0 skipped'


def test_lint_problems_fail_the_run(tmp_path):
    pytest.importorskip('flake8')
    root = fake_project(tmp_path)
    (root / 'setup.cfg').write_text('[flake8]\nmax-line-length = 100\nexclude = .venv\n')
    (root / 'bad.py').write_text('import os\n')                 # F401: unused
    env = dict(os.environ, TEST_LINES='2', CHAINER_IRNN_MPI='0', LINT='1')
    proc = subprocess.run(['bash', str(root / 'scripts' / 'test.sh'), 'test_two.py', '-k',
                           'passes'], cwd=root, env=env, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 1
    assert './bad.py:1:1: F401' in proc.stdout
    assert 'flake8: FAILED (1 problems, listed above)' in lines
    assert lines[-1] == 'test.sh: 1 passed, 1 failed, 0 skipped'
