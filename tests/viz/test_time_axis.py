"""A series' time step read from its time labels: the unit of a forecast picture's x axis."""

import pytest

from recur.viz.time_axis import time_step


@pytest.mark.parametrize("labels, step", [
    (["2016-07-01 00:00:00", "2016-07-01 01:00:00", "2016-07-01 02:00:00"], "hour"),  # ETTh1
    (["1981-12-30", "1981-12-31", "1982-01-01"], "day"),  # Melbourne temperatures
    (["1949-11", "1949-12", "1950-01"], "month"),  # airline passengers
    (["2001-01-31", "2001-02-28"], None),  # not the same day of the month: not one calendar month
    (["1990-06", "1991-06", "1992-06"], "year"),
    (["2017-02-09", "2017-02-10", "2017-02-13"], None),  # trading days skip the weekend
    (["1", "2", "3"], None),  # row numbers, not dates
    (["2016-07-01 00:00:00"], None),
])
def test_the_step_is_read_from_the_labels(labels, step):
    assert time_step(labels) == step
