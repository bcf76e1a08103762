"""The chat over a real Redis server, as several worker processes would share it."""

import asyncio
import http.cookiejar
import json
import re
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from websockets.sync import client as websockets_sync

from testsupport.harness import ServerProcess

from .conftest import new_session_key, visitor_communicator

pytestmark = [pytest.mark.redis, pytest.mark.asyncio]
TIMEOUT = 5


@pytest.fixture
def redis_layer_settings(settings, redis_url):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A prefix of its own keeps concurrent runs on one Redis apart.
            "CONFIG": {"hosts": [redis_url], "prefix": f"test-{uuid.uuid4().hex}"},
        }
    }
    return settings


async def test_two_consumers_in_one_group_talk_through_redis(redis_url):
    prefix = f"test-{uuid.uuid4().hex}"
    # Two layer instances, as two worker processes would have.
    first = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
    second = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
    try:
        a = await first.new_channel()
        b = await second.new_channel()
        await first.group_add("chat.conversation.1", a)
        await second.group_add("chat.conversation.1", b)

        await first.group_send("chat.conversation.1", {"type": "chat.send", "frame": {"n": 1}})
        assert (await first.receive(a))["frame"] == {"n": 1}
        assert (await second.receive(b))["frame"] == {"n": 1}

        await second.group_discard("chat.conversation.1", b)
        await second.group_send("chat.conversation.1", {"type": "chat.send", "frame": {"n": 2}})
        assert (await first.receive(a))["frame"] == {"n": 2}
    finally:
        await first.flush()
        await first.close_pools()
        await second.close_pools()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_chat_runs_on_the_redis_layer(redis_layer_settings):
    from channels.db import database_sync_to_async

    assert isinstance(get_channel_layer(), RedisChannelLayer)
    alice_key = await database_sync_to_async(new_session_key)()
    bob_key = await database_sync_to_async(new_session_key)()
    alice_tab_one = visitor_communicator(alice_key)
    alice_tab_two = visitor_communicator(alice_key)
    bob = visitor_communicator(bob_key)
    for communicator in (alice_tab_one, alice_tab_two, bob):
        assert (await communicator.connect(TIMEOUT))[0]
        assert (await communicator.receive_json_from(TIMEOUT))["type"] == "status"
        assert (await communicator.receive_json_from(TIMEOUT))["sender"]["role"] == "bot"

    await alice_tab_one.send_json_to(
        {"type": "message", "text": "What is isomorphic go?", "client_id": "r1"}
    )
    ack = await alice_tab_one.receive_json_from(TIMEOUT)
    reply = await alice_tab_one.receive_json_from(TIMEOUT)
    assert ack["client_id"] == "r1"
    assert reply["text"].startswith("Isomorphic Go is the methodology")
    # The other tab of the same visitor hears it through Redis; the other visitor does not.
    assert await alice_tab_two.receive_json_from(TIMEOUT) == ack
    assert await alice_tab_two.receive_json_from(TIMEOUT) == reply
    assert await bob.receive_nothing(timeout=0.5)

    # A resend is acknowledged to the sending connection only (its private group).
    await alice_tab_two.send_json_to(
        {"type": "message", "text": "What is isomorphic go?", "client_id": "r1"}
    )
    assert await alice_tab_two.receive_json_from(TIMEOUT) == ack
    assert await alice_tab_one.receive_nothing(timeout=0.5)

    for communicator in (alice_tab_one, alice_tab_two, bob):
        await communicator.disconnect()
    await get_channel_layer().flush()


# --------------------------------------------------------------------------- two processes


def _frames_until(ws, predicate, *, timeout: float = 10.0) -> dict:
    """Read frames until one satisfies ``predicate``; fail with what came instead."""
    seen = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            break
        if predicate(frame):
            return frame
        seen.append(frame)
    pytest.fail(f"no matching frame within {timeout}s; got {seen}")


