"""Chat benchmark: `make bench` (python -m benchmarks.chat.bench_chat).

Starts real Daphne servers on ``benchmarks.chat.baselines:application`` (the site plus
the two baselines, so all three share server, channel layer and load) on a fresh
SQLite database, first with the in-memory channel layer, then with Redis, and drives
them with real WebSocket visitors (benchmarks.chat.load). It prints, for each layer:

* visitors as they arrive (page view, socket, greeting, questions: all of it counted):
  replies per second, latency and the server's CPU per reply of the chat, the bare
  Channels consumer and the raw ASGI echo, and the chat's ratio to both baselines;
* the same for the questions alone of visitors already connected, N visitors x M questions;
* a burst of 1,000 visitors connecting at once, each asking one question;
* the latency at 200 visitors asking at once;
* memory per idle connection (2,000 silent sockets) and the server's resident memory;

then the production shape (``manage.py serve``: HAProxy in front of daphne workers, on Redis
and a PostgreSQL database of its own) with one worker and with two: visitors arriving through
the proxy, and an agent on one worker taking over (and handing back) a visitor on the other.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import resource
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import channels
import daphne
import django

from benchmarks.evaluation import load_seed
from testsupport.harness import AGENT_INFO_PATH, ServedBehindProxy, ServerProcess, process_stat

from .baselines import BARE_PATH, ECHO_PATH
from .load import (
    LoadResult,
    hold_idle,
    open_socket,
    run_arrivals,
    run_visitors,
    session_cookies,
    wait_for_greeting,
)
from .scenarios import hand_over

CHAT_PATH = "/ws/chat/"
TARGETS = {"echo": ECHO_PATH, "bare": BARE_PATH, "chat": CHAT_PATH}
APPLICATION = "benchmarks.chat.baselines:application"
SECTIONS = ("arrivals", "connected", "burst", "idle", "workers")
# Resident memory one idle visitor (page loaded, socket open, greeting received) may cost.
IDLE_KIB_TARGET = 24
# The PostgreSQL server on which the production shape's runs make a database of their own.
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Visitors who come and go before idle memory is measured, so that it counts sockets only.
IDLE_WARM_UP = 50


@dataclass(frozen=True)
class Options:
    visitors: int
    questions: int
    rounds: int
    burst: int
    concurrent: int
    idle: int
    arriving: int
    arriving_questions: int
    redis_url: str | None
    database_url: str | None
    only: frozenset[str]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = process_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured_run(server: ServerProcess, path: str, cookies, questions, **kwargs):
    """run_visitors, with the server's CPU time while they ask."""
    marks = {}
    result = await run_visitors(
        server.url,
        path,
        cookies,
        questions,
        on_start=lambda: marks.setdefault("start", cpu_seconds(server.proc.pid)),
        **kwargs,
    )
    if "start" in marks:
        result.server_cpu_seconds = cpu_seconds(server.proc.pid) - marks["start"]
    return result


def prepare_load_generator() -> None:
    """Thousands of sockets on both ends of loopback (the servers inherit this process's open
    file limit), and no log line per page view of every arriving visitor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    logging.getLogger("httpx").setLevel(logging.WARNING)


def versions() -> str:
    return (
        f"daphne {daphne.__version__}, channels {channels.__version__}, "
        f"Django {django.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )


def production_env(workdir: Path) -> dict[str, str]:
    """The production shape (DEBUG off, hashed static files), minus TLS: loopback HTTP."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "DJANGO_HTTPS": "0",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def server_for(workdir: Path, layer: str, redis_url: str | None, *, name: str) -> ServerProcess:
    env = production_env(workdir)
    if layer == "redis":
        env |= {"REDIS_URL": redis_url or "", "REDIS_PREFIX": f"bench-{uuid.uuid4().hex}"}
    else:
        env |= {"REDIS_URL": ""}
    return ServerProcess(workdir, env, name=name, application=APPLICATION)


def prepare_workdir(workdir: Path) -> None:
    """The SQLite database (migrated) and static files the servers in ``workdir`` share."""
    first = server_for(workdir, "memory", None, name="migrate")
    first.migrate()
    first.manage("collectstatic", "--noinput")


async def warm(server: ServerProcess) -> None:
    """A server that has answered before: the bot's first question loads its model."""
    _, sample_questions = load_seed()
    await run_arrivals(
        server.url, CHAT_PATH, 5, sample_questions, asks=1, tag="warm", opening=AGENT_INFO_PATH
    )


