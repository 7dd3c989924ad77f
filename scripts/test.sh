#!/usr/bin/env bash
# Set up and run the whole test suite, on a fresh machine too.
#
#   scripts/test.sh [pytest args...]
#
# Runs the suite once per NumPy line (NUMPY_LINES="1 2" by default: NumPy
# 1.26 and 2.x), each in its own virtual environment under .venv/ that
# scripts/setup_env.sh creates or refreshes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
lines=${NUMPY_LINES:-1 2}
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
