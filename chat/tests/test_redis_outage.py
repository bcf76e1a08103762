"""A Redis outage while visitors chat, on a Redis server of the test's own.

The test starts redis-server on a free port (never the machine's Redis), runs a real daphne on
it and a visitor in Debian's Chromium, stops Redis mid-conversation and starts it again on the
same port. Pages must keep rendering, the chat box must say that it is reconnecting, what the
visitor types meanwhile must wait in the outbox, and everything must come back by itself:
the waiting message stored and answered once, nothing stored before the outage lost.
The channel layer itself is checked on the same kind of restart, without a browser.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis

from chatsite.channel_layers import RedisChannelLayer
from testsupport.harness import (
    ServerProcess,
    free_port,
    launch_chromium,
    require_chromium,
    require_installed,
    serve,
)

from .test_e2e_browser import (
    ANSWER,
    KICK_ANSWER_PREFIX,
    KICK_QUESTION,
    MSG,
    QUESTION,
    RECONNECT_TIMEOUT_MS,
    STARTER_ANSWER_PREFIX,
    STARTER_QUESTION,
    Visitor,
    expect,
)

pytestmark = pytest.mark.redis

REDIS_SERVER = "/usr/bin/redis-server"
# How long the visitor is kept waiting with Redis down: long enough for several refused
# reconnects, short enough for the test.
OUTAGE_SECONDS = 3


class RedisServer:
    """A redis-server of the test's own that can be stopped and started on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    pytest.fail(f"redis-server exited with {self.proc.returncode}")
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        pytest.fail(f"redis-server did not answer on port {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server():
    require_installed(REDIS_SERVER, "redis-server")
    with tempfile.TemporaryDirectory(prefix="chat-redis-") as tmp:
        server = RedisServer(Path(tmp))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def site(request, redis_server):
    require_chromium()  # checked before the server starts, for nothing otherwise
    env = {"REDIS_URL": redis_server.url, "REDIS_PREFIX": f"test-{uuid.uuid4().hex}"}
    with serve(request, "chat-outage-", env=env) as server:
        yield server


def http_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return response.status


def stored_texts(server: ServerProcess) -> list[str]:
    """Every stored message's text, in order, read from the server's own database file."""
    with sqlite3.connect(server.workdir / "e2e.sqlite3") as db:
        return [text for (text,) in db.execute("SELECT text FROM chat_message ORDER BY id")]


@pytest.mark.asyncio
async def test_the_layer_works_at_once_when_redis_is_back(redis_server):
    layer = RedisChannelLayer(hosts=[redis_server.url], prefix=f"test-{uuid.uuid4().hex}")
    channels = [await layer.new_channel() for _ in range(20)]
    try:
        # Connections that sit idle in the pool when Redis goes away...
        await asyncio.gather(*(layer.group_add("outage", name) for name in channels))
        redis_server.stop()
        redis_server.start()
        # ...are reconnected on their first use once it is back, not failed.
        for name in channels:
            await layer.group_add("outage", name)
        await layer.group_send("outage", {"type": "chat.send", "n": 1})
        for name in channels:
            assert (await asyncio.wait_for(layer.receive(name), 5))["n"] == 1
    finally:
        await layer.flush()
        await layer.close_pools()


@pytest.mark.e2e
def test_chat_rides_out_a_redis_outage(site, redis_server):
    with launch_chromium() as browser:
        alice = Visitor(browser, site.url)
        page = alice.page
        page.goto("/")
        alice.open_chat()
        alice.send(QUESTION)
        expect(alice.confirmed_visitor_message(QUESTION)).to_have_count(1)
        expect(alice.messages_with_text(ANSWER)).to_have_count(1)
        before = stored_texts(site)
        assert before[1:] == [QUESTION, ANSWER], before
        product = page.locator("a.productLink").first.get_attribute("href")

        redis_server.stop()

        # Pages do not need Redis.
        assert http_status(site.url + "/") == 200
        assert http_status(site.url + product) == 200
        # The chat box says so, in its live status line.
        status = page.locator("#chatboxStatus")
        expect(status).to_have_attribute("role", "status")
        expect(status).to_have_text(re.compile("Reconnecting"))
        # Reconnects are refused at the handshake: never one that looks connected for a moment.
        page.evaluate(
            """() => {
                const status = document.getElementById("chatboxStatus");
                window.statusCleared = 0;
                new MutationObserver(() => { window.statusCleared += status.hidden ? 1 : 0; })
                    .observe(status, {attributes: true, attributeFilter: ["hidden"]});
            }"""
        )

        # Typed during the outage: waiting in the outbox, shown as pending, never failed.
        alice.send(KICK_QUESTION)
        pending = page.locator(f"{MSG}.chatboxMessage--pending")
        expect(pending).to_have_count(1)
        time.sleep(OUTAGE_SECONDS)  # several refused reconnects meanwhile
        expect(pending).to_have_count(1)
        expect(page.locator(f"{MSG}.chatboxMessage--failed")).to_have_count(0)
        expect(status).to_have_text(re.compile("Reconnecting"))
        assert page.evaluate("window.statusCleared") == 0
        assert KICK_QUESTION in (page.evaluate("sessionStorage.getItem('chatbox:outbox')") or "")
        assert stored_texts(site) == before

        redis_server.start()

        # Back by itself within the page's longest backoff, the waiting message sent once.
        expect(status).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
        expect(alice.confirmed_visitor_message(KICK_QUESTION)).to_have_count(1)
        expect(alice.messages_starting_with(KICK_ANSWER_PREFIX)).to_have_count(1)
        expect(page.locator(MSG)).to_have_count(5)
        alice.assert_no_duplicates()
        assert page.evaluate("sessionStorage.getItem('chatbox:outbox')") is None

        # The history replayed after a reload holds every message once, in order.
        page.reload()
        expect(page.locator(MSG)).to_have_count(5)
        alice.assert_no_duplicates()
        texts = alice.all_texts()
        assert texts[1:3] == [QUESTION, ANSWER]
        assert texts[3] == KICK_QUESTION and texts[4].startswith(KICK_ANSWER_PREFIX)
        stored = stored_texts(site)
        assert stored[: len(before)] == before
        assert stored.count(KICK_QUESTION) == 1 and len(stored) == len(before) + 2, stored

        # A new visitor chats as usual, on the same server process.
        bob = Visitor(browser, site.url)
        bob.page.goto(product)
        bob.open_chat()
        bob.send(STARTER_QUESTION)
        expect(bob.confirmed_visitor_message(STARTER_QUESTION)).to_have_count(1)
        expect(bob.messages_starting_with(STARTER_ANSWER_PREFIX)).to_have_count(1)
        assert not alice.messages_with_text(STARTER_QUESTION).count()

        assert alice.page_errors == [] and bob.page_errors == []
        alice.close()
        bob.close()
    assert site.proc.poll() is None, f"daphne died:\n{site.output()}"
    # Every socket gave back what it counted on its conversation, the one that was live when
    # Redis went away (its consumer failed, and cleaned up) and every refused reconnect
    # alike: a count too high makes every later answer cross Redis for tabs that do not exist.
    deadline = time.monotonic() + 5
    while any(open_sockets(site).values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_sockets(site) == {1: 0, 2: 0}


def open_sockets(server: ServerProcess) -> dict[int, int]:
    with sqlite3.connect(server.workdir / "e2e.sqlite3") as db:
        return dict(db.execute("SELECT id, open_sockets FROM chat_conversation"))