class _Browserless:
    """An HTTP client with a cookie jar, for logging in and getting a visitor session."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.read().decode()

    def log_in(self, username: str, password: str) -> None:
        page = self.get("/admin/login/?next=/admin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": password,
                "next": "/admin/",
            }
        ).encode()
        request = urllib.request.Request(
            self.base_url + "/admin/login/", data=data, headers={"Referer": self.base_url}
        )
        with self.opener.open(request, timeout=10) as response:
            assert response.url.endswith("/admin/"), response.url

    def socket(self, path: str):
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        return websockets_sync.connect(
            self.base_url.replace("http://", "ws://") + path,
            additional_headers={"Cookie": cookie, "Origin": self.base_url},
            open_timeout=10,
        )


@pytest.fixture
def two_servers(request, redis_url, tmp_path):
    """Two Daphne processes on one database and one Redis, as two workers of one site."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    first = ServerProcess(tmp_path, env=env, name="first")
    second = ServerProcess(tmp_path, env=env, name="second")
    first.migrate()
    # Anna may log in; with the bot off, only a person can answer: presence decides whether
    # the chat is online. (One manage.py start-up for both.)
    first.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        "get_user_model().objects.create_superuser('anna', 'a@x.org', 'agent-password-1');"
        "from bots.models import BotProfile; BotProfile.objects.update(is_online_enabled=False)",
    )
    first.start()
    second.start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()
        if request.session.testsfailed:
            print(first.output(), second.output())


@pytest.mark.e2e
@pytest.mark.asyncio(loop_scope="function")
async def test_a_visitor_and_an_agent_on_two_processes_talk_through_redis(two_servers):
    await asyncio.to_thread(_talk_across_processes, *two_servers)


def _talk_across_processes(visitor_server, agent_server):
    visitor = _Browserless(visitor_server.url)
    visitor.get("/")
    visitor.get("/restapi/get-agent-info")  # the chat box opening: the visitor's session
    assert json.loads(visitor.get("/restapi/chat-status")) == {
        "online": False,
        "out_of_hours": False,
    }
    agent = _Browserless(agent_server.url)
    agent.log_in("anna", "agent-password-1")

    with visitor.socket("/ws/chat/?page=/") as visitor_ws:
        status = _frames_until(visitor_ws, lambda f: f["type"] == "status")
        assert status["online"] is False

        with agent.socket("/ws/staff/") as agent_ws:
            assert _frames_until(agent_ws, lambda f: f["type"] == "hello")["me"]["name"] == "anna"
            # Presence made on the second process is seen on the first.
            assert _frames_until(visitor_ws, lambda f: f["type"] == "online")["online"] is True
            assert json.loads(visitor.get("/restapi/chat-status")) == {
                "online": True,
                "out_of_hours": False,
            }

            visitor_ws.send(json.dumps({"type": "message", "text": "Hello?", "client_id": "v1"}))
            waiting = _frames_until(
                agent_ws, lambda f: f["type"] == "conversation" and f["state"] == "waiting"
            )
            conversation = waiting["id"]
            agent_ws.send(json.dumps({"type": "open", "conversation": conversation}))
            opened = _frames_until(agent_ws, lambda f: f["type"] == "opened")
            assert "Hello?" in [frame.get("text") for frame in opened["frames"]]

            agent_ws.send(json.dumps({"type": "take", "conversation": conversation}))
            joined = _frames_until(
                visitor_ws, lambda f: f["type"] == "status" and f.get("state") == "agent"
            )
            assert joined["answering"]["name"] == "anna"

            # BotProfile to visitor, across processes: typing, then the message.
            agent_ws.send(
                json.dumps({"type": "typing", "conversation": conversation, "active": True})
            )
            typing = _frames_until(visitor_ws, lambda f: f["type"] == "typing")
            assert typing["active"] is True and typing["sender"]["name"] == "anna"
            agent_ws.send(
                json.dumps(
                    {
                        "type": "message",
                        "conversation": conversation,
                        "text": "Hi, Anna here.",
                        "client_id": "a1",
                    }
                )
            )
            reply = _frames_until(visitor_ws, lambda f: f.get("text") == "Hi, Anna here.")
            assert reply["sender"]["role"] == "agent" and reply["sender"]["name"] == "anna"

            # Visitor to agent, across processes.
            visitor_ws.send(json.dumps({"type": "typing", "active": True}))
            assert _frames_until(agent_ws, lambda f: f["type"] == "typing")["active"] is True
            visitor_ws.send(
                json.dumps({"type": "message", "text": "Thanks, Anna!", "client_id": "v2"})
            )
            heard = _frames_until(agent_ws, lambda f: f.get("text") == "Thanks, Anna!")
            assert heard["conversation"] == conversation

        # The console closed on the second process: the first tells its visitor.
        assert _frames_until(visitor_ws, lambda f: f["type"] == "online")["online"] is False
    assert json.loads(visitor.get("/restapi/chat-status")) == {
        "online": False,
        "out_of_hours": False,
    }
