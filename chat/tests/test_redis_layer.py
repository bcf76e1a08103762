"""The chat over a real Redis server, as several worker processes would share it."""

import uuid

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

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
