"""Reports benchmark: `make bench-reports` (python -m benchmarks.reports.bench_reports).

On a throwaway PostgreSQL database (REPORTS_BENCH_DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/chat_reports_bench: created, migrated, and dropped at the
end unless --keep) holding 100,000 made-up conversations over 90 days and 2,000 questions the
bot could not answer (benchmarks.console.dataset), it times the report as the page makes it
(the stored figures of the period brought up to date, then every figure read) for the last 7,
30 and 90 days: the median and 95th percentile of --runs runs each, and the processor time a
report takes (what its time would be on a machine of its own). Then:

- the first report after the history was written, which computes every stored figure (what a
  site pays once, on its first 90-day report after upgrading);
- a report after 1% of the period's conversations got a new message (those computed again);
- the key facts of PostgreSQL's plans (EXPLAIN ANALYZE) of both statements at 90 days: their
  time, and each table's scan (the index it used, the rows it read).

Target: the whole report under 500 ms median at 90 days.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/chat_reports_bench"
PERIODS = (7, 30, 90)
TARGET_MS = 500.0


@dataclass(frozen=True)
class Timing:
    days: int
    runs: int
    median_ms: float
    p95_ms: float
    conversations: int
    # The processor time a report took (this process and its PostgreSQL backend, when that
    # runs on this machine): what the wall-clock time would be on a machine of its own.
    cpu_median_ms: float | None = None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def page_report(days: int):
    """The report of the last ``days`` days, made as the page makes it."""
    from reports import selectors, services
    from reports.periods import Period

    period = Period.last(days)
    services.figures_refresh(period=period)
    return selectors.report(period=period)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


def backend_cpu_ms() -> float | None:
    """The processor time the database connection's PostgreSQL backend has used so far, if it
    runs on this machine (/proc); None otherwise."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, the 12th and 13th fields after the command's name, in clock ticks.
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(*, periods: tuple[int, ...] = PERIODS, runs: int = 15) -> list[Timing]:
    """Each period's report ``runs`` times (after one run to warm up)."""
    timings = []
    for days in periods:
        page_report(days)
        samples, cpu, report = [], [], None
        for _ in range(runs):
            backend, process = backend_cpu_ms(), time.process_time()
            elapsed, report = timed(lambda days=days: page_report(days))
            samples.append(elapsed)
            backend_after = backend_cpu_ms()
            if backend is not None and backend_after is not None:
                cpu.append(backend_after - backend + (time.process_time() - process) * 1000)
        timings.append(
            Timing(
                days=days,
                runs=runs,
                median_ms=statistics.median(samples),
                p95_ms=percentile(samples, 0.95),
                conversations=report.conversations,
                cpu_median_ms=statistics.median(cpu) if cpu else None,
            )
        )
    return timings


