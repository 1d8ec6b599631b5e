"""A briefly trained character model shared by the serve tests (30 steps: its text is nonsense,
which is all the page needs)."""

import pytest

import recur
from recur.cli import main


@pytest.fixture(scope="session")
def charlm_dir(tmp_path_factory):
    from recur.assets import tiny_shakespeare
    folder = tmp_path_factory.mktemp("serve")
    text = folder / "text.txt"
    text.write_text(tiny_shakespeare().read_text(encoding="utf-8")[:20000], encoding="utf-8")
    out = folder / "tiny"
    assert main(["train", "charlm", "--data", str(text), "--out", str(out), "--hidden", "32", "--layers", "1",
                 "--max-steps", "30", "--eval-every", "30"]) == 0
    return out


@pytest.fixture(scope="session")
def charlm(charlm_dir):
    return recur.load(charlm_dir)
