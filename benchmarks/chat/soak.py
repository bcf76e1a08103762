"""Soak: `make soak` (python -m benchmarks.chat.soak [--minutes 30]).

Starts the chat on a fresh SQLite database in the production shape (as `make bench` does), on
the Redis layer when REDIS_URL is set (else in-memory), measures the most replies per second
it gives to visitors arriving at once (``--rate`` skips this), then holds half of it for
``--minutes``: visitors arriving at random (Poisson) times, each loading a page, opening the
chat (its opening request, the socket, the greeting), asking ``--questions`` questions
``--pace`` seconds apart (open loop: the schedule does not wait for the server) and leaving,
so that connections churn as on a real site.

Every interval it prints the interval's replies per second, latency percentiles, errors,
frames delivered to the wrong visitor, visitors connected and the resident memory of every
server process (daphne and any children). At the end it judges (``judge``) and exits 1 if a
criterion is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.evaluation import load_seed
from testsupport.harness import AGENT_INFO_PATH, ServedBehindProxy, ServerProcess

from .bench_chat import (
    CHAT_PATH,
    DATABASE_URL,
    arrival_rounds,
    prepare_load_generator,
    prepare_workdir,
    rss_kib,
    server_for,
    shape_env,
    throwaway_database,
    versions,
    warm,
)
from .load import DRAIN_SECONDS, LoadResult, visit, visitors_client

# The judgement (see ``judge``).
WARM_UP_SHARE = 0.10
MEMORY_GROWTH_LIMIT = 0.05
LATENCY_DRIFT_LIMIT = 1.5
LOAD_HELD_SHARE = 0.90
# Page views and chat openings under way at once (arrivals are spread out, so a few).
ARRIVING_CONNECTIONS = 50


@dataclass(frozen=True)
class Options:
    minutes: float = 30.0
    #: Seconds between samples; None: a minute, or a tenth of the run if that is shorter.
    interval: float | None = None
    #: Replies per second to hold; None: half of the maximum, measured first.
    rate: float | None = None
    questions: int = 10
    pace: float = 3.0
    probe_visitors: int = 200
    probe_rounds: int = 3
    redis_url: str | None = None
    #: Workers behind the proxy (``manage.py serve``, needs Redis); 0: one daphne alone.
    workers: int = 0
    database_url: str | None = None

    @property
    def sample_seconds(self) -> float:
        return self.interval or min(60.0, self.minutes * 6)

    @property
    def samples(self) -> int:
        return max(1, round(self.minutes * 60 / self.sample_seconds))

    @property
    def seconds(self) -> float:
        return self.samples * self.sample_seconds

    @property
    def warm_up(self) -> float:
        """The first 10% of the run, at least the first sample, and at least a visitor's
        stay: until then the number of visitors connected (and the memory they hold) is
        still rising to its level."""
        stay = (self.questions - 1) * self.pace + DRAIN_SECONDS
        return max(WARM_UP_SHARE * self.seconds, self.sample_seconds, stay)


@dataclass(frozen=True)
class Sample:
    """One interval of the steady load, ending ``elapsed`` seconds into it."""

    elapsed: float
    seconds: float
    replies: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    misdelivered: int
    #: Visitors under way (arriving, connected or leaving) at the end of the interval.
    visitors: int
    #: Resident memory (KiB) of each server process at the end of the interval, by name.
    rss_kib: dict[str, int]

    @property
    def replies_per_second(self) -> float:
        return self.replies / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Verdict:
    criterion: str
    ok: bool
    detail: str


@dataclass
class Soak:
    rate: float
    warm_up: float
    samples: list[Sample]
    #: Every reply, error and misdelivered frame of the steady load, its last visitors'
    #: (who finish after the last sample) included.
    result: LoadResult
    verdicts: list[Verdict]

    @property
    def passed(self) -> bool:
        return all(verdict.ok for verdict in self.verdicts)


# What a server process is, by a word of its command line (the first that matches).
PROCESS_ROLES = (
    ("daphne", "daphne"),
    ("haproxy", "haproxy"),
    ("dramatiq", "webhooks"),
    ("manage.py serve", "serve"),
)


def process_role(pid: int) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    for word, role in PROCESS_ROLES:
        if word in command:
            return role
    return Path(f"/proc/{pid}/comm").read_text().strip()


def server_memory(server: ServerProcess) -> dict[str, int]:
    """Resident memory (KiB) of a server process and every process it started, by
    "role[pid]" (daphne, haproxy, webhooks, ...)."""
    memory: dict[str, int] = {}
    for current in server.processes():
        try:
            memory[f"{process_role(current)}[{current}]"] = rss_kib(current)
        except (OSError, RuntimeError):
            continue  # it ended meanwhile
    return memory


def judge(
    samples: Sequence[Sample], *, warm_up: float, rate: float, errors: int, misdelivered: int
) -> list[Verdict]:
    """The soak's criteria. ``errors`` and ``misdelivered`` are the whole run's.

    * memory: every server process's resident memory at the end is less than 5% above what it
      was at the end of the warm-up (the first sample at or after ``warm_up`` seconds); a
      process that was not there then is growth too, and one that has ended a miss;
    * errors and misdelivered frames: none at all;
    * latency stable: the median p99 of the last third of the intervals after the warm-up is
      at most 1.5 times that of the first third. What a slow leak does to latency (a table,
      queue or cache that grows) builds up over the run, so it shows as a drift between the
      thirds; the medians let one disturbed interval pass (the machine is shared, and a
      neighbour's job or a collection pause lands in one interval), which a rule on the last
      interval alone would fail on, or miss had the spike come earlier;
    * load held: the intervals after the warm-up gave at least 90% of ``rate`` (a server that
      fell behind would have been soaked at less than it was asked to hold).
    """
    warm_end = next((s for s in samples if s.elapsed >= warm_up - 1e-6), None)
    after = [s for s in samples if warm_end is not None and s.elapsed > warm_end.elapsed]
    verdicts = [
        _memory(warm_end, after),
        Verdict("errors", errors == 0, f"none: {errors}"),
        Verdict(
            "misdelivered", misdelivered == 0, f"no frame to the wrong visitor: {misdelivered}"
        ),
        _latency(after),
    ]
    seconds = sum(s.seconds for s in after)
    held = sum(s.replies for s in after) / seconds if seconds else 0.0
    verdicts.append(
        Verdict(
            "load held",
            held >= LOAD_HELD_SHARE * rate,
            f">= {LOAD_HELD_SHARE:.0%} of {rate:.1f} replies/s after warm-up: {held:.1f}",
        )
    )
    return verdicts


def _memory(warm_end: Sample | None, after: Sequence[Sample]) -> Verdict:
    rule = f"every process < {MEMORY_GROWTH_LIMIT:.0%} growth after warm-up: "
    if warm_end is None or not after:
        return Verdict("memory", False, rule + "no sample after the warm-up (run longer)")
    ok = True
    parts = []
    for name, kib in after[-1].rss_kib.items():
        before = warm_end.rss_kib.get(name)
        if before is None:
            ok = False
            parts.append(f"{name} {kib / 1024:.1f} MiB, started after the warm-up")
            continue
        growth = kib / before - 1
        ok = ok and growth < MEMORY_GROWTH_LIMIT
        parts.append(f"{name} {before / 1024:.1f} -> {kib / 1024:.1f} MiB ({growth:+.1%})")
    for name in warm_end.rss_kib.keys() - after[-1].rss_kib.keys():
        ok = False
        parts.append(f"{name} ended before the end")
    return Verdict("memory", ok, rule + "; ".join(parts))


def _latency(after: Sequence[Sample]) -> Verdict:
    rule = f"p99, last third after warm-up <= {LATENCY_DRIFT_LIMIT}x the first third: "
    answered = [s for s in after if s.replies]
    if not answered:
        return Verdict("latency", False, rule + "no reply after the warm-up")
    third = max(1, len(answered) // 3)
    first = statistics.median(s.p99_ms for s in answered[:third])
    last = statistics.median(s.p99_ms for s in answered[-third:])
    return Verdict(
        "latency",
        last <= LATENCY_DRIFT_LIMIT * first,
        rule + f"{last:.1f} ms vs {first:.1f} ms, {last / first:.2f}x "
        f"(medians of {third} interval(s) each)",
    )


async def maximum(server: ServerProcess, options: Options) -> float:
    """The median, over ``probe_rounds``, of the replies per second visitors arriving at once
    get (``make bench``'s arrivals), each asking as many questions as the soak's."""
    results = await arrival_rounds(
        server,
        visitors=options.probe_visitors,
        asks=options.questions,
        rounds=options.probe_rounds,
        tag="probe",
    )
    for round_number, result in enumerate(results, 1):
        print(
            f"  round {round_number}: {result.replies_per_second:.0f} replies/s, "
            f"p99 {result.percentile_ms(0.99):.0f} ms, errors {dict(result.errors) or 0}, "
            f"misdelivered {result.misdelivered}",
            flush=True,
        )
    return statistics.median(result.replies_per_second for result in results)


HEADER = (
    f"{'elapsed':>8}{'replies/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
    f"{'errors':>7}{'wrong':>6}{'visitors':>9}  RSS MiB of every server process"
)


def line(sample: Sample) -> str:
    minutes, seconds = divmod(round(sample.elapsed), 60)
    memory = ", ".join(f"{name} {kib / 1024:.1f}" for name, kib in sample.rss_kib.items())
    return (
        f"{minutes:>5}:{seconds:02}{sample.replies_per_second:>10.1f}{sample.p50_ms:>8.1f}"
        f"{sample.p95_ms:>8.1f}{sample.p99_ms:>8.1f}{sample.errors:>7}{sample.misdelivered:>6}"
        f"{sample.visitors:>9}  {memory}"
    )


async def hold(
    server: ServerProcess, options: Options, rate: float, questions: Sequence[str]
) -> tuple[list[Sample], LoadResult]:
    """``rate`` replies per second for ``options.seconds``: a visitor arrives every
    ``questions / rate`` seconds on average (at exponentially distributed gaps, as
    independent visitors do), whatever the server's pace; a sample every interval."""
    result = LoadResult(visitors=0, questions=options.questions)
    under_way: set[asyncio.Task] = set()
    samples: list[Sample] = []
    started = time.perf_counter()
    end = started + options.seconds

    async def visitor(client, number: int) -> None:
        try:
            await visit(
                client,
                server.url,
                CHAT_PATH,
                number,
                questions,
                asks=options.questions,
                tag="soak",
                result=result,
                opening=AGENT_INFO_PATH,
                pace=options.pace,
            )
        except Exception as error:  # the socket failed as the visitor left
            result.errors[type(error).__name__] += 1

    async def arrivals(client) -> None:
        gaps = random.Random()
        due = started
        while (due := due + gaps.expovariate(rate / options.questions)) < end:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(visitor(client, result.visitors))
            under_way.add(task)
            task.add_done_callback(under_way.discard)
            result.visitors += 1

    async with visitors_client(ARRIVING_CONNECTIONS) as client:
        arriving = asyncio.create_task(arrivals(client))
        replies = errors = misdelivered = 0
        print(HEADER, flush=True)
        for number in range(1, options.samples + 1):
            await asyncio.sleep(
                max(0.0, started + number * options.sample_seconds - time.perf_counter())
            )
            interval = LoadResult(
                visitors=len(under_way),
                questions=options.questions,
                latencies=result.latencies[replies:],
            )
            samples.append(
                Sample(
                    elapsed=number * options.sample_seconds,
                    seconds=options.sample_seconds,
                    replies=interval.replies,
                    p50_ms=interval.percentile_ms(0.50),
                    p95_ms=interval.percentile_ms(0.95),
                    p99_ms=interval.percentile_ms(0.99),
                    errors=sum(result.errors.values()) - errors,
                    misdelivered=result.misdelivered - misdelivered,
                    visitors=len(under_way),
                    rss_kib=server_memory(server),
                )
            )
            print(line(samples[-1]), flush=True)
            replies, errors = len(result.latencies), sum(result.errors.values())
            misdelivered = result.misdelivered
        await arriving
        last = len(under_way)
        await asyncio.gather(*under_way)
    result.seconds = time.perf_counter() - started
    print(
        f"{'':>8}then the last {last} visitors finished: {len(result.latencies) - replies} "
        f"replies, errors {sum(result.errors.values()) - errors}, "
        f"misdelivered {result.misdelivered - misdelivered}",
        flush=True,
    )
    return samples, result


async def run(server: ServerProcess, options: Options) -> Soak:
    """Soak a started server: the maximum (unless ``options.rate``), then half of it held."""
    _, questions = load_seed()
    await warm(server)
    rate = options.rate
    if rate is None:
        print(
            f"Maximum: {options.probe_visitors} visitors arriving at once, each asking "
            f"{options.questions} questions (median of {options.probe_rounds} rounds)",
            flush=True,
        )
        rate = await maximum(server, options) / 2
    print(
        f"\nHolding {rate:.1f} replies/s for {options.seconds / 60:g} min: a visitor arriving "
        f"every {options.questions / rate:.2f} s on average, {options.questions} questions "
        f"{options.pace:g} s apart; a sample every {options.sample_seconds:g} s, warm-up "
        f"{options.warm_up:g} s",
        flush=True,
    )
    samples, result = await hold(server, options, rate, questions)
    verdicts = judge(
        samples,
        warm_up=options.warm_up,
        rate=rate,
        errors=sum(result.errors.values()),
        misdelivered=result.misdelivered,
    )
    print(
        f"\n{result.visitors} visitors, {result.replies} replies, "
        f"p50 {result.percentile_ms(0.5):.1f} ms, p99 {result.percentile_ms(0.99):.1f} ms"
        + (f", errors {dict(result.errors)}" if result.errors else "")
    )
    for verdict in verdicts:
        print(f"  {'PASS  ' if verdict.ok else 'MISSED'} {verdict.criterion}, {verdict.detail}")
    missed = sum(not verdict.ok for verdict in verdicts)
    print(f"\n{missed} criterion(s) missed" if missed else "\nall criteria met", flush=True)
    if result.errors or result.misdelivered:
        print(f"\nserver log (end):\n{server.output()[-4000:]}", flush=True)
    return Soak(rate, options.warm_up, samples, result, verdicts)


async def soak(options: Options) -> Soak:
    """A fresh server on its own database in a temporary folder, soaked, then stopped: one
    daphne, or (``options.workers``) the production shape on a PostgreSQL database of its
    own."""
    with tempfile.TemporaryDirectory(prefix="chat-soak-") as tmp:
        workdir = Path(tmp)
        if not options.workers:
            prepare_workdir(workdir)
            layer = "redis" if options.redis_url else "memory"
            server = server_for(workdir, layer, options.redis_url, name="soak")
            server.start()
            try:
                return await run(server, options)
            finally:
                server.stop()
        with throwaway_database(options.database_url) as database_url:
            env = shape_env(workdir, redis_url=options.redis_url, database_url=database_url)
            server = ServedBehindProxy(workdir, env, workers=options.workers, name="soak")
            server.migrate()
            server.start(timeout=120)
            try:
                return await run(server, options)
            finally:
                server.stop()


async def main(options: Options) -> int:
    prepare_load_generator()
    layer = f"Redis layer ({options.redis_url})" if options.redis_url else "in-memory layer"
    shape = (
        f"manage.py serve: HAProxy, {options.workers} workers, PostgreSQL"
        if options.workers
        else "one daphne, SQLite"
    )
    print(f"Soak: {versions()}; {shape}; {layer}; load generator in this process", flush=True)
    return 0 if (await soak(options)).passed else 1


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument(
        "--interval",
        type=float,
        help="seconds between samples (default: 60, or a tenth of the run if less)",
    )
    parser.add_argument(
        "--rate", type=float, help="replies per second to hold (default: half the maximum)"
    )
    parser.add_argument("--questions", type=int, default=10, help="questions per visitor")
    parser.add_argument("--pace", type=float, default=3.0, help="seconds between a visitor's")
    parser.add_argument("--probe-visitors", type=int, default=200)
    parser.add_argument("--probe-rounds", type=int, default=3)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", ""),
        help="the Redis layer's server (default: REDIS_URL; empty: the in-memory layer)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="soak the production shape (manage.py serve) with this many workers; needs "
        "Redis (default 0: one daphne alone)",
    )
    parser.add_argument(
        "--database-url",
        default=DATABASE_URL,
        help="with --workers: the PostgreSQL server to make a database of its own on",
    )
    args = parser.parse_args(argv)
    if args.workers < 0 or (args.workers and not args.redis_url):
        parser.error("--workers needs Redis (--redis-url or REDIS_URL) and is 0 or more")
    for name in ("minutes", "interval", "rate", "questions", "probe_visitors", "probe_rounds"):
        value = getattr(args, name)
        if value is not None and not (value > 0 and math.isfinite(value)):
            parser.error(f"--{name.replace('_', '-')} must be a positive number")
    if not (args.pace >= 0 and math.isfinite(args.pace)):
        parser.error("--pace must not be negative")
    return Options(
        minutes=args.minutes,
        interval=args.interval,
        rate=args.rate,
        questions=args.questions,
        pace=args.pace,
        probe_visitors=args.probe_visitors,
        probe_rounds=args.probe_rounds,
        redis_url=args.redis_url or None,
        workers=args.workers,
        database_url=args.database_url or None,
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
