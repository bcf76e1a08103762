"""The retention purge on a support history at scale (benchmarks/console/dataset.py): how long
it takes in all, and how long each batch holds its transaction (and so the locks on the rows it
deletes: the chat writes on meanwhile, and a visitor writing in a conversation being deleted
waits at most that long).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chat python -m benchmarks.privacy.purge

It runs on a test database of its own beside the one DATABASE_URL names (``test_`` and its
name, made and dropped), never on the named one. Defaults: 100,000 conversations over 90 days,
a retention of 30 days (about two thirds of them are due), batches of CHAT_PURGE_BATCH_SIZE.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Measured:
    conversations: int
    due: int
    seconds: float
    batches: list[float] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)

    def report(self) -> str:
        ms = sorted(1000 * b for b in self.batches)
        lines = [
            f"{self.conversations:,} conversations, {self.due:,} past retention: purged in "
            f"{self.seconds:.1f} s, {len(ms)} batches",
            f"  a batch: median {statistics.median(ms):.0f} ms, slowest {ms[-1]:.0f} ms"
            if ms
            else "  no batch",
        ]
        lines += [f"  {number:,} {name}" for name, number in self.deleted.items()]
        return "\n".join(lines)


def measure(
    *, conversations: int, days: int, retention: int, batch_size: int | None, seed: int = 1
) -> Measured:
    """Make the history, then purge it with a retention of ``retention`` days, timing each
    batch. Runs on the database Django is connected to."""
    # Imported here: the models load once main() has set Django up.
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from benchmarks.console.dataset import populate
    from chat.models import Conversation
    from privacy import selectors, services

    populate(conversations=conversations, days=days, seed=seed)
    due = Conversation.objects.filter(
        last_message_at__lt=timezone.now() - timedelta(days=retention)
    ).count()
    settings.CHAT_RETENTION_DAYS = retention
    batches: list[float] = []
    last = time.perf_counter()

    def progress(by_model: dict[str, int]) -> None:
        nonlocal last
        now = time.perf_counter()
        batches.append(now - last)
        last = now

    start = last = time.perf_counter()
    purged = services.chat_data_purge(batch_size=batch_size, progress=progress)
    seconds = time.perf_counter() - start
    return Measured(
        conversations=conversations,
        due=due,
        seconds=seconds,
        batches=batches,
        deleted=selectors.labelled(purged.deleted),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--retention", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=None)
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    import django
    from django.db import connection

    django.setup()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"On {connection.vendor} ({name}):")
        measured = measure(
            conversations=options.conversations,
            days=options.days,
            retention=options.retention,
            batch_size=options.batch_size,
        )
        print(measured.report())
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
