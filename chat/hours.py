"""Business hours: when people from the team are there to chat.

Opening hours are wall-clock times in the business's time zone, per weekday, with as many
intervals a day as the team works shifts. An interval that closes at 00:00 runs to midnight,
the end of its day; one past midnight is two, 22:00 to 00:00 and the next day's 00:00 to
02:00. A holiday closes its whole date. The times follow the clock on the wall through
daylight saving time: 09:00 is 09:00 in winter and in summer. A time the clock skips (02:30
when it springs from 02:00 to 03:00) is passed at the jump; one it shows twice (when it falls
back) counts both times.

Nothing here reads the database: ``BusinessHours`` is built from the rows staff edit in admin
(chat.selectors.business_hours).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

#: An interval that closes at MIDNIGHT closes at the end of its day.
MIDNIGHT = time(0)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def time_zone_choices() -> list[tuple[str, str]]:
    """The time zones the business may be in (IANA names, as zoneinfo knows them)."""
    names = {name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"}
    # Legacy aliases ("US/Pacific", "Etc/GMT+1", whose sign is inverted) only mislead.
    usable = {name for name in names if not name.startswith(("Etc/", "SystemV/", "US/"))}
    return [(name, name.replace("_", " ")) for name in sorted(usable | {"UTC"})]


def _minutes(moment: time, *, closing: bool = False) -> int:
    """Minutes since the day's start; a closing MIDNIGHT is the day's end (24:00)."""
    if closing and moment == MIDNIGHT:
        return 24 * 60
    return moment.hour * 60 + moment.minute


def clock(moment: time, *, closing: bool = False) -> str:
    """ "09:30"; a closing midnight as "24:00"."""
    if closing and moment == MIDNIGHT:
        return "24:00"
    return moment.strftime("%H:%M")


def ends_after_start(opens: time, closes: time) -> bool:
    """Whether an interval ends after it starts (closing at 00:00 is closing at midnight)."""
    return closes == MIDNIGHT or closes > opens


@dataclass(frozen=True, order=True)
class Interval:
    """The business is open on ``weekday`` (0 Monday to 6 Sunday) from ``opens`` until
    ``closes`` (the minute it closes is closed; MIDNIGHT: until the day ends)."""

    weekday: int
    opens: time
    closes: time

    def contains(self, moment: time) -> bool:
        return self.opens <= moment and (self.closes == MIDNIGHT or moment < self.closes)

    def overlaps(self, other: Interval) -> bool:
        """Whether both are open at some moment: one closing as the other opens does not."""
        return (
            self.weekday == other.weekday
            and _minutes(self.opens) < _minutes(other.closes, closing=True)
            and _minutes(other.opens) < _minutes(self.closes, closing=True)
        )

    def __str__(self) -> str:
        opens, closes = clock(self.opens), clock(self.closes, closing=True)
        return f"{WEEKDAYS[self.weekday]} {opens}\u2013{closes}"


def overlapping(intervals: Iterable[Interval]) -> list[tuple[Interval, Interval]]:
    """The pairs of intervals that overlap, each pair once, earliest first."""
    ordered = sorted(intervals)
    return [
        (first, second)
        for index, first in enumerate(ordered)
        for second in ordered[index + 1 :]
        if first.overlaps(second)
    ]


@dataclass(frozen=True)
class BusinessHours:
    """When the business is open: ``intervals`` in ``time_zone``, except on ``holidays``."""

    time_zone: str
    intervals: tuple[Interval, ...]
    holidays: frozenset[date] = frozenset()

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def is_open(self, at: datetime) -> bool:
        """Whether the business is open at the moment ``at`` (an aware datetime)."""
        local = at.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        weekday, moment = local.weekday(), local.time()
        return any(i.weekday == weekday and i.contains(moment) for i in self.intervals)

    def next_change(self, at: datetime, *, within: timedelta) -> datetime | None:
        """The first moment after ``at``, up to ``within`` later, when the business opens or
        closes; None if it stays as it is that long."""
        open_now = self.is_open(at)
        for moment in self._boundaries(at, at + within):
            if self.is_open(moment) != open_now:
                return moment
        return None

    def _boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        """Every moment in (start, end] at which being open may change, in order: each
        interval's opening and closing and each midnight (holidays and weekdays change),
        on each of the dates they fall on, and the clock's jumps for daylight saving time.
        Between two of them the wall clock runs on without crossing any of those times, so
        being open is the same throughout."""
        zone = self.zone
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        found: set[datetime] = set()
        for day in _dates(first, last):
            walls = {MIDNIGHT}
            for interval in self.intervals:
                if interval.weekday == day.weekday():
                    walls.update((interval.opens, interval.closes))
            for wall in walls:
                for fold in (0, 1):
                    # Both readings of a time the clock shows twice; a time it skips reads
                    # as some moment near the jump, which the jump itself (below) covers.
                    found.add(datetime.combine(day, wall, zone).replace(fold=fold).astimezone(UTC))
            jump = _clock_change(day, zone)
            if jump is not None:
                found.add(jump)
        return sorted(moment for moment in found if start < moment <= end)


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _clock_change(day: date, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """The moment the clocks of ``zone`` change on ``day`` (daylight saving time), to the
    second; None on days they do not."""
    low = datetime.combine(day, MIDNIGHT, zone).astimezone(UTC)
    high = datetime.combine(day + timedelta(days=1), MIDNIGHT, zone).astimezone(UTC)
    before, after = low.astimezone(zone).utcoffset(), high.astimezone(zone).utcoffset()
    if before == after:
        return None
    # The first second with the new offset: low has the old one, high the new.
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high
