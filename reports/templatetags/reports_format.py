"""How the report page writes its figures: waits and durations in words a person reads at a
glance (``3 min 20 s``), shares as percentages."""

from __future__ import annotations

from django import template

register = template.Library()

#: What a figure nobody has shows (no reply in the period, say).
NONE = "none"


@register.filter
def duration(seconds: float | None) -> str:
    """``0.4 s``, ``12 s``, ``3 min 20 s``, ``2 h 5 min``."""
    if seconds is None:
        return NONE
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def number(value: float | None) -> str:
    """A median of messages: ``7``, ``7.5``."""
    if value is None:
        return NONE
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


@register.filter
def average(value: float | None) -> str:
    """An average rating, out of 5: ``4.0``."""
    return NONE if value is None else f"{value:.1f}"


@register.filter
def share(count: int, total: int) -> str:
    """``count`` of ``total`` as a percentage (``68.9%``); none of none is 0%."""
    return f"{100 * count / total:.1f}%" if total else "0%"


@register.filter
def count(value: int) -> str:
    """A count with its thousands apart: ``32,721``."""
    return f"{value:,}"
