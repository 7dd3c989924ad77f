#!/usr/bin/env bash
# Set up and run the whole test suite, on a fresh machine too.
#
#   scripts/test.sh [pytest args...]
#
# Runs the suite once per line of TEST_LINES (default "1 2 2@3.12"): a line
# is a NumPy line (1: NumPy 1.26, 2: NumPy 2.x), optionally @ a Python
# version whose interpreter python<version> must be on PATH or installed by
# pyenv (default: python3).  Each line gets its own virtual environment under .venv/, which
# scripts/setup_env.sh creates or refreshes.  TEST_LINES=2 runs one line.
#
# The tests marked slow (real training runs, MPI processes, scikit-learn's
# estimator checks, the CUDA simulator: about 2/3 of the time) run on the
# lines of SLOW_LINES (default "2", NumPy 2.x on the default python3); the
# other lines run the rest (-m "not slow"), which covers what differs between
# NumPy and Python versions.  SLOW_LINES=all runs everything everywhere.
#
# After the tests, flake8 checks the tree with setup.cfg's settings (LINT=0
# skips it).  The output ends with one line per line of the matrix, the lint
# line and the counts over all of them ("test.sh: N passed, N failed, N
# skipped"); the exit status is 0 only when every line and the lint passed.
#
# The distributed-training tests need MPI: unless CHAINER_IRNN_MPI=0, OpenMPI
# is installed from Debian packages when mpiexec is missing, mpi4py goes into
# each environment, and those tests then fail rather than skip if MPI is
# broken (CHAINER_IRNN_REQUIRE_MPI=1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
lines=${TEST_LINES:-1 2 2@3.12}
slow_lines=${SLOW_LINES:-2}
export CHAINER_IRNN_MPI=${CHAINER_IRNN_MPI:-1}
if [ "$CHAINER_IRNN_MPI" = 1 ] && ! command -v mpiexec >/dev/null 2>&1; then
  echo "test.sh: mpiexec is missing; installing OpenMPI with apt-get (Debian packages" \
       "openmpi-bin, libopenmpi-dev; needs root) for the distributed tests." \
       "CHAINER_IRNN_MPI=0 skips this and those tests" >&2
  if ! (export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends \
          openmpi-bin libopenmpi-dev >/dev/null); then
    echo "test.sh: could not install OpenMPI; the distributed tests will be skipped" >&2
  fi
fi
if [ "$CHAINER_IRNN_MPI" = 1 ] && command -v mpiexec >/dev/null 2>&1; then
  export CHAINER_IRNN_REQUIRE_MPI=1
else
  export CHAINER_IRNN_MPI=0
fi
# python<version> that runs: on PATH, or installed by pyenv but not selected.
find_python() {
  local cand
  for cand in "python$1" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1"*/bin/"python$1"; do
    if "$cand" -c '' >/dev/null 2>&1; then echo "$cand"; return 0; fi
  done
  return 1
}
status=0
summary=()
# pytest's closing line ("== 12 passed, 1 skipped in 3.4s ==") without its
# rulers, from a log that tee wrote.
last_result() {
  grep -E '[0-9]+ (passed|failed|error|errors|skipped|deselected)' "$1" | tail -n 1 |
    sed -E 's/^=+ //; s/ =+$//'
}
for line in $lines; do
  np=${line%%@*}
  case $np in
    1) spec='numpy>=1.26,<2' ;;
    2) spec='numpy>=2,<3' ;;
    *) echo "test.sh: unknown NumPy line '$np' in '$line' (use 1 or 2)" >&2; exit 2 ;;
  esac
  python=python3 venv=$root/.venv/np$np
  if [ "$line" != "$np" ]; then
    version=${line#*@} venv=$root/.venv/np$np-py${line#*@}
    if ! python=$(find_python "$version"); then
      echo "test.sh: line '$line' needs python$version, found neither on PATH nor" \
           "under pyenv (install it, or choose lines: TEST_LINES='1 2')" >&2
      status=1
      summary+=("line $line: FAILED (no python$version)")
      continue
    fi
  fi
  marks=()
  case " $slow_lines " in
    *" $line "*|" all ") ;;
    *) marks=(-m 'not slow') ;;
  esac
  echo "=== line $line: $("$python" --version 2>&1), $spec, in $venv${marks:+ (not slow)}" >&2
  if ! PYTHON=$python scripts/setup_env.sh "$venv" "$spec" dev; then
    status=1
    summary+=("line $line: FAILED (setting up $venv failed)")
    continue
  fi
  log=$(mktemp "${TMPDIR:-/tmp}/chainer-irnn-test.XXXXXX")
  rc=0
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "${marks[@]}" "$@" 2>&1 | tee "$log" ||
    rc=${PIPESTATUS[0]}
  result=$(last_result "$log")
  rm -f "$log"
  if [ "$rc" = 0 ]; then
    summary+=("line $line: ok (${result:-no result line})")
  else
    status=1
    summary+=("line $line: FAILED, pytest exit $rc (${result:-no result line})")
  fi
done
# Lint: flake8 with setup.cfg's settings, as Chainer checks every change
# (LINT=0 skips it); a problem fails the run like a failing test.
if [ "${LINT:-1}" = 1 ]; then
  lint_python=
  for v in "$root"/.venv/np2 "$root"/.venv/np1; do
    if [ -x "$v/bin/python" ] && "$v/bin/python" -m flake8 --version >/dev/null 2>&1; then
      lint_python=$v/bin/python; break
    fi
  done
  if [ -z "$lint_python" ]; then
    status=1
    summary+=("flake8: FAILED (not installed in any test environment)")
  elif lint_out=$("$lint_python" -m flake8 2>&1); then
    summary+=("flake8: ok (setup.cfg)")
  else
    status=1
    echo "$lint_out"
    summary+=("flake8: FAILED ($(grep -c . <<<"$lint_out") problems, listed above)")
  fi
fi
# The verdict, last: one line per line of the matrix, then the counts over all
# of them ("N passed, N failed, N skipped"; a line that failed before pytest
# counted anything adds one failure, so 0 failed means every line passed).
echo "=== test.sh summary ($([ "$status" = 0 ] && echo 'all lines passed' || echo 'FAILED'))"
passed=0 failed=0 skipped=0
for s in "${summary[@]}"; do
  echo "$s"
  n=$(grep -oE '[0-9]+ passed' <<<"$s" | grep -oE '[0-9]+' || true)
  f=$(grep -oE '[0-9]+ (failed|errors?)' <<<"$s" | awk '{t += $1} END {print t + 0}' || true)
  k=$(grep -oE '[0-9]+ skipped' <<<"$s" | grep -oE '[0-9]+' || true)
  passed=$((passed + ${n:-0})) skipped=$((skipped + ${k:-0}))
  case $s in
    *FAILED*) failed=$((failed + (${f:-0} > 0 ? ${f:-0} : 1))) ;;
  esac
done
echo "test.sh: $passed passed, $failed failed, $skipped skipped"
exit $status
