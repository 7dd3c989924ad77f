"""Run ``chainer-irnn legacy run`` and migrated scripts in subprocesses."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEGACY = os.path.join(ROOT, 'legacy')

# Only the modern-stack shims: the start-up hook is off and the 1.x shims are
# asserted absent before the migrated script runs.
NO_SHIM_RUNNER = (
    'import runpy, sys; import chainer_irnn.compat as c; c.apply(); import chainer; '
    'assert not hasattr(chainer, "FunctionSet"); '
    'assert "chainer_irnn.compat.v1" not in sys.modules; '
    'sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__"); '
    'assert "chainer_irnn.compat.v1" not in sys.modules')


def env(**extra):
    e = dict(os.environ, PYTHONPATH=ROOT)
    e.update(extra)
    return e


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, '-m', 'chainer_irnn'] + list(args),
                          cwd=cwd or ROOT, env=env(), capture_output=True, text=True)


def run_without_shims(script, *args, cwd=None):
    return subprocess.run([sys.executable, '-c', NO_SHIM_RUNNER, script] + list(args),
                          cwd=cwd or ROOT, env=env(CHAINER_IRNN_NO_AUTOLOAD='1'),
                          capture_output=True, text=True)


def losses(stdout):
    """``[(iteration, loss)]`` and the test line's numbers from a legacy script."""
    its = [(int(i), float(v)) for i, v in
           re.findall(r'^iteration (\d+) loss (\S+)$', stdout, re.M)]
    test = [tuple(map(float, m)) for m in
            re.findall(r'^test loss (\S+) accuracy (\S+)$', stdout, re.M)]
    return its, test
