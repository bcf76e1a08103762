"""Redis behind Sentinel (chatsite/redis_sentinel.py): what the settings make of
REDIS_SENTINELS, the pools built from them, and nothing connecting before it is used."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid

import pytest

from chatsite import redis_sentinel
from chatsite.channel_layers import RedisChannelLayer

from .test_redis_failover import SERVICE, running_sentinel_setup
from .test_settings import load_settings

REDIS_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'layer': settings.CHANNEL_LAYERS['default'], "
    "'cache': settings.CACHES['default'], 'broker': settings.DRAMATIQ_BROKER['BROKER'], "
    "'broker_options': settings.DRAMATIQ_BROKER['OPTIONS'], "
    "'in_process_worker': settings.CHAT_WEBHOOK_IN_PROCESS_WORKER}))"
)
# Whatever the machine running the tests has set (CI sets REDIS_URL) is overridden.
NO_REDIS = {
    "REDIS_URL": "",
    "REDIS_SENTINELS": "",
    "REDIS_SENTINEL_MASTER": "",
    "REDIS_SENTINEL_PASSWORD": "",
    "REDIS_PREFIX": "",
}


def redis_settings(**env: str) -> dict:
    result = load_settings(REDIS_PROBE, **{**NO_REDIS, "REDIS_PREFIX": "site", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- settings


def test_sentinels_lead_the_layer_the_cache_and_the_queue_to_the_primary():
    values = redis_settings(
        REDIS_SENTINELS="10.0.0.1:26379, 10.0.0.2:26380,sentinel-3,[fd00::4]:26381",
        REDIS_SENTINEL_MASTER="chat",
        REDIS_SENTINEL_PASSWORD="sentinel-secret",
        REDIS_URL="redis://:primary-secret@ignored-host:6379/2",
    )
    sentinel = {
        "sentinels": [
            ["10.0.0.1", 26379],
            ["10.0.0.2", 26380],
            ["sentinel-3", 26379],
            ["fd00::4", 26381],
        ],
        "master_name": "chat",
        "sentinel_password": "sentinel-secret",
    }
    layer = values["layer"]
    assert layer["BACKEND"] == "chatsite.channel_layers.RedisChannelLayer"
    assert layer["CONFIG"]["hosts"] == [
        {**sentinel, "url": "redis://:primary-secret@ignored-host:6379/2"}
    ]
    assert layer["CONFIG"]["prefix"] == "site"
    assert values["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://:primary-secret@ignored-host:6379/2",
        "KEY_PREFIX": "site",
        "OPTIONS": {"pool_class": "chatsite.redis_sentinel.SentinelPool", **sentinel},
    }
    assert values["broker"] == "chatsite.redis_sentinel.SentinelRedisBroker"
    assert values["broker_options"] == {
        **sentinel,
        "url": "redis://:primary-secret@ignored-host:6379/2",
        "namespace": "site-dramatiq",
    }
    # With Redis, webhooks are worked off by `manage.py rundramatiq`, not the server.
    assert values["in_process_worker"] is False


def test_the_service_is_mymaster_and_redis_url_optional_by_default():
    values = redis_settings(REDIS_SENTINELS="127.0.0.1:26379")
    host = values["layer"]["CONFIG"]["hosts"][0]
    assert host == {
        "sentinels": [["127.0.0.1", 26379]],
        "master_name": "mymaster",
        "sentinel_password": "",
        "url": "",
    }
    assert values["cache"]["LOCATION"] == ""
    assert values["broker_options"]["url"] == ""


def test_without_sentinels_redis_url_alone_is_one_server_as_before():
    values = redis_settings(REDIS_URL="redis://redis:6379/0")
    assert values["layer"]["CONFIG"]["hosts"] == ["redis://redis:6379/0"]
    assert "OPTIONS" not in values["cache"]
    assert values["broker"] == "dramatiq.brokers.redis.RedisBroker"
    assert values["broker_options"] == {"url": "redis://redis:6379/0", "namespace": "site-dramatiq"}


def test_without_either_there_is_no_redis():
    values = load_settings(
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.CHANNEL_LAYERS['default']['BACKEND'], "
        "settings.DRAMATIQ_BROKER['BROKER'], settings.CHAT_WEBHOOK_IN_PROCESS_WORKER]))",
        **NO_REDIS,
    )
    assert json.loads(values.stdout) == [
        "channels.layers.InMemoryChannelLayer",
        "dramatiq.brokers.stub.StubBroker",
        True,
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_SENTINELS": "sentinel:port"}, "REDIS_SENTINELS must be host:port pairs"),
        ({"REDIS_SENTINELS": ":26379"}, "REDIS_SENTINELS must be host:port pairs"),
        (
            {"REDIS_SENTINELS": "sentinel:26379", "REDIS_URL": "unix:///run/redis.sock"},
            "REDIS_URL must be redis:// or rediss://",
        ),
    ],
    ids=["port", "host", "unix-socket"],
)
def test_a_bad_sentinel_setting_stops_the_site_with_a_sentence(env, message):
    result = load_settings(REDIS_PROBE, **{**NO_REDIS, **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_nothing_connects_while_the_site_starts():
    # Settings stay declarative: starting the site, and even building its broker, cache
    # client and channel layer pool, knocks on no sentinel (nor primary).
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        result = load_settings(
            "import django; django.setup(); import dramatiq; "
            "from django.core.cache import cache; from channels.layers import get_channel_layer; "
            "broker = dramatiq.get_broker(); client = cache._cache.get_client(write=True); "
            "pool = get_channel_layer().create_pool(0); "
            "print(type(broker).__name__, type(client.connection_pool).__name__, "
            "type(pool).__name__)",
            **{**NO_REDIS, "REDIS_SENTINELS": f"127.0.0.1:{port}", "REDIS_URL": "redis:///0"},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [
            "SentinelRedisBroker",
            "SentinelPool",
            "BlockingSentinelPool",
        ]
        with pytest.raises(BlockingIOError):
            listener.accept()


# --------------------------------------------------------------------------- pools


def test_the_primary_takes_from_redis_url_all_but_its_address():
    assert redis_sentinel.primary_options(url="rediss://chat:pw%21@anywhere:6380/4") == {
        "username": "chat",
        "password": "pw!",
        "db": 4,
        "ssl": True,
    }
    assert redis_sentinel.primary_options(url="redis://anywhere/1") == {"db": 1}
    assert redis_sentinel.primary_options(url="") == {}
    with pytest.raises(ValueError, match="host and port"):
        redis_sentinel.primary_options(url="unix:///run/redis.sock")


def test_the_layer_behind_sentinel_keeps_its_pool_retry_and_read_timeout():
    # The fixes of chatsite/channel_layers.py hold behind Sentinel too: a bounded pool that
    # waits for a connection, one retry on a broken connection, and reads that wait longer
    # than a receive blocks. channels_redis's own Sentinel pool had none of them.
    layer = RedisChannelLayer(
        hosts=[
            {
                "sentinels": [["127.0.0.1", 26379]],
                "master_name": "chat",
                "url": "redis://:pw@ignored/3",
                "sentinel_password": "sentinel-secret",
            }
        ],
        pool_size=7,
        pool_timeout=3,
    )
    pool = layer.create_pool(0)
    assert isinstance(pool, redis_sentinel.BlockingSentinelPool)
    assert pool.service_name == "chat" and pool.is_master
    assert (pool.max_connections, pool.timeout) == (7, 3)
    options = pool.connection_kwargs
    assert options["socket_timeout"] > layer.brpop_timeout
    assert options["retry"].get_retries() == 1
    assert (options["password"], options["db"]) == ("pw", 3)
    # The sentinels are asked with short timeouts and their own password.
    sentinel = pool.sentinel_manager.sentinels[0].connection_pool.connection_kwargs
    assert sentinel["socket_timeout"] == redis_sentinel.SENTINEL_READ_TIMEOUT
    assert sentinel["socket_connect_timeout"] == redis_sentinel.SENTINEL_CONNECT_TIMEOUT
    assert sentinel["password"] == "sentinel-secret"


def test_channels_redis_own_sentinel_options_win():
    pool = redis_sentinel.async_pool(
        sentinels=[("127.0.0.1", 26379)],
        master_name="chat",
        sentinel_kwargs={"socket_timeout": 9},
        socket_timeout=20,
    )
    assert pool.connection_kwargs["socket_timeout"] == 20
    sentinel = pool.sentinel_manager.sentinels[0].connection_pool.connection_kwargs
    assert sentinel["socket_timeout"] == 9


def test_the_cache_pool_is_built_from_its_location():
    pool = redis_sentinel.SentinelPool.from_url(
        "redis://:pw@ignored:6379/5", sentinels=[["127.0.0.1", 26379]], master_name="chat"
    )
    assert pool.service_name == "chat"
    options = pool.connection_kwargs
    assert (options["password"], options["db"]) == ("pw", 5)
    assert "host" not in options
    assert options["retry"].get_retries() == 1
    assert options["socket_timeout"] == redis_sentinel.SYNC_DEFAULTS["socket_timeout"]


# --------------------------------------------------------------------------- real sentinel


@pytest.mark.redis
@pytest.mark.asyncio
async def test_a_burst_behind_sentinel_waits_for_connections_instead_of_failing():
    # As on one server (test_channel_layers.py): more connects at once than the pool holds
    # wait for a free connection, and every one of them joins.
    with running_sentinel_setup() as setup:
        name = f"burst-{uuid.uuid4().hex}"
        layer = RedisChannelLayer(
            hosts=[
                {
                    "sentinels": [["127.0.0.1", setup.sentinel.port]],
                    "master_name": SERVICE,
                    "client_name": name,
                }
            ],
            prefix=f"test-{uuid.uuid4().hex}",
            pool_size=7,
        )
        channels = [await layer.new_channel() for _ in range(200)]
        try:
            results = await asyncio.gather(
                *(layer.group_add("burst", channel) for channel in channels),
                return_exceptions=True,
            )
            assert [r for r in results if isinstance(r, BaseException)] == []
            clients = setup.primary.client().client_list()
            assert 0 < sum(1 for c in clients if c["name"] == name) <= 7
            await layer.group_send("burst", {"type": "chat.send", "n": 1})
            received = await asyncio.gather(
                *(asyncio.wait_for(layer.receive(channel), 10) for channel in channels)
            )
            assert [event["n"] for event in received] == [1] * len(channels)
        finally:
            await layer.flush()
            await layer.close_pools()
