#!/usr/bin/env python
"""Plot one key of several training logs (``<out>/log``) on one figure.

    python scripts/plot_logs.py --key validation/main/accuracy --x epoch \\
        --out docs/img/irnn-test-accuracy.png \\
        'Adam 1e-4=results/irnn/log' 'resumed at 5e-5=results/irnn-b/log'

Each argument is ``LABEL=PATH`` (or a bare PATH, labelled by its folder).
``--x images`` puts training images seen on the x axis (iteration times the
batch size, and the number of processes, from ``settings.json`` beside the
log), to compare runs of different batch sizes.
Needs matplotlib (the ``plot`` extra).
"""
import argparse
import json
import os
import sys


def images_per_iteration(path):
    settings = os.path.join(os.path.dirname(os.path.abspath(path)), 'settings.json')
    try:
        with open(settings) as f:
            s = json.load(f)
        return s['batchsize'] * s.get('processes', 1)
    except (OSError, ValueError, KeyError) as e:
        sys.exit('{}: --x images needs the batch size from {} ({})'.format(path, settings, e))


def series(path, key, x_key):
    try:
        with open(path) as f:
            log = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit('{}: not a training log ({})'.format(path, e))
    scale = 1
    if x_key == 'images':
        x_key, scale = 'iteration', images_per_iteration(path)
    points = [(e[x_key] * scale, e[key]) for e in log if key in e and x_key in e]
    if not points:
        sys.exit('{}: no entries with {!r} and {!r}'.format(path, key, x_key))
    return points


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('logs', nargs='+', metavar='[LABEL=]PATH')
    p.add_argument('--key', default='validation/main/accuracy')
    p.add_argument('--x', default='epoch',
                   help='x axis key (epoch, iteration, elapsed_time), or images: '
                        'training images seen')
    p.add_argument('--out', required=True, help='PNG to write')
    p.add_argument('--title')
    args = p.parse_args(argv)
    from matplotlib.figure import Figure
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for spec in args.logs:
        label, _, path = spec.rpartition('=')
        label = label or os.path.basename(os.path.dirname(os.path.abspath(path)))
        xs, ys = zip(*series(path, args.key, args.x))
        ax.plot(xs, ys, marker='.' if len(xs) <= 60 else None, label=label)
    ax.set_xlabel('training images seen' if args.x == 'images' else args.x)
    ax.set_ylabel(args.key)
    ax.grid(alpha=0.3)
    ax.legend(loc='best')
    if args.title:
        ax.set_title(args.title)
    fig.tight_layout()
    fig.savefig(args.out)
    print('wrote', args.out)


if __name__ == '__main__':
    main()
