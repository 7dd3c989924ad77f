#!/usr/bin/env bash
# Create (or refresh) a virtual environment with chainer-irnn installed.
#
#   scripts/setup_env.sh [VENV] [NUMPY_SPEC] [EXTRAS]
#
# VENV defaults to .venv/np2, NUMPY_SPEC to 'numpy>=2,<3', EXTRAS to 'dev'.
# Chainer 7.8.1 is an sdist whose setup.py imports pkg_resources; the
# constraints file pins setuptools<70 for that build (PIP_CONSTRAINT reaches
# pip's isolated build environments too).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/.venv/np2}
numpy_spec=${2:-numpy>=2,<3}
extras=${3:-dev}
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  echo "setup_env: creating $venv" >&2
  "$python" -m venv "$venv"
fi
export PIP_CONSTRAINT="$root/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/python" -m pip install -q "$numpy_spec" "$root[$extras]"
"$venv/bin/python" -m chainer_irnn doctor >&2
