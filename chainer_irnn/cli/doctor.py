"""``chainer-irnn doctor``: show the stack and which shims are active."""


def add_parser(sub):
    return sub.add_parser('doctor', help='show Python, NumPy, Chainer, CuPy and the active shims')


def run(args):
    from chainer_irnn.compat import modern
    for key, value in modern.report().items():
        print('{:28s} {}'.format(key, value))
    return 0
