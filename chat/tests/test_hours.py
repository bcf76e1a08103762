"""chat/hours.py: when the business is open, in its time zone, through daylight saving time."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from chat.hours import BusinessHours, Interval, overlapping, time_zone_choices

MONDAY, TUESDAY, SATURDAY, SUNDAY = 0, 1, 5, 6
DAY = timedelta(days=1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekdays(opens: time, closes: time, *days: int) -> tuple[Interval, ...]:
    return tuple(Interval(day, opens, closes) for day in days)


# Monday to Friday 09:00 to 18:00 in Berlin.
OFFICE = BusinessHours("Europe/Berlin", weekdays(time(9), time(18), 0, 1, 2, 3, 4))


def test_open_within_an_interval_of_the_weekday_in_the_business_s_time_zone():
    # Monday 2025-01-13, winter: Berlin is UTC+1.
    assert not OFFICE.is_open(utc(2025, 1, 13, 7, 59))  # 08:59 in Berlin
    assert OFFICE.is_open(utc(2025, 1, 13, 8, 0))  # 09:00
    assert OFFICE.is_open(utc(2025, 1, 13, 16, 59))  # 17:59
    assert not OFFICE.is_open(utc(2025, 1, 13, 17, 0))  # 18:00
    assert not OFFICE.is_open(utc(2025, 1, 18, 10, 0))  # Saturday


def test_the_boundary_minute_opening_is_open_and_closing_is_closed():
    opening = utc(2025, 1, 13, 8, 0)
    closing = utc(2025, 1, 13, 17, 0)
    assert not OFFICE.is_open(opening - timedelta(microseconds=1))
    assert OFFICE.is_open(opening)
    assert OFFICE.is_open(closing - timedelta(microseconds=1))
    assert not OFFICE.is_open(closing)


def test_the_weekday_is_the_local_one_not_utc_s():
    # Sunday 23:30 UTC is Monday 00:30 in Berlin: open from midnight on Mondays.
    night = BusinessHours("Europe/Berlin", (Interval(MONDAY, time(0), time(1)),))
    assert night.is_open(utc(2025, 1, 12, 23, 30))
    assert not night.is_open(utc(2025, 1, 13, 0, 30))  # Monday 01:30 in Berlin


def test_several_intervals_a_day_close_in_between():
    split = BusinessHours(
        "Europe/Berlin",
        (Interval(MONDAY, time(9), time(12)), Interval(MONDAY, time(13), time(17, 30))),
    )
    assert split.is_open(utc(2025, 1, 13, 10, 59))  # 11:59
    assert not split.is_open(utc(2025, 1, 13, 11, 0))  # 12:00, lunch
    assert not split.is_open(utc(2025, 1, 13, 11, 59))  # 12:59
    assert split.is_open(utc(2025, 1, 13, 12, 0))  # 13:00
    assert split.is_open(utc(2025, 1, 13, 16, 29))  # 17:29
    assert not split.is_open(utc(2025, 1, 13, 16, 30))  # 17:30


def test_closing_at_midnight_runs_to_the_end_of_the_day_and_on_into_the_next():
    late = BusinessHours(
        "UTC", (Interval(MONDAY, time(20), time(0)), Interval(TUESDAY, time(0), time(2)))
    )
    assert late.is_open(utc(2025, 1, 13, 23, 59, 59))
    assert late.is_open(utc(2025, 1, 14, 0, 0))
    assert late.is_open(utc(2025, 1, 14, 1, 59))
    assert not late.is_open(utc(2025, 1, 14, 2, 0))
    # Not a change at midnight: open the whole way through.
    assert late.next_change(utc(2025, 1, 13, 20), within=DAY) == utc(2025, 1, 14, 2)
    # Open all day: 00:00 to 00:00.
    always = BusinessHours("UTC", (Interval(SUNDAY, time(0), time(0)),))
    assert always.is_open(utc(2025, 1, 12, 0, 0)) and always.is_open(utc(2025, 1, 12, 23, 59))


def test_a_holiday_closes_its_whole_local_date():
    christmas = BusinessHours(OFFICE.time_zone, OFFICE.intervals, frozenset({date(2025, 12, 25)}))
    assert not christmas.is_open(utc(2025, 12, 25, 10, 0))  # a Thursday, 11:00 in Berlin
    assert christmas.is_open(utc(2025, 12, 24, 10, 0))
    assert christmas.is_open(utc(2025, 12, 26, 10, 0))
    # Its date is Berlin's: 23:30 UTC on the 24th is already the 25th there.
    all_day = BusinessHours("Europe/Berlin", weekdays(time(0), time(0), *range(7)))
    with_holiday = BusinessHours(
        all_day.time_zone, all_day.intervals, frozenset({date(2025, 12, 25)})
    )
    assert not with_holiday.is_open(utc(2025, 12, 24, 23, 30))
    assert with_holiday.is_open(utc(2025, 12, 24, 22, 59))
    assert with_holiday.next_change(utc(2025, 12, 24, 12), within=DAY) == utc(2025, 12, 24, 23)
    assert with_holiday.next_change(utc(2025, 12, 25, 12), within=DAY) == utc(2025, 12, 25, 23)


def test_the_wall_clock_hours_follow_daylight_saving_time_in_berlin():
    # Friday 2025-03-28 is winter time (UTC+1); Monday 2025-03-31 summer time (UTC+2): the
    # clocks sprang forward on Sunday the 30th.
    assert OFFICE.is_open(utc(2025, 3, 28, 8, 0)) and not OFFICE.is_open(utc(2025, 3, 28, 7, 0))
    assert OFFICE.is_open(utc(2025, 3, 31, 7, 0)) and not OFFICE.is_open(utc(2025, 3, 31, 6, 59))
    assert not OFFICE.is_open(utc(2025, 3, 31, 16, 0))  # 18:00 in summer
    # And back in autumn (Sunday 2025-10-26): 09:00 is 08:00 UTC again.
    assert OFFICE.is_open(utc(2025, 10, 24, 7, 0))  # Friday, summer
    assert not OFFICE.is_open(utc(2025, 10, 27, 7, 0))  # Monday, winter: 08:00
    assert OFFICE.is_open(utc(2025, 10, 27, 8, 0))


def test_the_next_change_is_the_next_opening_or_closing_across_the_switch():
    # From Friday evening (winter) to Monday morning (summer): 09:00 CEST is 07:00 UTC.
    assert OFFICE.next_change(utc(2025, 3, 28, 17, 0), within=4 * DAY) == utc(2025, 3, 31, 7)
    assert OFFICE.next_change(utc(2025, 3, 31, 7, 0), within=DAY) == utc(2025, 3, 31, 16)
    # Autumn: Friday 18:00 CEST is 16:00 UTC, Monday 09:00 CET is 08:00 UTC.
    assert OFFICE.next_change(utc(2025, 10, 24, 12), within=DAY) == utc(2025, 10, 24, 16)
    assert OFFICE.next_change(utc(2025, 10, 24, 16), within=4 * DAY) == utc(2025, 10, 27, 8)
    # Nothing within the window: None.
    assert OFFICE.next_change(utc(2025, 3, 28, 17), within=timedelta(hours=1)) is None


def test_an_opening_time_the_clock_skips_opens_at_the_jump():
    # Sunday 2025-03-30: Berlin's clocks go from 02:00 straight to 03:00 (01:00 UTC). Opening
    # at 02:30, the business opens when the clock jumps past it.
    night = BusinessHours("Europe/Berlin", (Interval(SUNDAY, time(2, 30), time(4)),))
    assert not night.is_open(utc(2025, 3, 30, 0, 59, 59))  # 01:59:59 CET
    assert night.is_open(utc(2025, 3, 30, 1, 0))  # 03:00 CEST
    assert night.next_change(utc(2025, 3, 30), within=DAY) == utc(2025, 3, 30, 1, 0)
    assert night.next_change(utc(2025, 3, 30, 1), within=DAY) == utc(2025, 3, 30, 2, 0)


def test_a_time_the_clock_shows_twice_counts_both_times():
    # Sunday 2025-10-26: Berlin's clocks go from 03:00 CEST back to 02:00 CET (at 01:00 UTC).
    # Open until 02:30: until 02:30 CEST, and again from the jump until 02:30 CET.
    night = BusinessHours("Europe/Berlin", (Interval(SUNDAY, time(1), time(2, 30)),))
    start = utc(2025, 10, 25, 23, 0)  # 01:00 CEST
    changes = []
    at = start
    while (at := night.next_change(at, within=DAY)) is not None and at < start + DAY:
        changes.append(at)
    assert changes == [
        utc(2025, 10, 26, 0, 30),  # 02:30 CEST: closed
        utc(2025, 10, 26, 1, 0),  # the jump back to 02:00 CET: open again
        utc(2025, 10, 26, 1, 30),  # 02:30 CET: closed
    ]


def test_another_time_zone_opens_at_its_own_local_time():
    # 09:00 in New York is 14:00 UTC in winter (UTC-5); its clocks change weeks apart from
    # Europe's (2025-03-09), so on 2025-03-10 09:00 is 13:00 UTC.
    new_york = BusinessHours("America/New_York", weekdays(time(9), time(17), MONDAY))
    assert new_york.is_open(utc(2025, 3, 3, 14, 0)) and not new_york.is_open(utc(2025, 3, 3, 13))
    assert new_york.is_open(utc(2025, 3, 10, 13, 0))


def test_overlapping_intervals_of_a_day_are_found_touching_ones_are_not():
    morning = Interval(MONDAY, time(9), time(12))
    assert overlapping([morning, Interval(MONDAY, time(12), time(15))]) == []
    assert overlapping([morning, Interval(TUESDAY, time(10), time(11))]) == []
    late = Interval(MONDAY, time(11), time(14))
    assert overlapping([late, morning]) == [(morning, late)]
    to_midnight = Interval(SATURDAY, time(20), time(0))
    assert overlapping([to_midnight, Interval(SATURDAY, time(23), time(23, 30))]) != []
    assert overlapping([to_midnight, Interval(SATURDAY, time(0), time(20))]) == []
    assert str(to_midnight) == "Saturday 20:00\u201324:00"


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"])
def test_the_time_zones_offered_include_the_usual_ones(name):
    assert name in dict(time_zone_choices())


def test_legacy_time_zone_aliases_are_not_offered():
    offered = dict(time_zone_choices())
    assert "Etc/GMT+1" not in offered and "US/Pacific" not in offered
