"""App settings with defaults, read when needed (never at import time).

Override any of them in the project settings, e.g. ``REPORTS_DEFAULT_DAYS = 7``.
"""

from typing import Any

from django.conf import settings

DEFAULTS = {
    # The days a report covers when staff choose none: the last ones, today included.
    "REPORTS_DEFAULT_DAYS": 30,
    # The longest period a report may cover, in days: a year, with a leap day.
    "REPORTS_MAX_DAYS": 366,
    # How many of the bot's unanswered questions the report lists, most asked first.
    "REPORTS_UNANSWERED_QUESTIONS": 10,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
