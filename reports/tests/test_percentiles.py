"""Percentiles as PostgreSQL's percentile_cont computes them: by the database in use (CI:
PostgreSQL's own; SQLite: ours, installed on each connection), and ours on its own."""

import pytest
from django.db import connection

from reports.percentiles import PercentileCont, interpolated, percentile_sql

VALUES = [10.0, 1.0, 3.0, 2.0]


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.0, 1.0), (0.5, 2.5), (0.9, 7.9), (1.0, 10.0)],
)
def test_interpolated_between_the_two_nearest_values(fraction, expected):
    assert interpolated(sorted(VALUES), fraction) == pytest.approx(expected)


def test_one_value_is_every_percentile_and_none_is_none():
    assert interpolated([4.0], 0.9) == 4.0
    assert interpolated([], 0.5) is None


def test_the_sqlite_aggregate_leaves_nulls_out():
    aggregate = PercentileCont()
    for value in [*VALUES, None]:
        aggregate.step(value, 0.9)
    assert aggregate.finalize() == pytest.approx(7.9)
    assert PercentileCont().finalize() is None


@pytest.mark.django_db
@pytest.mark.parametrize(("fraction", "expected"), [(0.5, 2.5), (0.9, 7.9)])
def test_the_database_computes_them(fraction, expected):
    rows = " UNION ALL ".join("SELECT %s AS v" for _ in VALUES)
    sql = f"SELECT {percentile_sql(connection.vendor, fraction, 'v')} FROM ({rows}) AS t"
    with connection.cursor() as cursor:
        cursor.execute(sql, VALUES)
        assert cursor.fetchone()[0] == pytest.approx(expected)


@pytest.mark.django_db
def test_the_database_groups_them():
    rows = " UNION ALL ".join("SELECT %s AS g, %s AS v" for _ in range(5))
    grouped = percentile_sql(connection.vendor, 0.5, "v")
    sql = f"SELECT g, {grouped} FROM ({rows}) AS t GROUP BY g ORDER BY g"
    with connection.cursor() as cursor:
        cursor.execute(sql, ["a", 1.0, "a", 4.0, "b", 5.0, "b", None, "b", 7.0])
        assert cursor.fetchall() == [("a", 2.5), ("b", 6.0)]


def test_a_fraction_is_a_number_from_0_to_1():
    with pytest.raises(ValueError, match="from 0 to 1"):
        percentile_sql("postgresql", 1.5, "v")
    assert (
        percentile_sql("postgresql", 0.9, "v") == "percentile_cont(0.9) WITHIN GROUP (ORDER BY v)"
    )
    assert percentile_sql("sqlite", 0.5, "v") == "percentile_cont(v, 0.5)"
    with pytest.raises(NotImplementedError):
        percentile_sql("oracle", 0.5, "v")
