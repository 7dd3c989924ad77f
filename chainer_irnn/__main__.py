import sys

from chainer_irnn.cli import main

if __name__ == '__main__':
    sys.exit(main())