def row(layer: str, target: str, result: LoadResult, ratios: str = "") -> str:
    errors = sum(result.errors.values())
    return (
        f"{layer:<7}{target:<6}{result.replies_per_second:>10.0f}"
        f"{result.percentile_ms(0.50):>9.1f}{result.percentile_ms(0.95):>9.1f}"
        f"{result.percentile_ms(0.99):>9.1f}{result.server_cpu_ms_per_reply:>9.2f}"
        f"{errors:>8}{result.misdelivered:>8}  {ratios}"
    )


async def arrivals(server: ServerProcess, layer: str, options: Options) -> dict[str, dict]:
    """Visitors arriving: each target ``rounds`` times, interleaved; the median round's."""
    _, sample_questions = load_seed()
    await warm(server)
    rates: dict[str, list[LoadResult]] = {target: [] for target in TARGETS}
    for round_number in range(options.rounds):
        for target, path in TARGETS.items():
            cpu_before = cpu_seconds(server.proc.pid)
            result = await run_arrivals(
                server.url,
                path,
                options.arriving,
                sample_questions,
                asks=options.arriving_questions,
                tag=f"a{target}{round_number}",
                # The chat box asks who answers as it opens, which starts the session.
                opening=AGENT_INFO_PATH if target == "chat" else None,
            )
            result.server_cpu_seconds = cpu_seconds(server.proc.pid) - cpu_before
            rates[target].append(result)
    return report_medians(layer, rates)


async def throughput(server: ServerProcess, layer: str, options: Options) -> dict[str, dict]:
    """Each target ``rounds`` times, interleaved; the median round's rate is reported."""
    _, sample_questions = load_seed()
    rates: dict[str, list[LoadResult]] = {target: [] for target in TARGETS}
    for round_number in range(options.rounds):
        for target, path in TARGETS.items():
            cookies = await session_cookies(server.url, options.visitors)
            result = await measured_run(
                server,
                path,
                cookies,
                sample_questions,
                asks=options.questions,
                tag=f"{target}{round_number}",
            )
            rates[target].append(result)
    return report_medians(layer, rates)


