from datetime import UTC, date, datetime

from django.test import override_settings

from reports.periods import Period


def test_the_last_days_end_today():
    period = Period.last(30, today=date(2025, 3, 31))
    assert (period.start, period.end, period.length) == (date(2025, 3, 2), date(2025, 3, 31), 30)
    assert period.days()[0] == date(2025, 3, 2)
    assert len(period.days()) == 30


@override_settings(TIME_ZONE="Europe/Berlin")
def test_the_bounds_are_the_site_s_midnights_through_a_clock_change():
    # Clocks went forward on 30 March 2025 in Berlin: from UTC+1 to UTC+2.
    start_at, end_at = Period(start=date(2025, 3, 29), end=date(2025, 3, 30)).bounds()
    assert start_at.astimezone(UTC) == datetime(2025, 3, 28, 23, 0, tzinfo=UTC)
    assert end_at.astimezone(UTC) == datetime(2025, 3, 30, 22, 0, tzinfo=UTC)
