import pytest

from reports.exports import safe_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Anna", "Anna"),
        ("", ""),
        ("a=b", "a=b"),
        (-2, -2),  # numbers are numbers
        (4.5, 4.5),
    ],
)
def test_a_text_cell_that_would_start_a_formula_is_written_as_text(value, written):
    assert safe_cell(value) == written
