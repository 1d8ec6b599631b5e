"""A briefly trained character model shared by the serve tests (30 steps: its text is nonsense,
which is all the page needs)."""

import pytest

import recur


@pytest.fixture(scope="session")
def charlm_dir(tiny_charlm_dir):
    return tiny_charlm_dir


@pytest.fixture(scope="session")
def charlm(charlm_dir):
    return recur.load(charlm_dir)
