import pytest

from reports.templatetags.reports_format import average, count, duration, number, share


@pytest.mark.parametrize(
    ("seconds", "written"),
    [
        (None, "none"),
        (0.42, "0.4 s"),
        (9.96, "10.0 s"),
        (12.4, "12 s"),
        (60, "1 min"),
        (200, "3 min 20 s"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
    ],
)
def test_durations_read_at_a_glance(seconds, written):
    assert duration(seconds) == written


def test_numbers_counts_shares_and_averages():
    assert (number(7.0), number(7.5), number(None)) == ("7", "7.5", "none")
    assert (average(4.0), average(None)) == ("4.0", "none")
    assert (count(32721), count(0)) == ("32,721", "0")
    assert (share(2, 3), share(0, 0)) == ("66.7%", "0%")
