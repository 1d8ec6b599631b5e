"""Builds recur's one compiled module, the generation engine's inner loops (plain C, no download).

Everything else is in pyproject.toml. The extension is optional: where no C compiler is found,
recur installs without it and the engine runs its NumPy loop instead (``recur.generate.kernels``).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("recur.generate._kernels", ["src/recur/generate/_kernels.c"],
                             extra_compile_args=["-O3", "-std=c99"], optional=True)])
