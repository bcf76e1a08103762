"""Webhook delivery benchmark: `make bench-webhooks` (python -m benchmarks.chat.bench_webhooks).

Events are recorded the way the site records them (botapps.webhooks.messages_created, in a
transaction of their own, queued once it commits) on a fresh SQLite file database (or, with
``--postgres-url``, a fresh PostgreSQL database), and POSTed to bot apps played by a local
HTTP server in a process of its own that checks every signature. It prints, not asserts:

* latency from the event (its delivery row written) to the bot app's receipt, p50, p95 and
  p99, for events at a steady rate and for a burst, with the server's own worker
  (StubBroker, the worker thread pool of botapps.worker) and with Redis and a real
  ``manage.py rundramatiq`` process (when Redis answers);
* retries under failing bot apps (the server's own worker): one that answers each event
  HTTP 500 twice before it takes it, one that lets the first POST time out, with the
  attempts, the delays seen between them against the backoff policy, and whether any
  event was taken more than once; and one that is down (always 500), whose events end
  failed after CHAT_WEBHOOK_MAX_ATTEMPTS.

Each broker runs in a child process of its own (the broker is chosen when Django starts);
the retry runs use small delays (RETRY_SETTINGS) so that the whole benchmark takes about a
minute. The retry runs need settings the worker process reads, so they run with the server's
own worker only; rundramatiq delivers with the same code.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from testsupport.harness import PROJECT_ROOT

# The retry runs' policy: small, so that they take seconds, not hours.
RETRY_SETTINGS = {
    "CHAT_WEBHOOK_RETRY_DELAY": 0.5,
    "CHAT_WEBHOOK_MAX_RETRY_DELAY": 4.0,
    "CHAT_WEBHOOK_TIMEOUT": 1.0,
    "CHAT_WEBHOOK_MAX_ATTEMPTS": 5,
}
# How long the failing bot app keeps a request before it answers: past the time-out.
HANG_SECONDS = RETRY_SETTINGS["CHAT_WEBHOOK_TIMEOUT"] + 0.5
WORKER_THREADS = 4


# --- the bot apps: a process of their own -----------------------------------------------------


@dataclass
class Endpoint:
    secret: str
    # Per attempt number (1, 2, ...): "ok", "500" or "hang"; past the list, "ok".
    script: list[str] = field(default_factory=list)
    always: str | None = None


def serve_bot_apps() -> None:
    """Bot apps' webhook endpoints, one path each, on one HTTP server in this process
    (``--bot-apps``): each checks the signature as a bot app should, then answers as its
    script says. ``POST /_endpoint`` adds one, ``GET /_receipts?path=`` tells what came:
    ``{delivery id: [[received at, status answered, taken], ...]}``. A process of its own,
    so that the bot apps' CPU is not the site's."""
    endpoints: dict[str, Endpoint] = {}
    receipts: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    problems = {"bad_signatures": 0, "mismatched_ids": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the site's worker threads use it

        def do_POST(self) -> None:
            at = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/_endpoint":
                spec = json.loads(body)
                path = spec.pop("path")
                with lock:
                    endpoints[path] = Endpoint(**spec)
                return self.answer(204)
            endpoint = endpoints.get(self.path)
            if endpoint is None or not signature_valid(
                self.headers.get("X-Chat-Signature", ""), body, endpoint.secret
            ):
                with lock:
                    problems["bad_signatures"] += 1
                return self.answer(401)
            delivery_id = json.loads(body)["delivery_id"]
            with lock:
                if self.headers.get("X-Chat-Delivery") != delivery_id:
                    problems["mismatched_ids"] += 1
                seen = receipts[self.path][delivery_id]
                attempt = len(seen) + 1
                what = endpoint.always or (
                    endpoint.script[attempt - 1] if attempt <= len(endpoint.script) else "ok"
                )
                status = 500 if what == "500" else 200
                seen.append([at, status, what == "ok"])
            if what == "hang":
                time.sleep(HANG_SECONDS)  # the site has given up by then
            self.answer(status)

        def do_GET(self) -> None:
            path = self.path.partition("?path=")[2]
            with lock:
                data = {"receipts": receipts.get(path, {}), **problems}
                if not path:
                    data["posts"] = sum(
                        len(seen) for by_id in receipts.values() for seen in by_id.values()
                    )
                body = json.dumps(data).encode()
            self.answer(200, body)

        def answer(self, status: int, body: bytes = b"") -> None:
            head = f"HTTP/1.1 {status} {self.responses[status][0]}\r\n"
            head += f"Content-Length: {len(body)}\r\n\r\n"
            # In one write: a keep-alive answer in two waits on the client's delayed ACK.
            # OSError: the site stopped waiting (a time-out).
            with contextlib.suppress(OSError):
                self.wfile.write(head.encode() + body)

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        block_on_close = False
        request_queue_size = 1024

        def handle_error(self, request, client_address) -> None:
            pass

    httpd = Server(("127.0.0.1", 0), Handler)
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


class BotApps:
    """The site's handle on the bot apps' process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.chat.bench_webhooks", "--bot-apps"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def _call(self, path: str, data: dict | None = None) -> dict:
        body = None if data is None else json.dumps(data).encode()
        with urllib.request.urlopen(self.base_url + path, data=body, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else {}

    def add(self, path: str, secret: str, *, script=(), always: str | None = None) -> None:
        self._call(
            "/_endpoint", {"path": path, "secret": secret, "script": list(script), "always": always}
        )

    def receipts(self, path: str) -> dict[str, list[list]]:
        return self._call(f"/_receipts?path={path}")["receipts"]

    def problems(self) -> dict[str, int]:
        return self._call("/_receipts?path=")

    def taken(self, path: str) -> dict[str, float]:
        """When each delivery was taken (its first accepted POST), of those taken."""
        return {
            delivery_id: next(at for at, _, ok in seen if ok)
            for delivery_id, seen in self.receipts(path).items()
            if any(ok for _, _, ok in seen)
        }

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def signature_valid(header: str, body: bytes, secret: str) -> bool:
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > 300:  # a replay of an old request
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


# --- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency_line(label: str, latencies_ms: list[float], expected: int, extra: str = "") -> str:
    if not latencies_ms:
        return f"  {label}: nothing arrived of {expected}"
    return (
        f"  {label}: {len(latencies_ms)}/{expected} delivered; "
        f"p50 {percentile(latencies_ms, 0.5):.1f} ms, p95 {percentile(latencies_ms, 0.95):.1f} ms, "
        f"p99 {percentile(latencies_ms, 0.99):.1f} ms, max {max(latencies_ms):.1f} ms{extra}"
    )


# --- one broker, in a child process -----------------------------------------------------------


class Site:
    """The site's side, in this (child) process: Django on the bench's database, a
    conversation routed to each bot app, events recorded as the services record them."""

    def __init__(self, apps: BotApps) -> None:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.apps = apps

    def bot_app(self, path: str, **endpoint) -> tuple[object, object]:
        """A bot app listening on ``path``, and a conversation routed to it alone."""
        from botapps import services
        from chat.models import Conversation

        made = services.bot_app_create(
            name=f"Bench {path}",
            title="Bench bot",
            avatar="",
            webhook_url=self.apps.base_url + path,
            subscriptions={"subscribes_routed_messages": True},
            is_active=True,
        )
        self.apps.add(path, made.signing_secret, **endpoint)
        conversation = Conversation.objects.create(session_key=uuid.uuid4().hex)
        conversation.routed_to.add(made.app)
        return made.app, conversation

    def event(self, conversation) -> None:
        """A visitor's message, recorded and queued as the services do it."""
        from django.db import transaction

        from botapps import webhooks
        from chat.models import Message

        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender_role=Message.Role.VISITOR,
                sender_name="Visitor",
                text="Do you ship to Mars?",
            )
            webhooks.messages_created([message])

    def recorded(self, app) -> dict[str, float]:
        """The app's deliveries: delivery id -> when the event was recorded (epoch s)."""
        from botapps.models import WebhookDelivery

        rows = WebhookDelivery.objects.filter(app=app).values_list("uid", "created_at")
        return {str(uid): created.timestamp() for uid, created in rows}

    def wait_taken(self, path: str, count: int, timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            taken = self.apps.taken(path)
            if len(taken) >= count or time.monotonic() > deadline:
                return taken
            time.sleep(0.2)

    def latencies(self, app, path: str, count: int) -> tuple[list[float], dict[str, float]]:
        """Event to receipt, in ms, of each delivery taken, and when each was taken."""
        taken = self.wait_taken(path, count, timeout=120)
        recorded = self.recorded(app)
        return [(at - recorded[uid]) * 1000 for uid, at in taken.items()], taken


def run_latency(site: Site, label: str, options: argparse.Namespace) -> None:
    path = f"/{label}-warm-up"
    app, conversation = site.bot_app(path)
    site.event(conversation)
    if not site.wait_taken(path, 1, timeout=30):
        print("  the worker delivered nothing within 30 s: see the log", flush=True)
        return

    path = f"/{label}-steady"
    app, conversation = site.bot_app(path)
    gap = 1 / options.rate
    start = time.monotonic()
    for n in range(options.events):
        site.event(conversation)
        pause = start + (n + 1) * gap - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    latencies, _ = site.latencies(app, path, options.events)
    print(
        latency_line(f"steady {options.rate}/s, {options.events} events", latencies, options.events)
    )

    path = f"/{label}-burst"
    app, conversation = site.bot_app(path)
    started = time.time()
    for _ in range(options.events):
        site.event(conversation)
    recorded = time.time() - started
    latencies, taken = site.latencies(app, path, options.events)
    drained = (max(taken.values()) - started) if taken else float("nan")
    print(
        latency_line(
            f"burst of {options.events}",
            latencies,
            options.events,
            f"; recorded in {recorded:.2f} s ({options.events / recorded:.0f}/s), all taken "
            f"{drained:.2f} s after the first was recorded ({len(taken) / drained:.0f}/s)",
        ),
        flush=True,
    )


def run_retries(site: Site, options: argparse.Namespace) -> None:
    from django.conf import settings

    from botapps import delivery
    from botapps.models import WebhookAttempt, WebhookDelivery

    for name, value in RETRY_SETTINGS.items():
        setattr(settings, name, value)
    first = RETRY_SETTINGS["CHAT_WEBHOOK_RETRY_DELAY"]
    longest = RETRY_SETTINGS["CHAT_WEBHOOK_MAX_RETRY_DELAY"]
    most = RETRY_SETTINGS["CHAT_WEBHOOK_MAX_ATTEMPTS"]
    print(
        f"\nRetries under a failing bot app (the server's own worker, {WORKER_THREADS} threads; "
        f"retry delay {first:g} s doubling up to {longest:g} s, +-{delivery.JITTER:.0%} jitter; "
        f"time-out {RETRY_SETTINGS['CHAT_WEBHOOK_TIMEOUT']:g} s; {most} attempts)",
        flush=True,
    )

    def print_gaps(app) -> None:
        """Seconds from the end of attempt n to the start of attempt n + 1, against the policy."""
        gaps: dict[int, list[float]] = defaultdict(list)
        by_delivery: dict[int, list[WebhookAttempt]] = defaultdict(list)
        for attempt in WebhookAttempt.objects.filter(delivery__app=app).order_by("number"):
            by_delivery[attempt.delivery_id].append(attempt)
        for attempts in by_delivery.values():
            for before, after in zip(attempts, attempts[1:], strict=False):
                ended = before.started_at.timestamp() + before.duration_ms / 1000
                gaps[before.number].append(after.started_at.timestamp() - ended)
        for number, seen in sorted(gaps.items()):
            policy = delivery.retry_delay(number, rand=0.5)
            low, high = delivery.retry_delay(number, rand=0.0), delivery.retry_delay(number, rand=1)
            # Early would break the policy; late is the queue (a free thread, the next look
            # at the delayed messages every IN_PROCESS_POLL_MS).
            early = sum(1 for gap in seen if gap < low - 0.005)
            print(
                f"    after attempt {number}: policy {policy:.2f} s ({low:.2f}-{high:.2f} with "
                f"jitter); seen min {min(seen):.2f}, median {statistics.median(seen):.2f}, "
                f"max {max(seen):.2f} s ({len(seen)} retries, {early} early)"
            )

    def taken_counts(path: str) -> tuple[int, list[int]]:
        receipts = site.apps.receipts(path)
        taken = [sum(1 for _, _, ok in seen if ok) for seen in receipts.values()]
        return sum(map(len, receipts.values())), taken

    for path, script, events, what in [
        ("/flaky", ["500", "500", "ok"], options.flaky, "HTTP 500 twice, then 200"),
        ("/slow", ["hang", "ok"], options.slow, "no answer within the time-out, then 200"),
    ]:
        app, conversation = site.bot_app(path, script=script)
        started = time.monotonic()
        for _ in range(events):
            site.event(conversation)
        site.wait_taken(path, events, timeout=120)
        took = time.monotonic() - started
        rows = WebhookDelivery.objects.filter(app=app)
        deadline = time.monotonic() + 10  # the last attempts' rows, written after the POST
        while rows.filter(status="delivered").count() < events and time.monotonic() < deadline:
            time.sleep(0.1)
        posts, taken = taken_counts(path)
        print(
            f"  bot app that fails each event first ({what}), {events} events: "
            f"{rows.filter(status='delivered').count()}/{events} delivered within {took:.1f} s; "
            f"attempts per event {sorted(set(rows.values_list('attempts', flat=True)))}, "
            f"{posts} POSTs; taken once: {taken.count(1)}, more than once: "
            f"{sum(1 for n in taken if n > 1)}, never: {taken.count(0)}"
        )
        print_gaps(app)
        if script[0] == "hang":
            print(
                f"    (late: the retries wait for a thread while the next {WORKER_THREADS} POSTs "
                f"hang on the bot app for the time-out)"
            )

    app, conversation = site.bot_app("/down", always="500")
    started = time.monotonic()
    for _ in range(options.down):
        site.event(conversation)
    deadline = time.monotonic() + 120
    rows = WebhookDelivery.objects.filter(app=app)
    while rows.filter(status="failed").count() < options.down and time.monotonic() < deadline:
        time.sleep(0.1)
    took = time.monotonic() - started
    posts = [len(seen) for seen in site.apps.receipts("/down").values()]
    print(
        f"  bot app that is down (always HTTP 500), {options.down} events: "
        f"{rows.filter(status='failed').count()}/{options.down} failed within {took:.1f} s; "
        f"(status, attempts) {sorted(set(rows.values_list('status', 'attempts')))}, POSTs per "
        f"event {sorted(set(posts))} (CHAT_WEBHOOK_MAX_ATTEMPTS {most}); "
        f"last error {rows.first().last_error!r}"
    )
    print_gaps(app)


def child(options: argparse.Namespace) -> int:
    apps = BotApps()
    try:
        site = Site(apps)
        if options.child == "in-process":
            run_in_process(site, options)
        else:
            run_redis(site, options)
        problems = apps.problems()
        if problems["bad_signatures"] or problems["mismatched_ids"]:
            print(
                f"  PROBLEM: {problems['bad_signatures']} bad signatures, "
                f"{problems['mismatched_ids']} X-Chat-Delivery headers not the body's id"
            )
        else:
            print(f"  every signature checked by the bot apps: valid ({problems['posts']} POSTs)")
    finally:
        apps.close()
    return 0


def run_in_process(site: Site, options: argparse.Namespace) -> None:
    from botapps import worker

    worker.IN_PROCESS_THREADS = WORKER_THREADS
    started = worker.in_process_worker_start()
    assert started is not None, "CHAT_WEBHOOK_IN_PROCESS_WORKER is off"
    try:
        print(
            f"\nThe server's own worker (StubBroker in memory, {WORKER_THREADS} threads), "
            f"from the event to the bot app's receipt",
            flush=True,
        )
        run_latency(site, "memory", options)
        run_retries(site, options)
    finally:
        worker.in_process_worker_stop()


def run_redis(site: Site, options: argparse.Namespace) -> None:
    import dramatiq

    log_path = Path(options.workdir) / "rundramatiq.log"
    command = ["manage.py", "rundramatiq", "--processes", "1", "--threads", str(WORKER_THREADS)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=PROJECT_ROOT,
            env=os.environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        print(
            f"\nRedis broker and `{' '.join(command)}`, from the event to the bot app's receipt",
            flush=True,
        )
        run_latency(site, "redis", options)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        broker = dramatiq.get_broker()
        keys = list(broker.client.scan_iter(f"{broker.namespace}*"))
        if keys:
            broker.client.delete(*keys)


# --- the parent: one child per broker ---------------------------------------------------------


def redis_answers(url: str) -> bool:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False
    return True


@contextlib.contextmanager
def scratch_database(workdir: Path, postgres_url: str | None) -> Iterator[tuple[str, str]]:
    """A fresh database for one run, and its description: a SQLite file in ``workdir``, or
    a database of its own on the PostgreSQL server of ``postgres_url``, dropped after."""
    if not postgres_url:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}", "SQLite file (WAL)"
        return
    import psycopg

    url = urllib.parse.urlsplit(postgres_url)
    name = f"bench_webhooks_{uuid.uuid4().hex[:12]}"
    server = url._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url._replace(path=f"/{name}").geturl(), "PostgreSQL"
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(options: argparse.Namespace) -> int:
    import django
    import dramatiq

    print(
        f"Webhook delivery benchmark: Django {django.__version__}, dramatiq "
        f"{dramatiq.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"the bot apps are an HTTP server in a process of their own",
        flush=True,
    )
    brokers = ["in-process"]
    if options.redis_url and redis_answers(options.redis_url):
        brokers.append("redis")
    else:
        print(f"(Redis at {options.redis_url or '-'} does not answer: its run is skipped)")
    failed = 0
    for broker in brokers:
        with (
            tempfile.TemporaryDirectory(prefix="chat-bench-webhooks-") as tmp,
            scratch_database(Path(tmp), options.postgres_url) as (database_url, database),
        ):
            print(f"\n[{database} database]", flush=True)
            env = dict(os.environ)
            env.update(
                {
                    "DJANGO_SETTINGS_MODULE": "chatsite.settings",
                    "DJANGO_DEBUG": "0",
                    "DJANGO_HTTPS": "0",
                    # Shared by site and worker: the worker signs the access tokens.
                    "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
                    "DJANGO_LOG_LEVEL": "WARNING",
                    "DATABASE_URL": database_url,
                    "PYTHONUNBUFFERED": "1",
                }
            )
            if broker == "redis":
                env |= {
                    "REDIS_URL": options.redis_url,
                    "REDIS_PREFIX": f"bench-{uuid.uuid4().hex}",
                    "WEBHOOK_IN_PROCESS_WORKER": "0",
                }
            else:
                env |= {"REDIS_URL": "", "WEBHOOK_IN_PROCESS_WORKER": "1"}
            arguments = ["--child", broker, "--workdir", tmp]
            for name in ("events", "rate", "flaky", "slow", "down"):
                arguments += [f"--{name}", str(getattr(options, name))]
            result = subprocess.run(
                [sys.executable, "-m", "benchmarks.chat.bench_webhooks", *arguments],
                cwd=PROJECT_ROOT,
                env=env,
            )
            if result.returncode:
                failed += 1
                log = Path(tmp) / "rundramatiq.log"
                if log.exists():
                    print(f"----- rundramatiq log -----\n{log.read_text()[-4000:]}")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500, help="events per latency run")
    # A steady rate well below what one process delivers (some 100 to 250 a second on two
    # cores, with the site recording the events on them too): the latency of the way, not
    # of a queue; the burst shows the queue.
    parser.add_argument("--rate", type=int, default=50, help="events per second, steady run")
    parser.add_argument("--flaky", type=int, default=40, help="events to the bot app failing twice")
    parser.add_argument("--slow", type=int, default=8, help="events to the bot app timing out once")
    parser.add_argument("--down", type=int, default=10, help="events to the bot app that is down")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the rundramatiq run ('' to skip it)",
    )
    parser.add_argument(
        "--postgres-url",
        default="",
        help="a PostgreSQL server (postgres://user@host:5432/any) to run on instead of SQLite; "
        "a database of its own is made there and dropped after",
    )
    parser.add_argument("--child", choices=["in-process", "redis"], help=argparse.SUPPRESS)
    parser.add_argument("--bot-apps", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.bot_apps:
        serve_bot_apps()
    sys.exit(child(arguments) if arguments.child else main(arguments))
