"""``recur.checks``: the one place values are checked against their declared type and range."""

import argparse
import math
from dataclasses import dataclass, field

import pytest

from recur.checks import check_config, check_options, check_value, number_flag, output_file, range_text
from recur.errors import RecurError


@pytest.mark.parametrize("limits, text", [
    ({"at_least": 0}, ">= 0"), ({"above": 0}, "> 0"), ({"at_most": 1}, "<= 1"), ({"below": 1}, "< 1"),
    ({"at_least": 0, "below": 1}, "in [0, 1)"), ({"above": 0, "at_most": 2**63 - 1}, "in (0, 9223372036854775807]"),
])
def test_range_text(limits, text):
    assert range_text(limits) == text


@pytest.mark.parametrize("value, kind, limits, message", [
    (math.nan, float, {}, "x must be a finite number, got nan"),
    (math.inf, float, {}, "x must be a finite number, got inf"),
    (True, int, {}, "x must be an integer, got True"),
    ("3", int, {}, "x must be an integer, got '3'"),
    (2.5, int, {}, "x must be an integer, got 2.5"),
    (1, bool, {}, "x must be true or false, got 1"),
    (0, int, {"at_least": 1}, "x must be >= 1, got 0"),
    (1.0, float, {"below": 1}, "x must be < 1, got 1"),
    (None, int, {}, "x must be an integer, got nothing"),
])
def test_bad_values_are_refused_naming_the_setting(value, kind, limits, message):
    with pytest.raises(RecurError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        check_value("x", value, kind, limits)


def test_good_values_pass_and_ints_become_floats():
    assert check_value("x", 3, float) == 3.0 and isinstance(check_value("x", 3, float), float)
    assert check_value("x", None, int | None) is None
    assert check_value("x", "b", str, choices=("a", "b")) == "b"
    with pytest.raises(RecurError, match="unknown x 'c'; choose one of: a, b"):
        check_value("x", "c", str, choices=("a", "b"))


@dataclass(frozen=True)
class Base:
    size: int = field(default=4, metadata={"at_least": 1})
    rate: float = field(default=0.5, metadata={"above": 0, "below": 1})

    def __post_init__(self):
        check_config(self)


@dataclass(frozen=True)
class Child(Base):
    size: int = 8  # a new default keeps the base's range


def test_configs_are_checked_with_their_bases_ranges():
    assert Base(rate=1 // 2 + 0.25).rate == 0.25
    with pytest.raises(RecurError, match="size must be >= 1, got 0"):
        Child(size=0)
    with pytest.raises(RecurError, match=r"rate must be in \(0, 1\), got 1"):
        Child(rate=1)


def test_options_are_typed_by_the_functions_annotations():
    def build(width: int = 2, scale: float = 1.0, flag=False):
        pass
    assert check_options("thing", {"width": 3, "scale": 2}, build) == {"width": 3, "scale": 2.0}
    with pytest.raises(RecurError, match="thing option flag must be true or false, got 'yes'"):
        check_options("thing", {"flag": "yes"}, build)
    with pytest.raises(RecurError, match="thing has no option depth; its options: width, scale, flag"):
        check_options("thing", {"depth": 1}, build)


def test_argparse_types_refuse_in_one_line(tmp_path):
    parse = number_flag(float, above=0)
    assert parse("0.5") == 0.5
    for text, message in (("nan", "finite"), ("0", "> 0"), ("x", "a number, got 'x'")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)
    png = output_file(".png")
    assert png("a.PNG") == "a.PNG"
    with pytest.raises(argparse.ArgumentTypeError, match="ending in .png"):
        png("a.jpg")
    with pytest.raises(argparse.ArgumentTypeError, match="is a folder"):
        png(str(tmp_path))
