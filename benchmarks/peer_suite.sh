#!/usr/bin/env bash
# Peer check: run the parts of Chainer 7.8.1's own test suite that cover what
# chainer-irnn uses, in a virtual environment where chainer-irnn is installed
# (so its start-up hook applies the modern-stack shims before Chainer's tests
# import chainer).  A developer tool: CI does not run it, and it downloads
# nothing.  Results and the explanation of every failure: docs/peer-suite.md.
#
#   benchmarks/peer_suite.sh [--venv DIR] [--lenient] CHAINER_SRC [-- PYTEST_ARGS...]
#
# CHAINER_SRC  a Chainer v7.8.1 source checkout (with setup.cfg and tests/),
#              or its tests/ folder alone.  With the checkout, pytest uses
#              Chainer's own setup.cfg: every warning is an error, as in
#              Chainer's CI.  With tests/ alone that configuration is missing
#              and the counts are not comparable with docs/peer-suite.md.
# --venv DIR   the environment to test (default: .venv/np2 of this repo); it
#              needs chainer 7.8.1, chainer-irnn installed (not only on the
#              path), pytest and mock.
# --lenient    also ignore the two warnings that only Chainer's test code
#              raises on Python >= 3.11 / pytest >= 6.2 (a test returning a value;
#              a file a test leaves open), to see the verdict of the checks
#              behind them.
#
# Prints pass/fail/skip/error counts per group and the failed tests; exits 0
# when nothing failed, 1 when something did, 2 on a set-up problem.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.venv/np2
lenient=0
src=
while [ $# -gt 0 ]; do
  case $1 in
    --venv) venv=$2; shift 2 ;;
    --lenient) lenient=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    -*) echo "peer_suite: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$src" ] || { echo "peer_suite: one CHAINER_SRC only" >&2; exit 2; }
       src=$1; shift ;;
  esac
done
[ -n "$src" ] || { sed -n '2,24p' "$0" >&2; exit 2; }
src=$(cd "$src" && pwd)
py=$venv/bin/python
[ -x "$py" ] || { echo "peer_suite: no python in $venv" >&2; exit 2; }

# Where the tests are, and which configuration pytest gets.
has_config() { [ -f "$1/setup.cfg" ] && grep -q '^\[tool:pytest\]' "$1/setup.cfg"; }
if [ -d "$src/tests/chainer_tests" ]; then
  rundir=$src; prefix=tests/chainer_tests
elif [ -d "$src/chainer_tests" ] && has_config "$(dirname "$src")"; then
  rundir=$(dirname "$src"); prefix=$(basename "$src")/chainer_tests
elif [ -d "$src/chainer_tests" ]; then
  rundir=$src; prefix=chainer_tests
else
  echo "peer_suite: $src is neither a Chainer checkout nor its tests/ folder" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if has_config "$rundir"; then
  config=(-c "$rundir/setup.cfg" --rootdir "$rundir")
else
  echo "peer_suite: no Chainer setup.cfg next to the tests: warnings are" \
       "not errors in this run" >&2
  # An empty configuration (declaring Chainer's markers), so that no other
  # project's configuration above the folder is picked up.
  printf '[pytest]\nmarkers =\n' > "$tmp/pytest.ini"
  for m in chainerx cudnn gpu ideep theano multi_gpu slow parametrize_device \
           parametrize_device_name; do
    printf '    %s\n' "$m" >> "$tmp/pytest.ini"
  done
  config=(-c "$tmp/pytest.ini" --rootdir "$rundir")
fi

# The environment: Chainer 7.8.1, the start-up hook active, test packages.
# Run from the Chainer tree so that a chainer-irnn source checkout is not on
# the path: what is tested is what is installed.
if ! (cd "$rundir" && "$py" - <<'EOF'
import importlib.util, sys
missing = [m for m in ('pytest', 'mock') if importlib.util.find_spec(m) is None]
if missing:
    sys.exit('peer_suite: the venv lacks %s (install them with its pip)'
             % ' and '.join(missing))
import chainer, numpy
if chainer.__version__ != '7.8.1':
    sys.exit('peer_suite: chainer %s, not 7.8.1' % chainer.__version__)
if '_chainer_irnn_autoload' not in sys.modules:
    sys.exit('peer_suite: the chainer-irnn start-up hook is not active '
             '(chainer-irnn not installed, or CHAINER_IRNN_NO_AUTOLOAD=1)')
import chainer_irnn
from chainer_irnn.compat import modern
rep = modern.report()
try:
    import setuptools
    st = setuptools.__version__
except ImportError:
    st = None
print('python %s  numpy %s  chainer %s  setuptools %s' % (
    rep['python'], rep['numpy'], rep['chainer'], st))
print('start-up hook active; chainer-irnn from %s' % chainer_irnn.__file__)
print('sctypes restored: %s  environment check replaced: %s' % (
    rep['sctypes_restored'], rep['environment_check_replaced']))
EOF
); then
  exit 2
fi

