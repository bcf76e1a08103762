"""A Redis fail-over under Sentinel, on Redis servers of the test's own.

Each test starts a primary, a replica and a Sentinel (Debian's ``redis-sentinel``, quorum 1,
a primary counts as down after a second) on free ports in a temporary folder, never the
machine's Redis, then SIGKILLs the primary and lets Sentinel promote the replica.

- The channel layer, the cache and the webhook queue, built from the site's settings for
  ``REDIS_SENTINELS``, each work before the kill and again after the promotion, on the data
  the replica had.
- Visitors chat with the bot on a real daphne server while the primary dies: their sockets,
  which the server may close meanwhile, come back by themselves with the chat box's backoff
  and send again what was not acknowledged. Every acknowledged message is stored, the bot
  answers again after the fail-over, a second tab of a visitor hears the first's messages
  through the new primary, and no visitor ever sees another's conversation.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dramatiq
import pytest
import redis
from django.utils.module_loading import import_string
from redis.sentinel import MasterNotFoundError, Sentinel
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from chatsite.channel_layers import RedisChannelLayer
from testsupport.harness import (
    ServerProcess,
    free_port,
    require_installed,
    serve,
    visitor_cookie,
)

from .test_settings import load_settings

pytestmark = pytest.mark.redis

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_SENTINEL = "/usr/bin/redis-sentinel"
# Not Sentinel's usual "mymaster": the name must travel through REDIS_SENTINEL_MASTER.
SERVICE = "chat-failover"
# How long the primary must be silent before Sentinel counts it down (its default is 30 s).
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 3000
START_TIMEOUT = 10.0
PROMOTION_TIMEOUT = 20.0


# --------------------------------------------------------------------------- Redis processes


class RedisProcess:
    """One redis-server (or redis-sentinel) of the test's own, on a free port."""

    def __init__(self, workdir: Path, name: str) -> None:
        self.workdir = workdir
        self.name = name
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"{self.name} did not answer on port {self.port} within {START_TIMEOUT} s")

    def client(self) -> redis.Redis:
        return redis.Redis(
            port=self.port, socket_connect_timeout=1, socket_timeout=2, decode_responses=True
        )

    def kill(self) -> None:
        """Abrupt death: no goodbye to clients, replicas or sentinels."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        try:
            return (self.workdir / f"{self.name}.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""


class SentinelSetup:
    """A primary, its replica and one Sentinel watching them as the service SERVICE."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.primary = RedisProcess(workdir, "primary")
        self.replica = RedisProcess(workdir, "replica")
        self.sentinel = RedisProcess(workdir, "sentinel")

    @property
    def sentinels(self) -> str:
        """REDIS_SENTINELS for the site."""
        return f"127.0.0.1:{self.sentinel.port}"

    def _server(self, node: RedisProcess, *extra: str) -> list[str]:
        return [
            REDIS_SERVER,
            "--bind",
            "127.0.0.1",
            "--port",
            str(node.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            "--dbfilename",
            f"{node.name}.rdb",
            "--logfile",
            str(self.workdir / f"{node.name}.log"),
            *extra,
        ]

    def start(self) -> None:
        # Redis 7 waits 5 s for more replicas before it streams a first sync: none will come.
        self.primary.start(self._server(self.primary, "--repl-diskless-sync-delay", "0"))
        self.replica.start(
            self._server(self.replica, "--replicaof", "127.0.0.1", str(self.primary.port))
        )
        # Sentinel learns the replicas from the primary: it must be attached by then.
        self._until(
            lambda: self.replica.client().info("replication")["master_link_status"] == "up",
            "the replica to sync with the primary",
        )
        config = self.workdir / "sentinel.conf"  # Sentinel rewrites its own configuration
        config.write_text(
            f"port {self.sentinel.port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.workdir}\n"
            f"logfile {self.workdir / 'sentinel.log'}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
        )
        self.sentinel.start([REDIS_SENTINEL, str(config)])
        # Sentinel promotes only a replica it has heard from (INFO) within the last 5 s, and
        # asks replicas every 10 s unless their primary looks down. With a primary counted
        # down after a second that check could miss the replica and put the fail-over off by
        # twice the fail-over timeout; asked every second, as a production Sentinel does by
        # the time its down-after period (30 s) is over, the replica is always fresh.
        self.sentinel.client().execute_command("SENTINEL", "DEBUG", "INFO-PERIOD", 1000)
        self._until(self._replica_known, "Sentinel to know the replica")

    def _replica_known(self) -> bool:
        replicas = self.sentinel.client().sentinel_slaves(SERVICE)
        return any(
            r["port"] == self.replica.port and r["master-link-status"] == "ok" for r in replicas
        )

    def primary_port(self) -> int | None:
        """The primary's port as clients see it: GET-MASTER-ADDR-BY-NAME already names the
        promoted replica while the fail-over is still under way, and redis-py, which reads
        SENTINEL MASTERS, finds no primary then."""
        sentinel = Sentinel([("127.0.0.1", self.sentinel.port)], socket_timeout=2)
        try:
            return int(sentinel.discover_master(SERVICE)[1])
        except MasterNotFoundError:
            return None
        finally:
            sentinel.close()

    def kill_primary(self) -> float:
        """SIGKILL the primary; when it died (time.monotonic())."""
        if self.primary_port() != self.primary.port:
            pytest.fail(
                "Sentinel failed the primary over before it was killed (a stall of more than "
                f"{DOWN_AFTER_MS} ms?)\n--- sentinel.log ---\n{self.sentinel.log()}"
            )
        self.primary.kill()
        return time.monotonic()

    def wait_promoted(self) -> float:
        """Wait for Sentinel to name the replica the primary; when it did."""
        self._until(lambda: self.primary_port() == self.replica.port, "the promotion")
        return time.monotonic()

    def wait_replicated(self) -> None:
        """Everything written so far is on the replica (replication is asynchronous)."""
        assert self.primary.client().execute_command("WAIT", 1, 5000) == 1

    def _until(self, condition, what: str, timeout: float = PROMOTION_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except redis.RedisError:
                pass
            time.sleep(0.05)
        pytest.fail(
            f"timed out after {timeout} s waiting for {what}\n"
            f"--- sentinel.log ---\n{self.sentinel.log()}\n"
            f"--- replica.log ---\n{self.replica.log()}"
        )

    def stop(self) -> None:
        for node in (self.sentinel, self.replica, self.primary):
            node.stop()


@contextmanager
def running_sentinel_setup() -> Iterator[SentinelSetup]:
    """A started SentinelSetup in a temporary folder, stopped on exit; skips (fails in CI)
    without Debian's redis-server and redis-sentinel."""
    require_installed(REDIS_SERVER, "redis-server")
    require_installed(REDIS_SENTINEL, "redis-sentinel")
    # In memory where there is /dev/shm: Sentinel and the replica fsync their files, and a
    # disk busy with other work could stall them for longer than DOWN_AFTER_MS.
    memory = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="chat-sentinel-", dir=memory) as tmp:
        setup = SentinelSetup(Path(tmp))
        try:
            setup.start()
            yield setup
        finally:
            setup.stop()


@pytest.fixture
def sentinel_setup():
    with running_sentinel_setup() as setup:
        yield setup


def site_redis_settings(setup: SentinelSetup) -> dict:
    """The channel layer, cache and broker settings chatsite.settings makes for the setup."""
    result = load_settings(
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'layer': settings.CHANNEL_LAYERS['default'], "
        "'cache': settings.CACHES['default'], 'broker': settings.DRAMATIQ_BROKER}))",
        REDIS_URL="",
        REDIS_SENTINELS=setup.sentinels,
        REDIS_SENTINEL_MASTER=SERVICE,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- the three users


@pytest.mark.asyncio
async def test_the_layer_the_cache_and_the_queue_follow_a_failover(sentinel_setup):
    from django.core.cache.backends.redis import RedisCache

    configured = site_redis_settings(sentinel_setup)
    prefix = f"test-{uuid.uuid4().hex}"
    layer = RedisChannelLayer(**{**configured["layer"]["CONFIG"], "prefix": prefix})
    cache_settings = configured["cache"]
    cache = RedisCache(cache_settings["LOCATION"], {**cache_settings, "KEY_PREFIX": prefix})
    broker_settings = configured["broker"]
    broker = import_string(broker_settings["BROKER"])(
        **{**broker_settings["OPTIONS"], "namespace": f"{prefix}-dramatiq"}
    )
    broker.declare_queue("probe")
    try:
        channel = await layer.new_channel()
        await layer.group_add("conversation", channel)
        await layer.group_send("conversation", {"type": "chat.send", "n": 1})
        assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 1
        cache.set("counter", 41, 60)
        broker.client.lpush(f"{prefix}-probe", "before")
        sentinel_setup.wait_replicated()

        sentinel_setup.kill_primary()
        sentinel_setup.wait_promoted()

        # Each finds the new primary by itself, with what was written before the kill.
        await layer.group_send("conversation", {"type": "chat.send", "n": 2})
        assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 2
        assert cache.incr("counter") == 42
        assert broker.client.lrange(f"{prefix}-probe", 0, -1) == [b"before"]
        message = broker.enqueue(
            dramatiq.Message(queue_name="probe", actor_name="probe", args=(), kwargs={}, options={})
        )
        consumer = broker.consume("probe", timeout=100)
        deadline = time.monotonic() + 5
        received = None
        while received is None and time.monotonic() < deadline:
            received = next(consumer)
        assert received is not None and received.message_id == message.message_id
        consumer.ack(received)
        consumer.close()
        # The cache wrote to the promoted replica, the one primary there is now.
        assert sentinel_setup.replica.client().get(f"{prefix}:1:counter") == "42"
    finally:
        # The Redis servers are the test's own and go with it: only connections to close.
        await layer.close_pools()


# --------------------------------------------------------------------------- visitors

# Questions the bot answers (its example questions), a disjoint handful per visitor: every
# visitor's text is its own, so that a message of one shown to another would be seen. A
# question the bot could not answer twice in a row would hand the conversation to a person.
QUESTIONS = [
    "What is Isomorphic Go?",
    "What does isomorphic mean?",
    "Can the same Go code run in the browser and on the server?",
    "Explain isomorphic web apps in Go",
    "How can I recompile code instantly?",
    "Is there a tool that restarts my Go server when I save a file?",
    "How do I get live reload for a Go web server?",
    "What is Kick?",
    "Is there a file watcher that rebuilds my gopherjs code?",
    "Where can I get starter code?",
    "Do you have a boilerplate app I can clone?",
    "Is there a skeleton app on GitHub?",
    "Where can I find a talk on this topic?",
    "Is there a video about Isomorphic Go?",
    "Has anyone given a conference presentation on this?",
    "Can I watch a lecture on Isomorphic Go?",
    "Is there a recording of a talk about it?",
    "What are the benefits of this technology?",
    "Why should I use Isomorphic Go?",
    "What are the advantages over JavaScript?",
    "How can I perform routing in my web app?",
    "How do I set up client-side routes?",
    "How do I render templates?",
    "What are template sets?",
    "Does isomorphic go offer anything react-like?",
    "Are there reusable UI components?",
    "What are cogs?",
    "Can I build components like in React or Vue?",
]
VISITORS = 6
QUESTIONS_EACH = len(QUESTIONS) // VISITORS
# A visitor reads the answer before asking again (and stays far below the socket's rate limit).
THINK_SECONDS = 0.2
# A socket that shows nothing this long while its visitor waits for an answer is given up.
FRAME_TIMEOUT = 10.0
# The chat box's reconnect backoff (chat/static/chat/common.js).
BACKOFF_MIN = 0.5
BACKOFF_MAX = 10.0
ANSWERS_BEFORE = 2
ANSWERS_AFTER = 2
RESUME_TIMEOUT = 30.0


def backoff_delay(attempt: int) -> float:
    """common.js's backoffDelay: exponential, with jitter so that dropped pages spread out."""
    base = min(BACKOFF_MAX, BACKOFF_MIN * 2**attempt)
    return min(BACKOFF_MAX, max(BACKOFF_MIN, base * (0.75 + random.random() * 0.5)))


@dataclass
class Tab:
    """One socket of a visitor, which reconnects as the chat box does.

    An asking tab asks its visitor's questions one after another, each once the last is
    answered; what was sent and not acknowledged stays in its outbox and is sent again on
    every reconnect (the server stores a client_id once). A listening tab only listens."""

    url: str
    cookie: str
    tag: str
    questions: list[str]
    asks: bool = True
    outbox: dict[str, str] = field(default_factory=dict)
    first_sent: dict[str, float] = field(default_factory=dict)
    acked: dict[str, str] = field(default_factory=dict)
    awaiting: str | None = None
    answers: list[float] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    frames: list[dict] = field(default_factory=list)
    # Visitor messages heard as (client_id, when this tab's socket had said "status").
    heard: list[tuple[str, float]] = field(default_factory=list)
    drops: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    asked: int = 0
    attempt: int = 0

    def idle(self) -> bool:
        return not self.outbox and self.awaiting is None

    async def run(self, stop: asyncio.Event) -> None:
        while not (stop.is_set() and self.idle()):
            try:
                await self._connection(stop)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as error:
                code = getattr(getattr(error, "rcvd", None), "code", None)
                self.drops[code or type(error).__name__] += 1
            else:
                return
            await asyncio.sleep(backoff_delay(self.attempt))
            self.attempt = min(self.attempt + 1, 20)

    async def _connection(self, stop: asyncio.Event) -> None:
        async with connect(
            self.url.replace("http://", "ws://", 1) + "/ws/chat/",
            origin=self.url,
            additional_headers={"Cookie": self.cookie},
            open_timeout=10,
            close_timeout=2,
            ping_interval=None,
        ) as socket:
            live_since = None
            while True:
                if not self.asks:
                    if stop.is_set():
                        return
                    try:  # a listener looks up now and then to see whether it may stop
                        raw = await asyncio.wait_for(socket.recv(), 0.2)
                    except TimeoutError:
                        continue
                else:
                    raw = await asyncio.wait_for(socket.recv(), FRAME_TIMEOUT)
                frame = json.loads(raw)
                self.frames.append(frame)
                kind = frame.get("type")
                if kind == "status" and live_since is None:
                    # The server really talks: the backoff starts afresh, the outbox goes out.
                    live_since = time.monotonic()
                    self.attempt = 0
                    for client_id, text in self.outbox.items():
                        await self._send(socket, client_id, text)
                elif kind == "message":
                    self._message(frame, live_since)
                elif kind == "error":
                    self.errors[frame.get("code")] += 1
                if live_since is not None and self.asks and self.idle():
                    if stop.is_set():
                        return
                    await asyncio.sleep(THINK_SECONDS)
                    self._ask()
                    for client_id, text in self.outbox.items():
                        await self._send(socket, client_id, text)

    def _message(self, frame: dict, live_since: float | None) -> None:
        new = frame["id"] not in self.seen
        self.seen.add(frame["id"])
        role = frame["sender"]["role"]
        client_id = frame.get("client_id")
        if role == "visitor":
            self.heard.append((client_id, live_since))
            if client_id in self.outbox:
                self.acked[client_id] = self.outbox.pop(client_id)
                self.awaiting = client_id
        elif role == "bot" and new and self.awaiting is not None:
            # Questions go one at a time: a new answer is the answer to the last one.
            self.awaiting = None
            self.answers.append(time.monotonic())

    def _ask(self) -> None:
        client_id = f"{self.tag}-{self.asked}"
        self.outbox[client_id] = self.questions[self.asked % len(self.questions)]
        self.first_sent[client_id] = time.monotonic()
        self.asked += 1

    async def _send(self, socket, client_id: str, text: str) -> None:
        await socket.send(json.dumps({"type": "message", "text": text, "client_id": client_id}))

    def answers_since(self, moment: float) -> int:
        return sum(1 for t in self.answers if t > moment)

    def state(self) -> str:
        """For a failure's message."""
        return (
            f"{self.tag}: asked {self.asked}, answered {len(self.answers)}, outbox "
            f"{list(self.outbox)}, awaiting {self.awaiting}, drops {dict(self.drops)}, errors "
            f"{dict(self.errors)}, heard last {self.heard[-3:]}, last frames {self.frames[-3:]}"
        )


@dataclass
class Visitor:
    cookie: str
    tag: str
    questions: list[str]
    tabs: list[Tab]

    @property
    def session_key(self) -> str:
        return self.cookie.removeprefix("sessionid=")


async def until(condition, what: str, timeout: float, tabs: list[Tab]) -> float:
    """Poll ``condition`` while the visitors chat; when it held (time.monotonic())."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        await asyncio.sleep(0.05)
    states = "\n".join(tab.state() for tab in tabs)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; the tabs:\n{states}")


def stored(server: ServerProcess) -> tuple[dict[str, str], dict[str, list[str]]]:
    """From the server's database: each message's conversation (by session key), and each
    conversation's visitor messages' client_ids."""
    with sqlite3.connect(server.workdir / "e2e.sqlite3") as db:
        rows = db.execute(
            "SELECT m.uid, m.sender_role, m.client_id, c.session_key FROM chat_message m "
            "JOIN chat_conversation c ON c.id = m.conversation_id"
        ).fetchall()
    owners = {uuid.UUID(uid).hex: key for uid, _, _, key in rows}
    client_ids: dict[str, list[str]] = {}
    for _, role, client_id, key in rows:
        if role == "visitor":
            client_ids.setdefault(key, []).append(client_id)
    return owners, client_ids


async def history_client_ids(url: str, cookie: str, expected: set[str]) -> set[str]:
    """A new socket of the visitor: the client_ids of its conversation's history, read until
    all of ``expected`` have come or no more frames come."""
    found: set[str] = set()
    async with connect(
        url.replace("http://", "ws://", 1) + "/ws/chat/",
        origin=url,
        additional_headers={"Cookie": cookie},
        open_timeout=10,
        ping_interval=None,
    ) as socket:
        deadline = time.monotonic() + 10
        while not expected <= found and time.monotonic() < deadline:
            try:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 2))
            except TimeoutError:
                break
            if frame.get("type") == "message" and frame["sender"]["role"] == "visitor":
                found.add(frame["client_id"])
    return found


@pytest.fixture
def site(request, sentinel_setup):
    failed_before = request.session.testsfailed
    env = {
        "REDIS_SENTINELS": sentinel_setup.sentinels,
        "REDIS_SENTINEL_MASTER": SERVICE,
        # Lends only the database number: its host is never used with sentinels.
        "REDIS_URL": "redis://not-a-redis-host.invalid:6379/0",
        "REDIS_PREFIX": f"test-{uuid.uuid4().hex}",
        # Words alone answer the example questions; the model is not loaded.
        "BOT_SEMANTIC": "0",
    }
    # serve() prints daphne's output if a test failed; the sentinel's log is printed here.
    with serve(request, "chat-failover-", env=env) as server:
        yield server
    if request.session.testsfailed > failed_before:
        print(f"----- sentinel.log -----\n{sentinel_setup.sentinel.log()}")


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_visitors_chat_through_a_failover(site, sentinel_setup):
    visitors = []
    for number in range(VISITORS):
        cookie = await asyncio.to_thread(visitor_cookie, site.url)
        tag = f"v{number}-{uuid.uuid4().hex[:8]}"
        questions = QUESTIONS[number * QUESTIONS_EACH : (number + 1) * QUESTIONS_EACH]
        own = [Tab(site.url, cookie, f"{tag}-a", questions)]
        if number == 0:
            # A second tab hears the first's messages only through the channel layer.
            own.append(Tab(site.url, cookie, f"{tag}-b", questions, asks=False))
        visitors.append(Visitor(cookie, tag, questions, own))
    asking = [visitor.tabs[0] for visitor in visitors]
    listener = visitors[0].tabs[1]
    stop = asyncio.Event()
    tabs = [tab for visitor in visitors for tab in visitor.tabs]
    tasks = [asyncio.create_task(tab.run(stop)) for tab in tabs]
    try:
        await until(
            lambda: all(len(tab.answers) >= ANSWERS_BEFORE for tab in asking),
            "every visitor to be answered before the fail-over",
            RESUME_TIMEOUT,
            tabs,
        )
        killed = sentinel_setup.kill_primary()
        promoted = await asyncio.to_thread(sentinel_setup.wait_promoted)
        resumed = await until(
            lambda: all(tab.answers_since(promoted) >= ANSWERS_AFTER for tab in asking),
            "every visitor to be answered after the fail-over",
            RESUME_TIMEOUT,
            tabs,
        )
        # The second tab hears, through the new primary, a message the first sent after the
        # promotion and after the second's socket was open (so not in the history it was sent).
        sent = asking[0].first_sent
        await until(
            lambda: any(
                client_id in sent and sent[client_id] > max(promoted, since)
                for client_id, since in listener.heard
                if since is not None
            ),
            "the second tab to hear the first through the channel layer",
            RESUME_TIMEOUT,
            tabs,
        )
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=RESUME_TIMEOUT)
        for task in pending:
            task.cancel()
    assert not pending, "visitors still waiting for an answer after the test stopped them"
    for task in done:
        task.result()

    # What the fail-over cost, for the record (pytest -s shows it).
    back = max(min(t for t in tab.answers if t > promoted) for tab in asking)
    print(
        f"\nfail-over: Sentinel named the replica {promoted - killed:.2f} s after the kill; every "
        f"visitor was answered again {back - killed:.2f} s after it (twice by "
        f"{resumed - killed:.2f} s); sockets dropped: "
        f"{dict(sum((tab.drops for v in visitors for tab in v.tabs), Counter()))}; error frames: "
        f"{dict(sum((tab.errors for v in visitors for tab in v.tabs), Counter()))}"
    )

    # Nothing lost: every acknowledged message is stored once, as the server replays it.
    owners, client_ids = stored(site)
    for visitor in visitors:
        acked = set(visitor.tabs[0].acked)
        assert sorted(client_ids[visitor.session_key]) == sorted(acked), visitor.tag
        assert acked <= await history_client_ids(site.url, visitor.cookie, acked), visitor.tag

    # Nobody saw anything of another conversation: every message shown to a tab is of its
    # own visitor's conversation, and every visitor message shown is its own.
    for visitor in visitors:
        for tab in visitor.tabs:
            assert {owners[uuid.UUID(i).hex] for i in tab.seen} == {visitor.session_key}
            for frame in tab.frames:
                if frame.get("type") == "message" and frame["sender"]["role"] == "visitor":
                    assert frame["client_id"].startswith(visitor.tag), frame
                    assert frame["text"] in visitor.questions, frame
            assert "rate_limited" not in tab.errors
    assert site.proc.poll() is None, f"daphne died:\n{site.output()}"
