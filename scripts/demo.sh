#!/usr/bin/env bash
# Set up and run the main job on a fresh machine: the 2015 blog's IRNN
# (EmbedID(256, 100), identity recurrent weights, ReLU) trained with the
# validated recipe (preset irnn: Adam 1e-4, clip 1, batch 128) on the MNIST
# subset embedded in the package (5000 training / 1000 test images).
# Writes log, loss/accuracy plots, snapshots and the model to result/irnn.
#
#   scripts/demo.sh [extra train flags...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=$root/.venv/np2
scripts/setup_env.sh "$venv" 'numpy>=2,<3' plot,fast
"$venv/bin/chainer-irnn" train --preset irnn --data embedded --epoch 30 \
    --out result/irnn --resume none "$@"
"$venv/bin/chainer-irnn" evaluate --model result/irnn --data embedded
echo "demo: log, loss.png, accuracy.png and model.npz are in result/irnn" >&2
echo "demo: the blog's published settings (SGD lr 1e-8, clip 1, batch 16):" \
     "$venv/bin/chainer-irnn train --preset blog --data embedded --out result/blog;" \
     "one epoch of the subset stays at chance (10%): clipped at norm 1, each step moves" \
     "all the weights together by 1e-8 (docs/training.md; the full run: models/blog)" >&2
