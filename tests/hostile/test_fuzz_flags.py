"""The CLI's flags with random values (hypothesis; ``fuzz_commands``), in-process: ``recur train
TASK`` for every task and ``recur sample`` each exit 0, or 2 with one ``error:`` line on stderr;
never 70 (an internal error) or a traceback. Below, the flags that once failed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile.fuzz_commands import FLAG_COMMANDS, flag_inputs, judge_flags, tiny_run
from tests.hostile.fuzz_inputs import FUZZ

CASES = 40  # a command; most are refused while parsing, the rest train two steps or sample 16 characters
FIRST = ("train charlm", "train forecast", "sample")  # the main job's commands: more cases
OTHER_CASES = 10  # each other task's training (bench/fuzz.py runs hundreds of each)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return tiny_run(tmp_path_factory.mktemp("fuzz-flags"))


@pytest.mark.parametrize("command", FIRST)
@settings(FUZZ, max_examples=CASES)
@given(data=st.data())
def test_random_flags_run_or_are_refused_in_one_line(run, command, data):
    verdict = judge_flags(command, run, data.draw(flag_inputs(command)))
    assert not verdict.failed, verdict.detail


@pytest.mark.parametrize("command", [c for c in FLAG_COMMANDS if c not in FIRST])
@settings(FUZZ, max_examples=OTHER_CASES)
@given(data=st.data())
def test_every_tasks_random_training_flags_run_or_are_refused_in_one_line(run, command, data):
    verdict = judge_flags(command, run, data.draw(flag_inputs(command)))
    assert not verdict.failed, verdict.detail


ONCE_FAILED = [  # (command, flags, what went wrong before the fix)
    ("sample", [""], "an empty argument: IndexError while suggesting a flag"),
    ("train charlm", ["--embedding", "9" * 5000], "a 5,000-digit value echoed whole"),
    ("train charlm", ["--clip-mode", "9" * 5000], "a 5,000-character choice echoed whole"),
    ("train charlm", ["--embedding", "9223372036854775807"], "an internal error: a storage size overflow"),
    ("train charlm", ["--hidden", "4611686018427387904"], "an internal error of many lines from PyTorch"),
    ("train charlm", ["--layers", "9223372036854775807"], "a hang: the layers are built one by one"),
    ("train forecast", ["--lr", "3.4028236e38"], "an internal error: the optimizer's step overflows float32"),
    ("train forecast", ["--weight-decay", "3.4028236e38"], "the same, from the weight decay"),
]


@pytest.mark.parametrize("command, flags, before", ONCE_FAILED, ids=[f"{c}: {b}" for c, _, b in ONCE_FAILED])
def test_flags_that_once_failed(run, command, flags, before):
    verdict = judge_flags(command, run, flags)
    assert verdict.outcome == "refused", verdict.detail


def test_a_diverged_word_model_reports_an_infinite_perplexity(run):
    """``--lr 1_000`` once ended in an internal error: e^loss of a loss in the thousands overflowed."""
    from recur.tasks.spec import perplexity
    assert perplexity(2.0) == pytest.approx(7.389056) and perplexity(5000.0) == float("inf")
    if "train wordlm" not in FLAG_COMMANDS:
        pytest.skip("the PTB files are not in this data root")
    verdict = judge_flags("train wordlm", run, ["--lr", "1_000", "--lr", "1_000"])
    assert verdict.outcome == "ran", verdict.detail  # trained two steps, said it diverged
