#!/usr/bin/env bash
# Set up and run the main job on a fresh machine: the 2015 blog's IRNN
# (EmbedID(256, 100), identity recurrent weights, ReLU, SGD lr 1e-8, clip 1,
# batch 16) on the MNIST subset embedded in the package, one epoch.
# Writes log, loss/accuracy plots, snapshots and the model to result/blog.
#
#   scripts/demo.sh [extra train flags...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=$root/.venv/np2
scripts/setup_env.sh "$venv" 'numpy>=2,<3' plot
"$venv/bin/chainer-irnn" train --preset blog --data embedded --epoch 1 \
    --out result/blog --resume none "$@"
"$venv/bin/chainer-irnn" evaluate --model result/blog --data embedded
echo "demo: log, loss.png, accuracy.png and model.npz are in result/blog" >&2
