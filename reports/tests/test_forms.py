from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from reports.forms import PeriodForm
from reports.periods import Period


def period(**data) -> Period:
    form = PeriodForm(data)
    assert form.is_valid(), form.errors
    return form.period


def errors(**data) -> list[str]:
    form = PeriodForm(data)
    assert not form.is_valid()
    return [error for field_errors in form.errors.values() for error in field_errors]


def test_the_last_30_days_by_default():
    assert period() == Period.last(30)
    assert period(start="", end="") == Period.last(30)


@override_settings(REPORTS_DEFAULT_DAYS=7)
def test_only_an_end_gives_the_default_days_up_to_it():
    assert period(end="2025-03-16") == Period(start=date(2025, 3, 10), end=date(2025, 3, 16))


def test_only_a_start_runs_to_today():
    today = timezone.localdate()
    start = today - timedelta(days=3)
    assert period(start=start.isoformat()) == Period(start=start, end=today)


def test_both_ends_are_included():
    assert period(start="2025-03-10", end="2025-03-10").length == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "2025-02-30"}, "Enter the start as a date: YYYY-MM-DD."),
        ({"end": "last week"}, "Enter the end as a date: YYYY-MM-DD."),
        ({"start": "10/03/2025"}, "Enter the start as a date: YYYY-MM-DD."),
        ({"start": "2025-03-11", "end": "2025-03-10"}, "The start must be on or before the end."),
        (
            {"start": "2024-01-01", "end": "2025-03-10"},
            "Choose at most 366 days: this period has 435.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(data, message):
    assert errors(**data) == [message]


def test_a_year_with_its_leap_day_is_the_longest_period():
    assert period(start="2024-01-01", end="2024-12-31").length == 366