def report_medians(layer: str, rates: dict[str, list[LoadResult]]) -> dict[str, dict]:
    """Print each target's median round (by rate), and the chat's ratios to the baselines."""
    medians = {}
    for target, results in rates.items():
        results.sort(key=lambda r: r.replies_per_second)
        medians[target] = results[len(results) // 2]
    chat = medians["chat"].replies_per_second
    for target, result in medians.items():
        ratios = ""
        if target == "chat":
            ratios = (
                f"{chat / medians['bare'].replies_per_second:.2f}x bare, "
                f"{chat / medians['echo'].replies_per_second:.2f}x echo"
            )
        print(row(layer, target, result, ratios), flush=True)
        for problem, count in sorted(result.errors.items()):
            print(f"{'':13}error {problem}: {count}")
    return {
        target: {
            "rate": result.replies_per_second,
            "cpu_ms": result.server_cpu_ms_per_reply,
            "p99_ms": result.percentile_ms(0.99),
            "p50_ms": result.percentile_ms(0.5),
            "errors": sum(result.errors.values()),
            "misdelivered": result.misdelivered,
        }
        for target, result in medians.items()
    }


HEADER = (
    f"{'layer':<7}{'app':<6}{'replies/s':>10}{'p50 ms':>9}{'p95 ms':>9}"
    f"{'p99 ms':>9}{'cpu ms':>9}{'errors':>8}{'wrong':>8}"
)


async def burst(server: ServerProcess, layer: str, options: Options) -> dict[str, object]:
    _, sample_questions = load_seed()
    cookies = await session_cookies(server.url, options.burst)
    result = await run_visitors(
        server.url, CHAT_PATH, cookies, sample_questions, asks=1, tag="burst"
    )
    failed = sum(n for problem, n in result.errors.items() if problem.startswith("connect"))
    print(
        f"{layer:<7}burst: {options.burst} visitors connect at once: "
        f"{options.burst - failed}/{options.burst} handshakes in {result.connect_seconds:.1f} s, "
        f"{result.replies}/{options.burst} answered, p99 {result.percentile_ms(0.99):.0f} ms, "
        f"errors {dict(result.errors) or 0}, misdelivered {result.misdelivered}",
        flush=True,
    )
    cookies = await session_cookies(server.url, options.concurrent)
    asking = await run_visitors(
        server.url, CHAT_PATH, cookies, sample_questions, asks=10, tag="c200"
    )
    print(
        f"{layer:<7}{options.concurrent} visitors asking at once (10 questions each): "
        f"p50 {asking.percentile_ms(0.5):.0f} ms, p95 {asking.percentile_ms(0.95):.0f} ms, "
        f"p99 {asking.percentile_ms(0.99):.0f} ms, {asking.replies_per_second:.0f} replies/s, "
        f"errors {dict(asking.errors) or 0}",
        flush=True,
    )
    return {
        "handshakes": options.burst - failed,
        "answered": result.replies,
        "p99_ms": asking.percentile_ms(0.99),
        "p50_ms": asking.percentile_ms(0.5),
        "rate": asking.replies_per_second,
    }


async def idle_memory(workdir: Path, layer: str, options: Options) -> dict[str, float]:
    """Resident memory per idle visitor, each target on a server process of its own (a process
    reuses what an earlier target's sockets freed, which would flatter whoever comes later),
    warmed first by a few visitors (the chat's first greeting loads the bot)."""
    per_connection = {}
    for target, path in TARGETS.items():
        server = server_for(workdir, layer, options.redis_url, name=f"{layer}-idle-{target}")
        server.start()
        try:
            # Only the chat finds its visitor by the session; the baselines need no cookie.
            count = options.idle + IDLE_WARM_UP
            cookies = await session_cookies(server.url, count) if target == "chat" else [""] * count
            warm, _ = await hold_idle(server.url, path, cookies[:IDLE_WARM_UP])
            await asyncio.gather(*(socket.close() for socket in warm))
            await asyncio.sleep(1)
            before = rss_kib(server.proc.pid)
            sockets, failures = await hold_idle(server.url, path, cookies[IDLE_WARM_UP:])
            await asyncio.sleep(2)
            after = rss_kib(server.proc.pid)
            kib = (after - before) / max(1, len(sockets))
            per_connection[target] = kib
            print(
                f"{layer:<7}{target:<6}{len(sockets)} idle visitors: {kib:.1f} KiB each "
                f"(server RSS {before / 1024:.0f} MiB -> {after / 1024:.0f} MiB)"
                + (f", failed {dict(failures)}" if failures else ""),
                flush=True,
            )
            await asyncio.gather(*(socket.close() for socket in sockets))
        finally:
            server.stop()
    return per_connection


async def behind_proxy(workdir: Path, options: Options) -> dict[str, object]:
    """The production shape (``manage.py serve``: HAProxy, daphne workers, the webhook worker)
    with one worker, then two, on one Redis and one PostgreSQL database: visitors arriving
    through the proxy, and with two, an agent on one worker taking over from the bot a
    visitor on the other."""
    figures: dict[str, object] = {}
    with throwaway_database(options.database_url) as database_url:
        env = shape_env(workdir, redis_url=options.redis_url, database_url=database_url)
        print(
            f"\nThe production shape (manage.py serve): HAProxy, N daphne workers, Redis, "
            f"{'PostgreSQL' if database_url else 'SQLite'}; {options.arriving} visitors "
            f"arriving x {options.arriving_questions} questions, median of {options.rounds} "
            f"rounds; cpu ms: all of the shape's processes"
        )
        print(
            f"{'workers':<9}{'replies/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cpu ms':>9}"
            f"{'errors':>8}{'wrong':>8}"
        )
        for count in (1, 2):
            server = ServedBehindProxy(workdir, env, workers=count, name=f"serve{count}")
            server.migrate()
            server.start(timeout=120)
            try:
                await warm(server)
                results = await arrival_rounds(
                    server,
                    visitors=options.arriving,
                    asks=options.arriving_questions,
                    rounds=options.rounds,
                    tag=f"p{count}",
                )
                results.sort(key=lambda r: r.replies_per_second)
                median = results[len(results) // 2]
                errors = sum(sum(r.errors.values()) for r in results)
                misdelivered = sum(r.misdelivered for r in results)
                print(
                    f"{count:<9}{median.replies_per_second:>10.0f}"
                    f"{median.percentile_ms(0.5):>9.1f}{median.percentile_ms(0.99):>9.1f}"
                    f"{median.server_cpu_ms_per_reply:>9.2f}{errors:>8}{misdelivered:>8}",
                    flush=True,
                )
                figures[count] = {
                    "rate": median.replies_per_second,
                    "errors": errors,
                    "misdelivered": misdelivered,
                }
                if count == 2:
                    figures["handover"] = await hand_over_across(server)
            finally:
                server.stop()
    two_to_one = figures[2]["rate"] / figures[1]["rate"]
    print(
        f"two workers / one: {two_to_one:.2f}x; an agent on one worker takes over a visitor on "
        f"the other and hands back: {'ok' if figures['handover'] else 'FAILED'}",
        flush=True,
    )
    return {
        "misdelivered": figures[1]["misdelivered"] + figures[2]["misdelivered"],
        "errors": figures[1]["errors"] + figures[2]["errors"],
        "handover": figures["handover"],
        "rates": (figures[1]["rate"], figures[2]["rate"]),
    }


async def arrival_rounds(
    server: ServerProcess, *, visitors: int, asks: int, rounds: int, tag: str
) -> list[LoadResult]:
    """``rounds`` runs of ``visitors`` arriving at the chat at once, each asking ``asks``
    questions, each with the CPU of every process of the server."""
    _, questions = load_seed()
    results = []
    for round_number in range(rounds):
        processes = server.processes()
        cpu_before = sum(map(cpu_seconds, processes))
        result = await run_arrivals(
            server.url,
            CHAT_PATH,
            visitors,
            questions,
            asks=asks,
            tag=f"{tag}{round_number}",
            opening=AGENT_INFO_PATH,
        )
        result.server_cpu_seconds = sum(map(cpu_seconds, processes)) - cpu_before
        results.append(result)
    return results


async def hand_over_across(server: ServedBehindProxy) -> bool:
    """A visitor and an agent whose sockets the proxy gave to different workers."""
    agent_cookie = server.agent_cookie()
    [visitor_cookie] = await session_cookies(server.url, 1)
    visitor = await open_socket(server.url, CHAT_PATH, visitor_cookie)
    agent = await open_socket(server.url, "/ws/staff/", agent_cookie)
    try:
        workers = {s.response.headers["X-Chat-Worker"] for s in (visitor, agent)}
        if len(workers) != 2:
            print(f"hand-over: both sockets on {workers}", file=sys.stderr)
            return False
        await wait_for_greeting(visitor)
        await hand_over(visitor=visitor, agent=agent, question=sample_question())
        return True
    except Exception as error:
        print(f"hand-over failed: {type(error).__name__}: {error}", file=sys.stderr)
        return False
    finally:
        await visitor.close()
        await agent.close()


def shape_env(workdir: Path, *, redis_url: str | None, database_url: str | None) -> dict:
    """The production shape's environment (``manage.py serve``): ``production_env`` on Redis,
    with keys of its own there, and on ``database_url`` (SQLite in ``workdir`` if None)."""
    env = production_env(workdir) | {
        "REDIS_URL": redis_url or "",
        "REDIS_PREFIX": f"bench-{uuid.uuid4().hex}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@contextmanager
def throwaway_database(url: str | None) -> Iterator[str | None]:
    """A new, empty database on the PostgreSQL server of ``url``, dropped afterwards; None
    (SQLite, then) without one."""
    if not url:
        yield None
        return
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sample_question() -> str:
    return load_seed()[1][0]


async def main(options: Options) -> int:
    prepare_load_generator()
    print(f"Chat benchmark: {versions()}; SQLite; load generator in this process", flush=True)
    layers = ["memory"] + (["redis"] if options.redis_url else [])
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as tmp:
        workdir = Path(tmp)
        prepare_workdir(workdir)
        for layer in layers:
            server = server_for(workdir, layer, options.redis_url, name=layer)
            server.start()
            try:
                figures[layer] = {}
                if "arrivals" in options.only:
                    print(
                        f"\n{options.arriving} visitors arriving at once, each: page view, "
                        f"socket, greeting, {options.arriving_questions} questions; "
                        f"median of {options.rounds} rounds"
                    )
                    print(HEADER)
                    figures[layer]["arrivals"] = await arrivals(server, layer, options)
                if "connected" in options.only:
                    print(
                        f"\n{options.visitors} visitors already connected x "
                        f"{options.questions} questions, median of {options.rounds} rounds"
                    )
                    print(HEADER)
                    figures[layer]["rates"] = await throughput(server, layer, options)
                if "burst" in options.only:
                    figures[layer]["burst"] = await burst(server, layer, options)
                if "idle" in options.only:
                    figures[layer]["memory"] = await idle_memory(workdir, layer, options)
            finally:
                server.stop()
        if options.redis_url and "workers" in options.only:
            figures["two_workers"] = await behind_proxy(workdir, options)
    return report_targets(figures, options)


def report_targets(figures: dict[str, dict], options: Options) -> int:
    print("\nTargets")
    missed = 0
    for layer, label, target in (("memory", "in-memory", 0.8), ("redis", "Redis", 1.5)):
        rates = figures.get(layer, {}).get("arrivals")
        if rates is None:
            continue
        chat, bare = rates["chat"], rates["bare"]
        ratio = chat["rate"] / bare["rate"]
        ok = ratio >= target and chat["errors"] == 0 and chat["misdelivered"] == 0
        missed += not ok
        print(
            f"  {'met ' if ok else 'MISS'} {label} layer, visitors arriving: chat >= {target}x "
            f"bare: {ratio:.2f}x ({chat['cpu_ms']:.2f} vs {bare['cpu_ms']:.2f} ms of server "
            f"CPU per reply), errors {chat['errors']}, misdelivered {chat['misdelivered']}"
        )
        ok = chat["p99_ms"] < 250
        missed += not ok
        print(
            f"  {'met ' if ok else 'MISS'} {label} layer: p99 < 250 ms at {options.arriving} "
            f"visitors arriving: {chat['p99_ms']:.0f} ms"
        )
    for layer in ("memory", "redis"):
        if "burst" not in figures.get(layer, {}):
            continue
        b = figures[layer]["burst"]
        ok = b["handshakes"] == options.burst and b["answered"] == options.burst
        missed += not ok
        print(
            f"  {'met ' if ok else 'MISS'} {layer}: {options.burst}-visitor burst, every "
            f"handshake and question: {b['handshakes']}, {b['answered']}"
        )
        ok = b["p99_ms"] < 250
        missed += not ok
        print(
            f"  {'met ' if ok else 'MISS'} {layer}: p99 < 250 ms at {options.concurrent} "
            f"asking: {b['p99_ms']:.0f} ms"
        )
        if not ok:
            print(
                f"       why: visitors who ask again the moment they are answered queue behind "
                f"one another: at the {b['rate']:.0f} replies/s one process gives, each of "
                f"{options.concurrent} waits {1000 * options.concurrent / b['rate']:.0f} ms on "
                f"average (p50 {b['p50_ms']:.0f} ms); less CPU per reply, or the visitors "
                f"spread over more worker processes, shortens the queue"
            )
    for layer in ("memory", "redis"):
        if "memory" not in figures.get(layer, {}):
            continue
        kib = figures[layer]["memory"]
        ok = kib["chat"] <= IDLE_KIB_TARGET
        print(
            f"  {'met ' if ok else 'MISS'} {layer}: <= {IDLE_KIB_TARGET} KiB per idle visitor "
            f"({options.idle} on one worker): {kib['chat']:.1f} KiB"
        )
        if not ok:
            print(
                f"       why: daphne itself holds {kib['echo']:.1f} KiB for each socket of a raw "
                f"ASGI echo (Twisted's connection, Autobahn's protocol, their buffers) and "
                f"{kib['bare']:.1f} KiB for a bare Channels consumer's; the chat's consumer, its "
                f"groups and rate limit add the rest"
            )
        missed += not ok
    if "two_workers" in figures:
        w = figures["two_workers"]
        ok = w["handover"] and w["misdelivered"] == 0 and w["errors"] == 0
        missed += not ok
        one, two = w["rates"]
        print(
            f"  {'met ' if ok else 'MISS'} two workers behind the proxy: privacy and hand-over "
            f"(replies/s: {one:.0f} with one worker, {two:.0f} with two, {two / one:.2f}x)"
        )
    print(f"\n{missed} target(s) missed" if missed else "\nall targets met")
    return 1 if missed else 0


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--arriving", type=int, default=200)
    parser.add_argument("--arriving-questions", type=int, default=10)
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"the sections to run, comma-separated, of: {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the Redis-layer runs ('' to skip them)",
    )
    parser.add_argument(
        "--database-url",
        default=DATABASE_URL,
        help="a PostgreSQL server on which the production shape's run creates (and drops) a "
        "database of its own ('' for SQLite)",
    )
    args = parser.parse_args(argv)
    return Options(
        visitors=args.visitors,
        questions=args.questions,
        rounds=args.rounds,
        burst=args.burst,
        concurrent=args.concurrent,
        idle=args.idle,
        arriving=args.arriving,
        arriving_questions=args.arriving_questions,
        redis_url=args.redis_url or None,
        database_url=args.database_url or None,
        only=frozenset(args.only.split(",")),
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
