"""nnlib.display: tables are Markdown whose text never depends on float noise."""
import pytest

from nnlib.display import fmt, table


def test_table_formats_cells_and_escapes_pipes_in_headers_and_cells():
    t = table([["a|b", 0.123456, 3, None]], ["x|y", "$\\lvert w\\rvert$", "n", "—"])
    lines = str(t).splitlines()
    assert lines[0] == "| x\\|y | $\\lvert w\\rvert$ | n | — |"
    assert lines[1] == "|:--|--:|--:|--:|"
    assert lines[2] == "| a\\|b | 0.1235 | 3 | — |"
    assert t._repr_markdown_() == str(t)


def test_fmt_rounding_and_special_values():
    assert fmt(-1e-12) == "-1.000e-12" and fmt(-0.00001, 3) == "-1.00e-05"
    assert fmt(-0.0) == "0" and fmt(float("inf")) == "∞" and fmt(2.5e6) == "2.500e+06"
    assert fmt(True) == "1" and fmt(float("nan")) == "nan"


def test_table_rejects_ragged_rows_and_bad_align():
    with pytest.raises(ValueError, match="row 0 has 1 cells"):
        table([[1]], ["a", "b"])
    with pytest.raises(ValueError, match="align"):
        table([[1, 2]], ["a", "b"], align=["l", "x"])
