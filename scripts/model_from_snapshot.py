#!/usr/bin/env python
"""Write the model of a training snapshot as a model folder.

    python scripts/model_from_snapshot.py RUN_DIR OUT_DIR [--snapshot PATH]

Copies ``model.json``, ``settings.json`` and ``log`` of the run folder
``RUN_DIR`` into ``OUT_DIR`` and writes the parameters held in a snapshot
(default: the run's newest ``snapshot_iter_N``) as ``OUT_DIR/model.npz``,
so that ``chainer-irnn evaluate --model OUT_DIR`` scores that iterate.
"""
import argparse
import os
import shutil
import sys

import numpy

PREFIX = 'updater/model:main/predictor/'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('run')
    p.add_argument('out')
    p.add_argument('--snapshot', help='a snapshot file (default: the newest in RUN)')
    args = p.parse_args(argv)
    path = args.snapshot
    if path is None:
        snaps = sorted((int(f.rsplit('_', 1)[1]), f) for f in os.listdir(args.run)
                       if f.startswith('snapshot_iter_') and f.rsplit('_', 1)[1].isdigit())
        if not snaps:
            sys.exit('{}: no snapshot_iter_N file'.format(args.run))
        path = os.path.join(args.run, snaps[-1][1])
    with numpy.load(path) as snapshot:
        params = {k[len(PREFIX):]: snapshot[k] for k in snapshot.files if k.startswith(PREFIX)}
    if not params:
        sys.exit('{}: no model parameters ({}...)'.format(path, PREFIX))
    os.makedirs(args.out, exist_ok=True)
    for name in ('model.json', 'settings.json', 'log'):
        shutil.copy(os.path.join(args.run, name), args.out)
    numpy.savez(os.path.join(args.out, 'model.npz'), **params)
    print('{} -> {}/model.npz ({} arrays)'.format(path, args.out, len(params)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
