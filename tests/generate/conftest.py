"""Fixtures shared by the generation tests."""

import pytest

from recur.generate import kernels


@pytest.fixture(params=["compiled", "compiled-2-threads", "numpy"])
def path(request, monkeypatch):
    """Run a test through the compiled loops (on one thread and on two) and through NumPy alone."""
    if request.param.startswith("compiled") and not kernels.compiled_available():
        pytest.skip("recur's C extension was not built (no C compiler at install)")
    if request.param == "numpy":
        monkeypatch.setenv("RECUR_NO_COMPILED", "1")
    threads = 2 if request.param == "compiled-2-threads" else 1
    kernels.set_threads(threads)
    yield request.param
    kernels.set_threads(1)
