#!/usr/bin/env bash
# Set up and run the whole test suite, on a fresh machine too.
#
#   scripts/test.sh [pytest args...]
#
# Runs the suite once per NumPy line (NUMPY_LINES="1 2" by default: NumPy
# 1.26 and 2.x), each in its own virtual environment under .venv/ that
# scripts/setup_env.sh creates or refreshes.
#
# The distributed-training tests need MPI: unless CHAINER_IRNN_MPI=0, OpenMPI
# is installed from Debian packages when mpiexec is missing, mpi4py goes into
# each environment, and those tests then fail rather than skip if MPI is
# broken (CHAINER_IRNN_REQUIRE_MPI=1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
lines=${NUMPY_LINES:-1 2}
export CHAINER_IRNN_MPI=${CHAINER_IRNN_MPI:-1}
if [ "$CHAINER_IRNN_MPI" = 1 ] && ! command -v mpiexec >/dev/null 2>&1; then
  echo "test.sh: installing OpenMPI (Debian packages) for the distributed tests" >&2
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
status=0
for line in $lines; do
  case $line in
    1) spec='numpy>=1.26,<2' ;;
    2) spec='numpy>=2,<3' ;;
    *) echo "test.sh: unknown NumPy line '$line' (use 1 or 2)" >&2; exit 2 ;;
  esac
  venv=$root/.venv/np$line
  echo "=== NumPy line $line ($spec) in $venv" >&2
  scripts/setup_env.sh "$venv" "$spec" dev
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" || status=$?
done
exit $status
