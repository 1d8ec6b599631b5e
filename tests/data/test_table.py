"""CSV tables: quoted or not, rows, and refusals that name file, line and problem."""

import pytest

from recur.data.table import parse_table
from recur.errors import RecurError


def test_a_csv_table_quoted_or_not():
    table = parse_table('"Month","Passengers"\n"1949-01",112\n"1949-02",118\n\n', "air.csv")
    assert table.times == ["1949-01", "1949-02"] and table.columns == ["Passengers"]
    assert table.values.tolist() == [[112.0], [118.0]]
    wide = parse_table("date,a,b,c\nt0,1,2,3\nt1,4,5,6\n", "w.csv", ["c", "a"])
    assert wide.values.tolist() == [[3.0, 1.0], [6.0, 4.0]]
    assert wide.rows(1, 2).times == ["t1"] and wide.rows(1, 2).values.tolist() == [[6.0, 4.0]]


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("date,a\n", "a header but no rows"),
    ("date\nt0\n", "line 1: expected a header of a time column"),
    ("date,a\nt0,1\n", "line 1: no column 'OT'; the value columns are a"),
    ("date,OT\nt0,1\nt1,warm\n", "line 3, column OT: 'warm' is not a number"),
    ("date,OT\nt0,1\nt1,nan\n", "line 3, column OT: 'nan' is not a finite number"),
    ("date,x,OT\nt0,1,2\nt1,3\n", "line 3: 2 fields, the header has 3"),
])
def test_bad_tables_are_refused_naming_file_line_and_problem(text, message):
    with pytest.raises(RecurError, match=f"series.csv.*{message}"):
        parse_table(text, "series.csv", ["OT"] if "OT" in message or "OT" in text else None)
