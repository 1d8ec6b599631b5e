"""A real tiny checkpoint with one file damaged (hypothesis; ``fuzz_commands``): config.json (read by
``recur sample`` and by a resume), model.safetensors (its JSON header and its bytes) and
trainer_state.json (read by a resume). Each command runs to the end or is refused with one line
naming the run; never a traceback, never an internal error, and pickle is never called. Below, the
files that once failed."""

import json
import pickle

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile.fuzz_commands import CHECKPOINT_FILES, Unpickled, guarded_process, judge_checkpoint, tiny_run
from tests.hostile.fuzz_inputs import FUZZ

CASES = 15  # a file and command; a resume trains a step, some 0.1 s


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return tiny_run(tmp_path_factory.mktemp("fuzz-checkpoint"))


@pytest.mark.parametrize("case", CHECKPOINT_FILES)
@settings(FUZZ, max_examples=CASES)
@given(data=st.data())
def test_a_damaged_checkpoint_file_is_read_or_refused_in_one_line(run, case, data):
    valid = (run / "last" / CHECKPOINT_FILES[case].name).read_bytes()
    verdict = judge_checkpoint(run, case, data.draw(CHECKPOINT_FILES[case].hostile(valid)))
    assert not verdict.failed, verdict.detail


def edited(run, name: str, change) -> bytes:
    """``last/NAME`` of ``run`` as JSON, changed by ``change(data)``."""
    data = json.loads((run / "last" / name).read_text())
    change(data)
    return json.dumps(data).encode()


def first_group(state: dict) -> dict:
    return state["optimizer"]["param_groups"][0]


ONCE_FAILED = [  # (case, the file's new contents from the run, what went wrong before the fix)
    ("config.json, sample", lambda run: b"[]", "a JSON list, not an object: an internal error"),
    ("config.json, sample", lambda run: b"[" * 100_000, "nested too deeply: an internal error"),
    ("config.json, sample", lambda run: b'{"task": ' + b"1" * 5000 + b"}", "a 5,000-digit number: an internal error"),
    ("config.json, sample", lambda run: edited(run, "config.json", lambda c: c.update(task={})),
     "a task that is an object: an internal error"),
    ("config.json, resume", lambda run: edited(run, "config.json", lambda c: c.update(vocab=[None, "a"])),
     "a vocabulary entry that is null: an internal error"),
    ("config.json, resume", lambda run: edited(run, "config.json", lambda c: c["model"].pop("vocab_size")),
     "a refusal that named config.json but not its folder"),
    ("config.json, resume", lambda run: edited(run, "config.json", lambda c: c.update(data=float("nan"))),
     "data settings that are NaN: an internal error"),
    ("config.json, resume", lambda run: edited(run, "config.json", lambda c: c["vocab"].__setitem__(
        c["vocab"].index("a"), "\u00e9")), "a vocabulary that misses a letter of the text: a refusal naming no file"),
    ("trainer_state.json, resume", lambda run: b"null", "null, not an object: an internal error"),
    ("trainer_state.json, resume", lambda run: edited(run, "trainer_state.json", lambda s: s.update(step=None)),
     "a step that is null: an internal error"),
    ("trainer_state.json, resume", lambda run: edited(run, "trainer_state.json", lambda s: s.update(step=float("nan"))),
     "a step that is NaN: an internal error after training"),
    ("trainer_state.json, resume", lambda run: edited(run, "trainer_state.json", lambda s: s.update(lr_scale=1e308)),
     "a huge learning-rate scale: an overflow in the optimizer"),
    ("trainer_state.json, resume", lambda run: edited(run, "trainer_state.json",
                                                      lambda s: first_group(s).update(betas=[0.9])),
     "one beta for Adam: an internal error mid-step"),
    ("trainer_state.json, resume", lambda run: edited(run, "trainer_state.json",
                                                      lambda s: first_group(s).pop("weight_decay")),
     "a deleted optimizer setting: an internal error mid-step"),
    ("trainer_state.json, resume", lambda run: edited(run, "trainer_state.json",
                                                      lambda s: first_group(s)["params"].reverse()),
     "the parameters listed in another order: Adam's moments on the wrong weights, an internal error mid-step"),
    ("trainer_state.json, resume", lambda run: edited(run, "trainer_state.json",
                                                      lambda s: s["train_config"].update(patience=-1)),
     "an edited training setting: a refusal naming no file"),
]


@pytest.mark.parametrize("case, contents, before", ONCE_FAILED, ids=[f"{c}: {b}" for c, _, b in ONCE_FAILED])
def test_files_that_once_failed(run, case, contents, before):
    verdict = judge_checkpoint(run, case, contents(run))
    assert verdict.outcome == "refused", verdict.detail


def test_the_harness_would_see_an_unpickling(tmp_path):
    """The "never pickle" check is not vacuous: inside a case, pickle and torch.load raise."""
    with guarded_process(tmp_path):
        with pytest.raises(Unpickled):
            pickle.loads(pickle.dumps(1))
        with pytest.raises(Unpickled):
            torch.load(tmp_path / "anything.pt")
