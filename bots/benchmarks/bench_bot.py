"""Bot benchmark: `make bench-bot` (python -m bots.benchmarks.bench_bot).

For generated knowledge bases of 10, 1,000 and 10,000 entries it prints the
index build time, the memory the built bot holds, and reply latency (p50,
p99) over a mix of questions. Then it measures how long an edit made in one
process takes to change the answers of another process, through a real
database, as in production with several workers.
Targets (10,000 entries): p50 < 2 ms, p99 < 10 ms, an edit seen within 1 s.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bots.agents import AgentCase
from bots.benchmarks.knowledge import knowledge_base, questions

ROOT = Path(__file__).resolve().parents[2]
SIZES = (10, 1_000, 10_000)
EDITED_ANSWER = "This answer was just edited."


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


def measure_size(entries: int, asked: int) -> dict[str, float]:
    items = knowledge_base(entries)
    gc.collect()
    started = time.perf_counter()
    bot = AgentCase(knowledge=items)
    build = time.perf_counter() - started
    # Memory from a second, traced build: tracing slows building down.
    del bot
    gc.collect()
    tracemalloc.start()
    bot = AgentCase(knowledge=items)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    latencies = []
    declined = 0
    for question in questions(items, asked):
        started = time.perf_counter()
        reply = bot.respond(question)
        latencies.append(time.perf_counter() - started)
        declined += reply.kind == "fallback"
    latencies.sort()
    return {
        "entries": entries,
        "build_ms": build * 1000,
        "held_mb": held / 2**20,
        "peak_mb": peak / 2**20,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "declined": declined / len(latencies),
    }


def django_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DATABASE_URL=f"sqlite:///{database}",
        PYTHONPATH=str(ROOT),
    )
    return env


def measure_edit_propagation(entries: int) -> dict[str, float]:
    """Seconds from an edit saved in this process to a changed answer in another."""
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        env = django_env(database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        os.environ.update(env)
        import django

        django.setup()
        from bots.models import Agent, KnowledgeEntry

        agent = Agent.objects.get(slug="case")
        items = knowledge_base(entries)
        KnowledgeEntry.objects.bulk_create(
            KnowledgeEntry(agent=agent, terms=item.terms, answer=item.answer) for item in items
        )
        target = KnowledgeEntry.objects.filter(agent=agent).order_by("-pk").first()
        question = target.terms

        worker = subprocess.Popen(
            [sys.executable, "-m", "bots.benchmarks.edit_watcher", question, EDITED_ANSWER],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        edited_at = time.time()
        target.answer = EDITED_ANSWER
        target.save()
        seen_at = float(worker.stdout.readline())
        worker.wait(timeout=30)
        return {"entries": entries, "seconds": seen_at - edited_at}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=5_000, help="questions per size")
    args = parser.parse_args()

    print(f"Bot benchmark: AgentCase, {args.questions} questions per knowledge base size")
    print(
        f"{'entries':>8} {'build ms':>9} {'held MB':>8} {'peak MB':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'mean ms':>8} {'declined':>9}"
    )
    rows = [measure_size(size, args.questions) for size in SIZES]
    for row in rows:
        print(
            f"{row['entries']:>8} {row['build_ms']:>9.0f} {row['held_mb']:>8.1f} "
            f"{row['peak_mb']:>8.1f} {row['p50_ms']:>7.3f} {row['p99_ms']:>7.3f} "
            f"{row['mean_ms']:>8.3f} {row['declined']:>9.0%}"
        )
    edit = measure_edit_propagation(SIZES[-1])
    print(
        f"edit seen by another process ({edit['entries']} entries, SQLite): "
        f"{edit['seconds'] * 1000:.0f} ms"
    )
    largest = rows[-1]
    targets = [
        ("p50 < 2 ms at 10,000 entries", largest["p50_ms"] < 2),
        ("p99 < 10 ms at 10,000 entries", largest["p99_ms"] < 10),
        ("edit seen within 1 s", edit["seconds"] < 1),
    ]
    for label, met in targets:
        print(f"  {'PASS' if met else 'FAIL'}  {label}")


if __name__ == "__main__":
    main()
