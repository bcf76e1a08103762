from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import conf
from .periods import Period


class PeriodForm(forms.Form):
    """The days of a report, from the page's query string (``?start=2025-01-01&end=...``, ISO
    dates): either may be left out (the last REPORTS_DEFAULT_DAYS days by default, or that
    many up to the end given; from the start given to today)."""

    start = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Enter the start as a date: YYYY-MM-DD."},
    )
    end = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Enter the end as a date: YYYY-MM-DD."},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        days = conf.get("REPORTS_DEFAULT_DAYS")
        start, end = cleaned.get("start"), cleaned.get("end")
        if end is None:
            end = timezone.localdate()
        if start is None:
            start = end - timedelta(days=days - 1)
        if start > end:
            raise ValidationError("The start must be on or before the end.", code="order")
        longest = conf.get("REPORTS_MAX_DAYS")
        if (end - start).days + 1 > longest:
            raise ValidationError(
                f"Choose at most {longest} days: this period has {(end - start).days + 1}.",
                code="too_long",
            )
        cleaned["period"] = Period(start=start, end=end)
        return cleaned

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]