def touch(*, share: float, days: int = 90, seed: int = 1) -> int:
    """A new message in ``share`` of the last ``days`` days' conversations, as the chat writes
    it (the conversation's last activity moves); how many."""
    from django.db import transaction
    from django.utils import timezone

    from chat.models import Conversation, Message

    since = timezone.now() - timedelta(days=days)
    ids = list(Conversation.objects.filter(created_at__gte=since).values_list("pk", flat=True))
    chosen = random.Random(seed).sample(ids, max(1, int(len(ids) * share)))
    now = timezone.now()
    with transaction.atomic():
        Message.objects.bulk_create(
            Message(conversation_id=pk, sender_role="visitor", sender_name="Visitor", text="And?")
            for pk in chosen
        )
        Conversation.objects.filter(pk__in=chosen).update(last_message_at=now)
    return len(chosen)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def plan_facts(*, days: int = 90) -> list[str]:
    """The key facts of PostgreSQL's plans (EXPLAIN ANALYZE) of what a report runs: which
    conversations' figures are stale, their figures computed (for 1% of the period's
    conversations, undone after), and the report's statement. A line each for their time,
    then one per table scan. Nothing on another database."""
    from django.db import connection, transaction
    from django.utils import timezone

    from chat.models import Conversation
    from reports import queries, selectors, services
    from reports.periods import Period

    if connection.vendor != "postgresql":
        return []
    start_at, end_at = Period.last(days).bounds()
    bot_app_ids = sorted(selectors.bot_app_ids())
    answerers = services.answerers_digest(bot_app_ids)
    in_period = Conversation.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
    ids = list(in_period.order_by("?").values_list("pk", flat=True)[: in_period.count() // 100])
    statements = {
        "stale": queries.stale_statement(start_at=start_at, end_at=end_at, answerers=answerers),
        f"compute ({len(ids):,} conversations)": queries.compute_statement(
            conversation_ids=ids or [0], bot_app_ids=bot_app_ids, answerers=answerers
        ),
        "report": queries.report_statement(
            start_at=start_at, end_at=end_at, tzname=timezone.get_current_timezone_name()
        ),
    }
    lines = []
    for name, (sql, params) in statements.items():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '32MB'")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            result = cursor.fetchone()[0]
            transaction.set_rollback(True)  # what the computing wrote is undone
        [explained] = json.loads(result) if isinstance(result, str) else result
        lines.append(
            f"{name}: {explained['Execution Time']:.0f} ms "
            f"(planning {explained['Planning Time']:.1f} ms)"
        )
        for node in _nodes(explained["Plan"]):
            if "Relation Name" not in node:
                continue
            index = f" using {node['Index Name']}" if "Index Name" in node else ""
            lines.append(
                f"  {node['Node Type']} on {node['Relation Name']}{index}: "
                f"{node['Actual Rows'] * node.get('Actual Loops', 1):,} rows, "
                f"{node['Actual Total Time']:.0f} ms, "
                f"{node.get('Shared Hit Blocks', 0) + node.get('Shared Read Blocks', 0):,} blocks"
            )
    return lines


# --------------------------------------------------------------------------- the database


def _maintenance(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True), (
        parts.path.lstrip("/")
    )


def database_create(url: str) -> None:
    from psycopg import sql

    connection, name = _maintenance(url)
    with connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(url: str) -> None:
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    connection, name = _maintenance(url)
    with connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the database kept by an earlier --keep: its history, without writing it again",
    )
    args = parser.parse_args(argv)

    url = os.environ.get("REPORTS_BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        parser.error(f"REPORTS_BENCH_DATABASE_URL must be a PostgreSQL database, not {url}")
    if not args.reuse:
        database_create(url)
    # The site's own settings, on the throwaway database, without its connection pool: one
    # connection, timed alone.
    os.environ.update({"DATABASE_URL": url, "DATABASE_POOL": "0", "DJANGO_DEBUG": "0"})
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-reports-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "chatsite.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.console.dataset import populate, unanswered_questions_populate

    try:
        call_command("migrate", verbosity=0)
        if args.reuse:
            from chat.models import Conversation, Message
            from reports.models import ConversationFigures

            ConversationFigures.objects.all().delete()
            print(
                f"History kept: {Conversation.objects.count():,} conversations, "
                f"{Message.objects.count():,} messages"
            )
        else:
            elapsed, made = timed(lambda: populate(conversations=args.conversations))
            questions = unanswered_questions_populate(questions=args.conversations // 50)
            print(
                f"History: {made.conversations:,} conversations, {made.messages:,} messages "
                f"and {questions:,} unanswered questions over 90 days, written in "
                f"{elapsed / 1000:.0f} s"
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        first, _report = timed(lambda: page_report(90))
        print(f"First 90-day report (every conversation's figures computed): {first:,.0f} ms")
        timings = measure(runs=args.runs)
        print(f"\nThe report as the page makes it ({args.runs} runs each):")
        print(f"{'days':>5} {'conversations':>14} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8}")
        for timing in timings:
            cpu = "" if timing.cpu_median_ms is None else f"{timing.cpu_median_ms:.0f}"
            print(
                f"{timing.days:>5} {timing.conversations:>14,} "
                f"{timing.median_ms:>10.0f} {timing.p95_ms:>8.0f} {cpu:>8}"
            )
        print(
            f"(CPU: the median processor time of a report, this process and PostgreSQL's; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        touched = touch(share=0.01)
        again, _report = timed(lambda: page_report(90))
        print(f"\n90 days after {touched:,} conversations got a new message: {again:,.0f} ms")
        print("\nPostgreSQL's plans at 90 days (nothing stale):")
        for line in plan_facts():
            print(line)
        ninety = next(timing for timing in timings if timing.days == 90)
        verdict = "met" if ninety.median_ms < TARGET_MS else "MISSED"
        print(
            f"\nTarget: under {TARGET_MS:.0f} ms median at 90 days: {verdict} "
            f"({ninety.median_ms:.0f} ms)"
        )
    finally:
        if not args.keep:
            database_drop(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
