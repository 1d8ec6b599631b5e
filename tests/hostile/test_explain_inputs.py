"""`recur explain` with hostile settings: every topic, every option, each bad value refused in one line
naming the option (or the size it would take), exit non-zero, no traceback, nothing trained."""

import pytest

from recur.explain import TOPICS

NUMBER_OPTIONS = [(topic.name, name, option) for topic in TOPICS.values() for name, option in topic.options.items()
                  if option.kind in (int, float)]
BAD_NUMBERS = ["x", "", "nan", "inf", "-inf", "-1", "1e400", "[1]", "true", "0x10"]


def bad_values(option) -> list[str]:
    """Values that no number option of this kind and range accepts."""
    values = list(BAD_NUMBERS)
    if option.limits.get("at_least", -1) > 0 or "above" in option.limits:
        values.append("0")
    if option.kind is int:
        values += ["1.5", "1e3"]
    if "at_most" in option.limits:
        values.append(str(10**30))
    return values


@pytest.mark.parametrize("topic, name, value", [(topic, name, value) for topic, name, option in NUMBER_OPTIONS
                                                for value in bad_values(option)])
def test_every_number_option_refuses_nonsense(refused, topic, name, value):
    refused(["explain", topic, "--option", f"{name}={value}"], f"option {name}")


@pytest.mark.parametrize("topic", list(TOPICS))
def test_unknown_option_names_the_valid_ones(refused, topic):
    line = refused(["explain", topic, "--option", "bogus=1"], "has no option bogus")
    assert all(name in line for name in TOPICS[topic].options)


@pytest.mark.parametrize("argv, fragments", [
    # sizes that would allocate far past any lecture's example: refused before anything is built
    (["params", "--option", "hidden=100000000"], ["hidden=100000000", "would need", "PiB"]),
    (["params", "--option", "cell=lstm", "--option", "hidden=10000"], ["hidden=10000", "would need", "GiB"]),
    (["params", "--option", "input=1000000000"], ["input=1000000000", "would need"]),
    (["params", "--option", "output=1000000000"], ["output=1000000000", "would need"]),
    (["params", "--option", f"hidden={10**30}"], ["would need"]),
    (["hello", "--option", "hidden=100000000"], ["hidden=100000000", "would need"]),
    (["bptt", "--option", "hidden=100000000"], ["hidden=100000000", "would need"]),
    (["lstm-gates", "--option", "hidden=100000000"], ["hidden=100000000", "would need"]),
    # the state overflows float64 before there is a gradient to clip
    (["clipping", "--option", "scale=1e30"], ["scale=1e+30", "overflows float64"]),
    (["clipping", "--option", "scale=2", "--option", "steps=5000"], ["overflows float64"]),
    # options that are not numbers
    (["params", "--option", "bias=maybe"], ["option bias", "true or false"]),
    (["params", "--option", "bias=nan"], ["option bias"]),
    (["params", "--option", "cell=lstmm"], ["option cell", "elman, lstm, gru"]),
    (["hello", "--option", "cell="], ["option cell"]),
    (["lstm-gates", "--option", "sentence="], ["option sentence"]),
    (["lstm-gates", "--option", "sentence=" + "x" * 1001], ["option sentence", "1001"]),
    (["lstm-gates", "--option", "model=/nonexistent/run"], ["option model"]),
    (["lstm-gates", "--option", "steps=1", "--option", "hidden=4", "--option", "units=5"], ["option units", "4"]),
    (["lstm-gates", "--option", "steps=1", "--option", "hidden=4", "--option", "sentence=\u65e5"], ["option sentence"]),
    # the command line itself
    (["nope"], ["unknown topic 'nope'"]),
    (["params", "--option", "hidden"], ["NAME=VALUE"]),
    (["params", "--option", "=3"], ["NAME=VALUE"]),
    (["params", "--option", "hidden=2", "--option", "hidden=3"], ["given twice"]),
])
def test_hostile_settings_are_refused_in_one_line(refused, argv, fragments):
    refused(["explain", *argv], *fragments)


def test_an_output_path_that_is_a_file_is_refused(refused, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    refused(["explain", "eigen", "--out", str(blocker)], str(blocker))
