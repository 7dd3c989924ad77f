#!/usr/bin/env python
"""Convert a UCR/UEA ``.ts`` file (sktime's format) to a CSV chainer-irnn reads.

    python scripts/ts_to_csv.py GunPoint_TRAIN.ts GunPoint_TRAIN.csv
    python scripts/ts_to_csv.py JapaneseVowels_TRAIN.ts jv_train.csv   # long layout

A ``.ts`` file has ``@`` header lines, then after ``@data`` one case per line:
the values of each dimension separated by commas, dimensions separated by
``:``, the class label last.  Univariate series of one length become the wide
layout (``label,t1,...,tT``); anything else (several dimensions, or lengths
that differ) becomes the long layout (``id,t,d1,...,dK,label``), one row per
step.  Used for the UCR checks in docs/csv.md; ``.ts`` files ship inside the
sktime wheel (``sktime/datasets/data/``).
"""
import argparse
import csv
import sys

from chainer_irnn.datasets.ts import read_ts
from chainer_irnn.errors import DataError


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('ts')
    p.add_argument('csv')
    p.add_argument('--long', action='store_true', help='long layout even for equal-length '
                                                       'univariate series')
    args = p.parse_args(argv)
    try:
        X, y = read_ts(args.ts)
    except DataError as e:
        sys.exit(str(e))
    cases = [(label, [list(x[:, k]) for k in range(x.shape[1])]) for x, label in zip(X, y)]
    n_dims = len(cases[0][1])
    lengths = {len(values[0]) for _, values in cases}
    span = '-'.join(str(n) for n in sorted({min(lengths), max(lengths)}))
    wide = n_dims == 1 and len(lengths) == 1 and not args.long
    with open(args.csv, 'w', newline='') as f:
        out = csv.writer(f)
        if wide:
            out.writerow(['label'] + ['t{}'.format(t + 1) for t in range(max(lengths))])
            for label, values in cases:
                out.writerow([label] + ['{:.7g}'.format(v) for v in values[0]])
        else:
            out.writerow(['id', 't'] + ['d{}'.format(k + 1) for k in range(n_dims)] + ['label'])
            for i, (label, values) in enumerate(cases):
                for t, step in enumerate(zip(*values)):
                    out.writerow([i, t] + ['{:.7g}'.format(v) for v in step] + [label])
    print('{}: {} cases, {} dimension(s), length {} -> {} layout'.format(
        args.csv, len(cases), n_dims, span, 'wide' if wide else 'long'))


if __name__ == '__main__':
    main()
