"""Percentiles, computed by the database that holds the values: PostgreSQL's own
``percentile_cont`` (an ordered-set aggregate), and on SQLite the same function, given to
each connection (``install``) since SQLite has none built in.

Both interpolate between the two nearest values, as PostgreSQL does: the median of 1, 2, 3
and 10 is 2.5, and its 90th percentile 7.9.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: The name SQLite's own percentile extension gives the function, with its arguments
#: (value, fraction): where SQLite was built with it, ours replaces it unchanged.
SQLITE_FUNCTION = "percentile_cont"


def interpolated(ordered: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` (0 to 1) percentile of values in ascending order, None if there are
    none: ``percentile_cont``'s definition."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


class PercentileCont:
    """``percentile_cont(value, fraction)`` as an SQLite aggregate: NULL values are left out,
    as every SQL aggregate leaves them out."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return interpolated(sorted(self.values), self.fraction)


def install(sender, connection, **kwargs) -> None:
    """A ``connection_created`` receiver: SQLite connections get ``percentile_cont``."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_FUNCTION, 2, PercentileCont)


def percentile_sql(vendor: str, fraction: float, expression: str) -> str:
    """SQL for the ``fraction`` percentile of ``expression`` in a grouped query."""
    fraction = float(fraction)  # written into the SQL: a number, never a string from outside
    if not 0 <= fraction <= 1:
        raise ValueError(f"A percentile is a fraction from 0 to 1, not {fraction}.")
    if vendor == "postgresql":
        return f"percentile_cont({fraction!r}) WITHIN GROUP (ORDER BY {expression})"
    if vendor == "sqlite":
        return f"{SQLITE_FUNCTION}({expression}, {fraction!r})"
    raise NotImplementedError(
        f"The reports compute percentiles on PostgreSQL and SQLite, not {vendor}."
    )
