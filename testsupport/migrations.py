"""Migrating the test database back and forth, for tests that a migration keeps every row.

Such tests are transactional with a serialized rollback, as every transactional test of the
suite is: the rollback restores the migrated data for the tests after them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps


def migrate(targets: list[tuple[str, str | None]]) -> StateApps:
    """Migrate to ``targets`` (an app's None: none of its migrations); the models as they
    were there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@contextmanager
def migrated_back(targets: list[tuple[str, str | None]]) -> Iterator[StateApps]:
    """The database at ``targets`` for the test, on the newest schema again after it,
    whatever the test did."""
    try:
        yield migrate(targets)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
