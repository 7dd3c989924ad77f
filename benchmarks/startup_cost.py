#!/usr/bin/env python
"""What the start-up hook (chainer_irnn_compat.pth) costs every Python start.

    .venv/np2/bin/python benchmarks/startup_cost.py [--runs 40]

Times ``python -c pass`` with the hook and with CHAINER_IRNN_NO_AUTOLOAD=1,
alternately, and prints both medians and their difference (the interpreter
given is the one running this script: run it from an installed environment).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=40)
    args = ap.parse_args(argv)
    envs = {'with hook': dict(os.environ),
            'without': dict(os.environ, CHAINER_IRNN_NO_AUTOLOAD='1')}
    times = {k: [] for k in envs}
    for _ in range(args.runs):
        for name, env in envs.items():
            t = time.perf_counter()
            subprocess.run([sys.executable, '-c', 'pass'], env=env, check=True)
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print('python -c pass, median of {} starts: with hook {:.1f} ms, without {:.1f} ms; '
          'the hook {:.2f} ms'.format(args.runs, med['with hook'], med['without'],
                                      med['with hook'] - med['without']))


if __name__ == '__main__':
    main()
