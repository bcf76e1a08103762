"""Redis behind Sentinel: the site's three users of Redis find the current primary by asking.

With ``REDIS_SENTINELS`` set (chatsite/settings.py), the channel layer, the cache and the
webhook queue never hold a Redis address of their own. Each connection they open asks the
sentinels which server is the primary of the service (``REDIS_SENTINEL_MASTER``) first, so
that when Sentinel promotes a replica after the primary died, every connection opened after
the promotion reaches the new primary, and no process needs a restart or a new setting.

One place builds it all, for the three of them:

- the channel layer (``chatsite.channel_layers.RedisChannelLayer``) asks for
  ``async_pool``: the Sentinel-aware pool, blocking and bounded like the layer's own pool for
  a single server, with its retry and read timeout (see that module for why);
- Django's cache names ``SentinelPool`` as its ``pool_class``, which builds itself from the
  cache's LOCATION (``REDIS_URL``) and the sentinel options;
- Dramatiq's broker is ``SentinelRedisBroker``, a ``RedisBroker`` on a client of that pool.

Nothing here connects until a command is sent: building the pools, the client and the broker
is free, so settings stay declarative and a process starts while Redis is away.

``REDIS_URL`` lends only the primary's connection details (user name, password, database
number, ``rediss://`` for TLS). Its host and port are never used: the sentinels name the
primary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis
from dramatiq.brokers.redis import RedisBroker
from redis.asyncio import BlockingConnectionPool
from redis.asyncio import sentinel as async_sentinel
from redis.backoff import NoBackoff
from redis.connection import SSLConnection, parse_url
from redis.retry import Retry
from redis.sentinel import Sentinel
from redis.sentinel import SentinelConnectionPool as SyncSentinelConnectionPool

# Seconds to reach one sentinel and to hear its answer. A sentinel's answers are tiny and
# near; one that does not answer within these is passed over for the next, so a sentinel
# that is down costs a moment, not the system's TCP timeout, on every connect.
SENTINEL_CONNECT_TIMEOUT = 1.0
SENTINEL_READ_TIMEOUT = 2.0

# The cache and the webhook queue (blocking clients, in threads): a primary whose machine
# vanished must fail a page's cache call or a queued delivery in seconds, not hang it.
SYNC_DEFAULTS: Mapping[str, Any] = {
    "socket_connect_timeout": 5.0,
    "socket_timeout": 5.0,
}


def _sentinel_hosts(sentinels: Iterable[Sequence[Any]]) -> list[tuple[str, int]]:
    """The sentinels as redis-py wants them; settings give lists, which JSON keeps."""
    return [(str(host), int(port)) for host, port in sentinels]


def sentinel_options(
    *, password: str = "", given: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """How to talk to the sentinels themselves: short timeouts, their own password (a
    sentinel's ``requirepass``, not the primary's). ``given`` (channels_redis's own
    ``sentinel_kwargs`` in a host entry) wins."""
    options: dict[str, Any] = {
        "socket_connect_timeout": SENTINEL_CONNECT_TIMEOUT,
        "socket_timeout": SENTINEL_READ_TIMEOUT,
    }
    if password:
        options["password"] = password
    return {**options, **(given or {})}


def primary_options(*, url: str) -> dict[str, Any]:
    """What of ``url`` applies to the primary, whichever server that is now: user name,
    password, database number, TLS and the URL's query options. Its host and port are
    dropped, since the sentinels name the primary; an empty ``url`` gives nothing."""
    if not url:
        return {}
    if url.lower().startswith("unix://"):
        raise ValueError("Sentinel names a primary by host and port: use redis:// or rediss://")
    options = parse_url(url)
    options.pop("host", None)
    options.pop("port", None)
    if options.pop("connection_class", None) is SSLConnection:
        # Sentinel's pools pick their own connection class (one that asks the sentinels
        # where to connect); "ssl" makes it the TLS one.
        options["ssl"] = True
    return options


# --------------------------------------------------------------------------- channel layer


class BlockingSentinelPool(async_sentinel.SentinelConnectionPool, BlockingConnectionPool):
    """redis-py's asyncio Sentinel pool with the blocking pool's wait for a free connection:
    a burst of connects waits instead of failing with "Too many connections", as on the
    layer's pool for a single server (chatsite/channel_layers.py)."""

    async def aclose(self) -> None:
        # The layer closes its pools at the end of an event loop; the connections to the
        # sentinels go with them rather than being left for the garbage collector.
        try:
            await super().aclose()
        finally:
            await self.sentinel_manager.aclose()


def async_pool(
    *,
    sentinels: Iterable[Sequence[Any]],
    master_name: str,
    url: str = "",
    sentinel_password: str = "",
    sentinel_kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> BlockingSentinelPool:
    """A pool for the channel layer whose every new connection goes to the primary the
    sentinels name now. ``options`` are the layer's pool options (size, wait, timeouts,
    retry) and anything else a channels_redis host entry gives; they win over ``url``'s."""
    manager = async_sentinel.Sentinel(
        _sentinel_hosts(sentinels),
        sentinel_kwargs=sentinel_options(password=sentinel_password, given=sentinel_kwargs),
    )
    return BlockingSentinelPool(master_name, manager, **{**primary_options(url=url), **options})


# --------------------------------------------------------------------------- cache and queue


class SentinelPool(SyncSentinelConnectionPool):
    """redis-py's (blocking-I/O) Sentinel pool, built from a URL as Django's cache builds its
    pools: ``OPTIONS = {"pool_class": "chatsite.redis_sentinel.SentinelPool", "sentinels":
    [...], "master_name": "mymaster"}`` with ``LOCATION`` the URL (host ignored)."""

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        sentinels: Iterable[Sequence[Any]],
        master_name: str,
        sentinel_password: str = "",
        sentinel_kwargs: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> SentinelPool:
        manager = Sentinel(
            _sentinel_hosts(sentinels),
            sentinel_kwargs=sentinel_options(password=sentinel_password, given=sentinel_kwargs),
        )
        connection = {
            **SYNC_DEFAULTS,
            # As on the channel layer: a connection the fail-over broke reconnects once, to
            # the primary the sentinels name by then, and sends again.
            "retry": Retry(NoBackoff(), 1),
            **primary_options(url=url),
            **options,
        }
        return cls(master_name, manager, **connection)


def sync_client(
    *,
    sentinels: Iterable[Sequence[Any]],
    master_name: str,
    url: str = "",
    sentinel_password: str = "",
    **options: Any,
) -> redis.Redis:
    """A redis-py client on the current primary, for code that runs in threads."""
    pool = SentinelPool.from_url(
        url,
        sentinels=sentinels,
        master_name=master_name,
        sentinel_password=sentinel_password,
        **options,
    )
    return redis.Redis(connection_pool=pool)


class SentinelRedisBroker(RedisBroker):
    """Dramatiq's Redis broker on the primary the sentinels name (webhook deliveries).

    django_dramatiq builds the broker from ``DRAMATIQ_BROKER``'s OPTIONS, which are plain
    values; the client is made here, when the apps load, and connects on first use."""

    def __init__(
        self,
        *,
        sentinels: Iterable[Sequence[Any]],
        master_name: str,
        url: str = "",
        sentinel_password: str = "",
        **options: Any,
    ) -> None:
        client = sync_client(
            sentinels=sentinels,
            master_name=master_name,
            url=url,
            sentinel_password=sentinel_password,
        )
        super().__init__(client=client, **options)
