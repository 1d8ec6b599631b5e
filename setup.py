"""Builds recur's one compiled module, the generation engine's inner loops (plain C, no download).

Everything else is in pyproject.toml. The extension is optional: where no C compiler is found,
recur installs without it and the engine runs its NumPy loops instead (``recur.generate.kernels``).
"""

from pathlib import Path

from setuptools import Extension, setup

CSRC = Path("src/recur/generate/csrc")

setup(ext_modules=[Extension(
    "recur.generate._kernels", sources=sorted(str(p) for p in CSRC.glob("*.c")), depends=[str(CSRC / "kernels.h")],
    extra_compile_args=["-O3", "-std=c11", "-pthread"], extra_link_args=["-pthread"], optional=True)])