# group  file (relative to chainer_tests/)
read -r -d '' selection <<'EOF' || true
links        links_tests/connection_tests/test_linear.py
links        links_tests/connection_tests/test_embed_id.py
links        links_tests/rnn_tests/test_link_lstm.py
functions    functions_tests/connection_tests/test_linear.py
functions    functions_tests/connection_tests/test_embed_id.py
functions    functions_tests/activation_tests/test_relu.py
functions    functions_tests/activation_tests/test_tanh.py
functions    functions_tests/loss_tests/test_softmax_cross_entropy.py
functions    functions_tests/rnn_tests/test_function_lstm.py
optimizers   optimizers_tests/test_optimizers.py
optimizers   optimizers_tests/test_optimizers_by_linear_model.py
optimizers   test_optimizer.py
hooks        optimizer_hooks_tests/test_gradient_clipping.py
serializers  serializers_tests/test_npz.py
trainer      training_tests/test_trainer.py
trainer      training_tests/test_extension.py
trainer      training_tests/updaters_tests/test_standard_updater.py
extensions   training_tests/extensions_tests/test_evaluator.py
extensions   training_tests/extensions_tests/test_print_report.py
extensions   training_tests/extensions_tests/test_plot_report.py
extensions   training_tests/extensions_tests/test_snapshot.py
extensions   training_tests/extensions_tests/test_snapshot_writers.py
triggers     training_tests/triggers_tests/test_interval_trigger.py
triggers     training_tests/triggers_tests/test_minmax_trigger.py
triggers     training_tests/triggers_tests/test_manual_schedule_trigger.py
triggers     training_tests/triggers_tests/test_once_trigger.py
EOF
files=()
while read -r _ f; do
  [ -f "$rundir/$prefix/$f" ] || { echo "peer_suite: missing $prefix/$f" >&2; exit 2; }
  files+=("$prefix/$f")
done <<< "$selection"

# ChainerX is not built: its variants are skipped by Chainer's conftest.
markers='not gpu and not cudnn and not multi_gpu and not slow and not chainerx and not ideep and not theano'
extra=()
if [ $lenient = 1 ]; then
  extra=(-W 'ignore:It is deprecated to return a value that is not None from a test case:DeprecationWarning'
         -W 'ignore::pytest.PytestUnraisableExceptionWarning')
fi
echo "peer_suite: ${#files[@]} files from $rundir/$prefix" >&2
set +e
(cd "$rundir" && "$py" -m pytest "${config[@]}" -p no:cacheprovider -q \
   -m "$markers" --junitxml="$tmp/junit.xml" \
   ${extra[@]+"${extra[@]}"} "$@" "${files[@]}" > "$tmp/log" 2>&1)
rc=$?
set -e
if [ ! -s "$tmp/junit.xml" ]; then
  tail -40 "$tmp/log"
  echo "peer_suite: pytest wrote no results (exit $rc)" >&2
  exit 2
fi
tail -1 "$tmp/log"
PEER_SELECTION=$selection PEER_PREFIX=$prefix "$py" - "$tmp/junit.xml" <<'EOF'
import collections, os, re, sys
import xml.etree.ElementTree as ET

prefix = os.environ['PEER_PREFIX'].replace('/', '.')
group_of, order = {}, []
for line in os.environ['PEER_SELECTION'].splitlines():
    group, path = line.split()
    group_of[prefix + '.' + path[:-3].replace('/', '.')] = group
    if group not in order:
        order.append(group)


def reason(node):
    """The innermost exception line of a failure report."""
    lines = [l[1:].strip() for l in (node.text or '').splitlines()
             if l.startswith('E ')]
    hits = [l for l in lines
            if re.match(r'[\w.]+(Error|Warning|Exception|Exit)\b', l)
            and 'Parameterized test failed' not in l]
    if hits:
        return hits[-1]
    message = (node.get('message') or '').strip()
    return message.splitlines()[0] if message else '?'


counts = collections.defaultdict(collections.Counter)
failures = collections.OrderedDict()
for case in ET.parse(sys.argv[1]).iter('testcase'):
    cls = case.get('classname', '')
    module = next((m for m in group_of if cls == m or cls.startswith(m + '.')),
                  None)
    group = group_of.get(module, 'other')
    outcome, node = 'passed', None
    for tag, name in (('failure', 'failed'), ('error', 'error'),
                      ('skipped', 'skipped')):
        node = case.find(tag)
        if node is not None:
            outcome = name
            break
    counts[group][outcome] += 1
    if outcome in ('failed', 'error'):
        why = re.sub(r"name='[^']*'", "name=...", reason(node))
        key = ((module or cls).split('.')[-1], outcome, why[:160])
        failures.setdefault(key, []).append(
            cls.split('.')[-1] + '::' + case.get('name'))
cols = ('passed', 'failed', 'error', 'skipped')
print('%-12s %7s %7s %7s %7s' % (('group',) + cols))
total = collections.Counter()
for group in order + (['other'] if 'other' in counts else []):
    total.update(counts[group])
    print('%-12s %7d %7d %7d %7d' % (
        (group,) + tuple(counts[group][c] for c in cols)))
print('%-12s %7d %7d %7d %7d' % (('total',) + tuple(total[c] for c in cols)))
if failures:
    print('\nnot passed, by file and innermost exception:')
for (module, outcome, why), ids in failures.items():
    print('%4d %s %s: %s' % (len(ids), outcome, module, why))
    print('       e.g. %s' % ids[0][:200])
sys.exit(1 if total['failed'] or total['error'] else 0)
EOF
