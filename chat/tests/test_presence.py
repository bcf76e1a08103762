"""Dead connections are noticed and cleaned up, presence too; live ones are kept."""

import asyncio
import base64
import json
import os
import socket
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from websockets.sync import client as websockets_sync

from chat import presence
from chat.models import AgentClient
from testsupport.harness import ServerProcess, visitor_cookie

from .conftest import (
    console_open,
    make_agent,
    new_session_key,
    set_bot_enabled,
    set_business_hours,
    visitor_communicator,
)

TIMEOUT = 5


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_consoles_of_a_dead_process_are_swept_and_chat_boxes_told(settings):
    """A console whose process died never says goodbye: its record expires, and the
    sweeper of any live process removes it and tells the chat boxes."""
    settings.CHAT_PRESENCE_EXPIRES_IN = 3  # a sweep every second

    def setup():
        set_bot_enabled(False)
        anna = make_agent("anna", present=False)
        console_open(anna, seconds=1)  # its process is gone: nothing will renew it
        return new_session_key()

    session_key = await database_sync_to_async(setup)()
    visitor = visitor_communicator(session_key)
    try:
        assert (await visitor.connect(TIMEOUT))[0]
        status = await visitor.receive_json_from(TIMEOUT)
        assert status["type"] == "status" and status["online"] is True
        deadline = time.monotonic() + 8
        while True:
            frame = await visitor.receive_json_from(max(0.1, deadline - time.monotonic()))
            if frame == {"type": "online", "online": False, "out_of_hours": False}:
                break
        assert not await database_sync_to_async(AgentClient.objects.exists)()
    finally:
        await visitor.disconnect()
        if presence._sweeper is not None:
            presence._sweeper.cancel()
        if presence._clock is not None:
            presence._clock.cancel()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_sweeper_that_fails_keeps_sweeping(settings, monkeypatch):
    settings.CHAT_PRESENCE_EXPIRES_IN = 3
    calls = []

    def flaky_sweep():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        return 0

    monkeypatch.setattr("chat.services.agent_clients_sweep", flaky_sweep)
    presence.ensure_sweeping()
    try:
        deadline = time.monotonic() + 6
        while len(calls) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert len(calls) >= 2
    finally:
        presence._sweeper.cancel()
        presence._clock.cancel()


# --- the business hours' clock ----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_open_chat_boxes_hear_the_hours_close_on_the_second(monkeypatch):
    """Nobody does anything when the business hours close: each process's clock tells the
    chat boxes, at the moment they close, even when staff set the hours a moment before."""
    monkeypatch.setattr(presence, "HOURS_RECHECK_SECONDS", 1)
    session_key = await database_sync_to_async(new_session_key)()
    visitor = visitor_communicator(session_key)
    try:
        assert (await visitor.connect(TIMEOUT))[0]
        status = await visitor.receive_json_from(TIMEOUT)
        assert status["out_of_hours"] is False
        now = timezone.now()
        # Some time zone where it is far from midnight (an interval ends by midnight).
        zone = "UTC" if 1 <= now.hour < 23 else "Asia/Tokyo"
        local = now.astimezone(ZoneInfo(zone))
        closing = (local + timedelta(seconds=3)).replace(microsecond=0)
        await database_sync_to_async(set_business_hours)(
            (local.weekday(), wall(0), closing.time()), time_zone=zone
        )
        deadline = time.monotonic() + 8
        while True:
            frame = await visitor.receive_json_from(max(0.1, deadline - time.monotonic()))
            if frame.get("type") == "online" and frame["out_of_hours"]:
                break
        assert frame == {"type": "online", "online": True, "out_of_hours": True}
        told = timezone.now()
        assert closing <= told < closing + timedelta(seconds=1)
    finally:
        await visitor.disconnect()
        presence._sweeper.cancel()
        presence._clock.cancel()


@pytest.mark.django_db
def test_the_clock_looks_for_the_next_opening_or_closing_from_its_last_look(now_is):
    monday_noon = datetime(2025, 3, 31, 12, tzinfo=UTC)
    now_is(monday_noon)
    assert presence.hours_next(since=monday_noon) == (None, monday_noon)
    set_business_hours((0, wall(9), wall(12, 0, 30)))
    assert presence.hours_next(since=monday_noon) == (
        monday_noon + timedelta(seconds=30),
        monday_noon,
    )
    # Beyond HOURS_RECHECK_SECONDS: not yet.
    set_business_hours((0, wall(9), wall(18)))
    assert presence.hours_next(since=monday_noon) == (None, monday_noon)
    # Closed at 12:00:30 by an edit made at 12:00:40, a look after the last: told late.
    set_business_hours((0, wall(9), wall(12, 0, 30)))
    now_is(monday_noon + timedelta(seconds=40))
    assert presence.hours_next(since=monday_noon)[0] == monday_noon + timedelta(seconds=30)


def _dead_websocket(server: ServerProcess, path: str, cookie: str) -> socket.socket:
    """A client that completes the WebSocket handshake and then never reads or answers
    again, like a frozen tab or a network that dropped without a word."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    connection.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {server.url}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += connection.recv(4096)
    assert response.startswith(b"HTTP/1.1 101"), response[:200]
    return connection


def _online(server: ServerProcess) -> bool:
    with urllib.request.urlopen(server.url + "/restapi/chat-status", timeout=5) as response:
        return json.load(response)["online"]


def test_daphne_drops_a_console_that_stops_answering_and_keeps_a_live_chat_box():
    with tempfile.TemporaryDirectory(prefix="chat-heartbeat-") as tmp:
        # Pings every second, a second to answer: what production does in 20 s + 30 s.
        server = ServerProcess(
            Path(tmp), daphne_args=("--ping-interval", "1", "--ping-timeout", "1")
        )
        server.migrate()
        server.manage(
            "shell",
            "-c",
            "from bots.models import BotProfile as P; P.objects.update(is_online_enabled=False)",
        )
        agent_cookie = server.agent_cookie("anna")
        server.start()
        try:
            # The visitor first: the dead console is dropped within about two seconds of
            # connecting, sooner than a busy machine may take to open a chat box after it.
            cookie = visitor_cookie(server.url)
            with websockets_sync.connect(
                server.url.replace("http", "ws") + "/ws/chat/",
                origin=server.url,
                additional_headers={"Cookie": cookie},
            ) as visitor:
                assert json.loads(visitor.recv(TIMEOUT))["online"] is False
                console = _dead_websocket(server, "/ws/staff/", agent_cookie)
                # Online while the console is there, then dropped within a few ping rounds,
                # and its agent with it.
                for online in (True, False):
                    deadline = time.monotonic() + 15
                    while True:
                        frame = json.loads(visitor.recv(max(0.1, deadline - time.monotonic())))
                        if frame == {"type": "online", "online": online, "out_of_hours": False}:
                            break
                assert not _online(server)
                # The live chat box answered every ping meanwhile: it is still connected.
                time.sleep(3)
                visitor.send(json.dumps({"type": "message", "text": "Hello?", "client_id": "h1"}))
                while True:
                    frame = json.loads(visitor.recv(TIMEOUT))
                    if frame.get("client_id") == "h1":
                        break
            console.close()
        except BaseException:
            print(server.output())
            raise
        finally:
            server.stop()
