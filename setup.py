"""Build hook: pyproject.toml holds everything else.

The only job here is to place ``chainer_irnn_compat.pth`` at the root of the
installed tree, so that every Python started in the environment applies the
modern-stack shims before a user's own ``import chainer`` (see
``chainer_irnn/compat/autoload.py``).  Setuptools' own
``distutils-precedence.pth`` is installed the same way.
"""
import os

from setuptools import setup
from setuptools.command.build_py import build_py


PTH = 'chainer_irnn_compat.pth'


class BuildPyWithPth(build_py):
    def run(self):
        super().run()
        here = os.path.dirname(os.path.abspath(__file__))
        self.copy_file(os.path.join(here, 'chainer_irnn', 'compat', PTH),
                       os.path.join(self.build_lib, PTH),
                       preserve_mode=False)


setup(cmdclass={'build_py': BuildPyWithPth})
