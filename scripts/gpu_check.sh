#!/usr/bin/env bash
# One-shot GPU check of the fused IRNN kernel, for a session that
# has a GPU for a few minutes.  It runs, in this order, writing everything to
# OUT_DIR (default $OUT if set, else ./gpu_results):
#
#   env.txt          date, nvidia-smi, Python and library versions
#   tests_gpu.txt    tests/functions_tests/test_irnn_cuda.py on the GPU
#                    (CHAINER_IRNN_TEST_CUDA=gpu: CuPy arrays, real kernels)
#   bench_gpu.txt    benchmarks/bench_irnn.py --device @cupy:0 (naive, fused-cuda,
#   bench_gpu.json   the CuPy loop, cuDNN at batch 16/128/1024; the recurrence
#                    alone in us/step; blog and batch-128 epochs end to end)
#   racecheck.txt    compute-sanitizer racecheck and memcheck over the kernels'
#   memcheck.txt     launch-variant tests (small shapes)
#
# Each stage has its own time limit (TEST_S, BENCH_S, SANITIZER_S seconds;
# defaults 120, 360, 60), cut to what is left of DEADLINE_S (default 540: a
# device run may last 600 s) so that a slow stage cannot take the others'
# results with it and the script ends in time; a stage with under 15 s left
# is skipped.  The exit status is that of the first stage that failed.
#
#   scripts/gpu_check.sh --prepare      # here, on the CPU machine: wheels into .whl/
#   scripts/gpu_check.sh [OUT_DIR]      # there, on the GPU machine
#
# The GPU machine cannot download: what its Python lacks travels as wheels in
# .whl/ (Chainer 7.8.1 is an sdist on the index; --prepare builds its wheel
# with pip, from pip's cache when it holds it).  Add '/.whl/' to
# .git/info/exclude and carry '.whl' with the run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=${PYTHON:-python3}

if [ "${1:-}" = "--prepare" ]; then
  mkdir -p .whl
  PIP_CONSTRAINT="$root/constraints.txt" "$py" -m pip wheel -q --no-deps -w .whl 'chainer==7.8.1' || exit
  ls -l .whl
  echo "gpu_check: now add '/.whl/' to .git/info/exclude and carry '.whl'" >&2
  exit 0
fi

out=${1:-${OUT:-$root/gpu_results}}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
if compgen -G "$root/.whl/*.whl" >/dev/null; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/gpu_check_site "$root"/.whl/*.whl || exit
  export PYTHONPATH=/tmp/gpu_check_site
fi
export PYTHONPATH=$root${PYTHONPATH:+:$PYTHONPATH}
status=0
start=$(date +%s)
deadline=${DEADLINE_S:-540}
stage() {   # stage NAME SECONDS COMMAND...: runs with a time limit, logs to $out/NAME.txt
  local name=$1 limit=$2
  shift 2
  local left=$((deadline - ($(date +%s) - start)))
  [ "$limit" -le "$left" ] || limit=$left
  if [ "$limit" -lt 15 ]; then
    echo "=== $name skipped: ${left}s left of DEADLINE_S=$deadline" | tee "$out/$name.txt"
    return
  fi
  echo "=== $name ($(date -u +%H:%M:%S), limit ${limit}s): $*" | tee "$out/$name.txt"
  timeout "$limit" "$@" 2>&1 | tee -a "$out/$name.txt"
  local rc=${PIPESTATUS[0]}
  echo "=== $name exit $rc" | tee -a "$out/$name.txt"
  [ "$status" -ne 0 ] || status=$rc
}

{
  date -u
  nvidia-smi || true
  "$py" - <<'EOF'
import importlib, sys
print('python', sys.version.split()[0], sys.executable)
for name in ('numpy', 'chainer', 'cupy', 'numba', 'numba.cuda', 'torch'):
    try:
        m = importlib.import_module(name)
        print(name, getattr(m, '__version__', ''), getattr(m, '__file__', ''))
    except Exception as e:
        print(name, 'NOT IMPORTABLE:', repr(e))
try:
    import torch
    print('torch cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(),
          'gpu', torch.cuda.is_available() and torch.cuda.get_device_name(0))
except Exception as e:
    print('torch:', repr(e))
EOF
} > "$out/env.txt" 2>&1
cat "$out/env.txt"

stage tests_gpu "${TEST_S:-120}" env CHAINER_IRNN_TEST_CUDA=gpu \
  "$py" -m pytest -q -p no:cacheprovider -x tests/functions_tests/test_irnn_cuda.py
stage bench_gpu "${BENCH_S:-360}" \
  "$py" benchmarks/bench_irnn.py --device @cupy:0 --cuda-seqs 1,2,4 --json "$out/bench_gpu.json"
if command -v compute-sanitizer >/dev/null 2>&1; then
  for tool in racecheck memcheck; do
    stage "$tool" "${SANITIZER_S:-60}" env CHAINER_IRNN_TEST_CUDA=gpu \
      compute-sanitizer --tool "$tool" --error-exitcode 9 \
      "$py" -m pytest -q -p no:cacheprovider -x tests/functions_tests/test_irnn_cuda.py \
      -k 'launch_variants'
  done
else
  echo "compute-sanitizer not found: no racecheck/memcheck" | tee "$out/racecheck.txt"
fi
echo "gpu_check: results in $out (first failing stage's exit status: $status)"
exit "$status"
