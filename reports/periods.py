"""The days a report covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class Period:
    """Whole days, ``start`` to ``end`` both included, in the site's time zone: a
    conversation counts on the day it started there."""

    start: date
    end: date

    @classmethod
    def last(cls, days: int, *, today: date | None = None) -> Period:
        """The last ``days`` days, today included."""
        end = today or timezone.localdate()
        return cls(start=end - timedelta(days=days - 1), end=end)

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.length)]

    def bounds(self) -> tuple[datetime, datetime]:
        """From the first day's midnight to the midnight after the last day, in the site's
        time zone (a day of a clock change is 23 or 25 hours long)."""
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time.min), zone),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), zone),
        )
