#!/usr/bin/env bash
# Create (or refresh) a virtual environment with chainer-irnn installed.
#
#   scripts/setup_env.sh [VENV] [NUMPY_SPEC] [EXTRAS]
#
# VENV defaults to .venv/np2, NUMPY_SPEC to 'numpy>=2,<3', EXTRAS to 'dev'.
# With CHAINER_IRNN_MPI=1 it also installs mpi4py, for data-parallel training
# with ChainerMN (docs/distributed.md).  That needs an MPI library first:
#   apt-get install -y --no-install-recommends openmpi-bin libopenmpi-dev
# mpi4py's binary wheel loads that library (libmpi) at run time; where pip
# finds no wheel it builds mpi4py from source with the library's mpicc.
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
if [ "${CHAINER_IRNN_MPI:-0}" = 1 ]; then
  if ! command -v mpiexec >/dev/null 2>&1; then
    echo "setup_env: CHAINER_IRNN_MPI=1 needs an MPI library; install one with" >&2
    echo "  apt-get install -y --no-install-recommends openmpi-bin libopenmpi-dev" >&2
    exit 1
  fi
  "$venv/bin/python" -m pip install -q mpi4py
  "$venv/bin/python" -c 'from mpi4py import MPI; print("setup_env: mpi4py on", MPI.Get_library_version().splitlines()[0].strip())' >&2
fi
"$venv/bin/python" -m chainer_irnn doctor >&2
