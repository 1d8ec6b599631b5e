import os
from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)


@pytest.fixture
def data_root() -> Path:
    """The data root (RECUR_DATA, else ../shared/data); skips, saying why, when absent."""
    root = Path(os.environ.get("RECUR_DATA", SHARED_DATA))
    if not root.is_dir():
        pytest.skip(f"data root {root} not found: set RECUR_DATA to a folder laid out like shared/data")
    return root


@pytest.fixture
def small_text() -> str:
    """A few hundred characters of real Tiny Shakespeare, from the bundled copy."""
    from recur.assets import tiny_shakespeare
    return tiny_shakespeare().read_text(encoding="utf-8")[:6000]
