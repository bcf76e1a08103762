"""The Redis channel layer's pool, on a real Redis server (the ``redis_url`` fixture)."""

import asyncio
import json
import uuid

import pytest
import redis

from chatsite.channel_layers import RedisChannelLayer

from .test_settings import load_settings

pytestmark = [pytest.mark.redis, pytest.mark.asyncio]
BURST = 300


def connections_named(url: str, name: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return sum(1 for entry in client.client_list() if entry["name"] == name)
    finally:
        client.close()


@pytest.mark.parametrize("pool_size", [100, 7])
async def test_a_burst_of_group_adds_waits_for_connections_instead_of_failing(redis_url, pool_size):
    # A server restart brings every open page back at once: redis-py's plain pool failed
    # each command over its 100 connections with "Too many connections".
    name = f"burst-{uuid.uuid4().hex}"
    layer = RedisChannelLayer(
        hosts=[{"address": redis_url, "client_name": name}],
        prefix=f"test-{uuid.uuid4().hex}",
        pool_size=pool_size,
    )
    channels = [await layer.new_channel() for _ in range(BURST)]
    try:
        results = await asyncio.gather(
            *(layer.group_add("burst", channel) for channel in channels), return_exceptions=True
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert 0 < connections_named(redis_url, name) <= pool_size
        # Every one of them joined.
        await layer.group_send("burst", {"type": "chat.send", "n": 1})
        received = await asyncio.gather(
            *(asyncio.wait_for(layer.receive(channel), 10) for channel in channels)
        )
        assert [event["n"] for event in received] == [1] * BURST
    finally:
        await layer.flush()
        await layer.close_pools()


def production_layer_config(redis_url: str) -> dict:
    """The channel layer's CONFIG as chatsite.settings builds it for REDIS_URL."""
    result = load_settings(
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.CHANNEL_LAYERS['default']['CONFIG']))",
        REDIS_URL=redis_url,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_every_socket_of_a_process_gets_its_event_when_hundreds_are_sent_at_once(redis_url):
    # All the sockets of one process receive through one Redis list, and channels_redis drops
    # what goes beyond its capacity there without a word: at its default (100), half of 200
    # visitors answered at once through their own groups never heard back.
    config = production_layer_config(redis_url)
    layer = RedisChannelLayer(
        **{**config, "hosts": [redis_url], "prefix": f"test-{uuid.uuid4().hex}"}
    )
    channels = [await layer.new_channel() for _ in range(BURST)]
    try:
        for n, channel in enumerate(channels):
            await layer.group_add(f"private-{n}", channel)
        await asyncio.gather(
            *(layer.group_send(f"private-{n}", {"type": "chat.send", "n": n}) for n in range(BURST))
        )
        received = await asyncio.gather(
            *(asyncio.wait_for(layer.receive(channel), 10) for channel in channels)
        )
        assert [event["n"] for event in received] == list(range(BURST))
    finally:
        await layer.flush()
        await layer.close_pools()


async def test_a_read_waits_longer_than_a_receive_blocks_on_redis(redis_url):
    # channels_redis blocks on Redis for brpop_timeout seconds waiting for an event; a read
    # timeout as long (redis-py 8's default, 5 s) raced it, and sockets with nothing to
    # receive failed now and then. The race itself is too rare to wait for in a test.
    layer = RedisChannelLayer(hosts=[redis_url], prefix=f"test-{uuid.uuid4().hex}")
    try:
        pool = layer.create_pool(0)
        assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout
        await pool.disconnect()
    finally:
        await layer.close_pools()


async def test_a_socket_that_goes_while_waiting_on_redis_leaves_no_buffer_behind(redis_url):
    # The first receive of a process holds the receive lock and waits on Redis itself; a
    # socket closing then (its receive cancelled) left its buffer in the layer for good.
    layer = RedisChannelLayer(hosts=[redis_url], prefix=f"test-{uuid.uuid4().hex}")
    channel = await layer.new_channel()
    try:
        receiving = asyncio.create_task(layer.receive(channel))
        deadline = asyncio.get_running_loop().time() + 5
        while not (layer.receive_lock and layer.receive_lock.locked()):
            assert asyncio.get_running_loop().time() < deadline, "the receive never waited"
            await asyncio.sleep(0.01)
        receiving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await receiving

        assert channel not in layer.receive_buffer
    finally:
        await layer.flush()
        await layer.close_pools()
