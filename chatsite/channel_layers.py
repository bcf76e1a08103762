"""The Redis channel layer, with a connection pool that waits and heals.

channels_redis gives each process redis-py's plain pool, which has two failure modes that
visitors see:

- a burst of connects (a server restart brings every open page back at once) needs more
  connections than the pool's limit (100), and each one over it fails at once with
  ``MaxConnectionsError: Too many connections``. A ``BlockingConnectionPool`` makes those wait
  for a free connection instead, for at most ``pool_timeout`` seconds.
- connections that sat idle in the pool while Redis was down or restarting are handed out
  again once it is back, and the first command on each fails ("Connection closed by
  server"), with no retry: a socket refused or a live event dropped after the outage is
  over. One retry on a connection error reconnects such a connection and sends again;
  while Redis is really down, the retry fails as fast as the first try.

And one that redis-py 8 brought: a default read timeout of 5 s on every connection, the very
time channels_redis's receive blocks on Redis (BZPOPMIN, ``brpop_timeout``) waiting for an
event. The two raced, and a socket with nothing to receive failed now and then with
"Timeout reading from Redis" (2 of 800 arriving visitors in a benchmark round). Reads here
wait longer than a receive blocks.

All three hold behind Redis Sentinel too (``REDIS_SENTINELS``): a host entry with a
``master_name`` gets the same pool, options and retry, on connections that ask the sentinels
for the current primary (chatsite/redis_sentinel.py). channels_redis's own Sentinel pool has
none of them, and no timeout at all on its sentinel connections. There the one retry does
more: a connection broken because the primary died reconnects to whichever server the
sentinels name by then.
"""

from __future__ import annotations

import asyncio

from channels_redis import core
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from . import redis_sentinel

# Seconds a read waits beyond a blocking receive before its connection counts as dead.
READ_TIMEOUT_MARGIN = 10


class RedisChannelLayer(core.RedisChannelLayer):
    """channels_redis's layer on a bounded, blocking pool that retries a broken connection.

    ``pool_size`` is the most connections one process opens to each Redis host,
    ``pool_timeout`` how many seconds a command waits for one of them before failing.
    Options given in a host's entry win over these defaults.
    """

    def __init__(
        self,
        *args,
        pool_size: int = 100,
        pool_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.pool_options = {
            "max_connections": pool_size,
            "timeout": pool_timeout,
            # An unreachable host (not a refused port) would otherwise hold a connect for the
            # system's TCP timeout, and with it the thread that publishes after a commit.
            "socket_connect_timeout": connect_timeout,
            # Longer than a receive blocks on Redis waiting for an event (see above).
            "socket_timeout": self.brpop_timeout + READ_TIMEOUT_MARGIN,
            "retry": Retry(NoBackoff(), 1),
        }

    async def receive(self, channel: str) -> dict:
        """channels_redis's receive, which forgets the socket's buffer when the socket goes.

        A socket that closes while its receive is the one waiting on Redis for the whole
        process (it holds the receive lock) is cancelled past channels_redis's clean-up,
        which catches ``Exception`` and not the cancellation, and its buffer stays in
        ``receive_buffer`` for as long as the process lives: 284 of 3,000 visitors arriving
        and leaving left one (about 1.5 KiB each, found with tracemalloc).
        """
        try:
            return await super().receive(channel)
        except asyncio.CancelledError:
            # Nobody receives on this channel again: a consumer is cancelled when it ends.
            if "!" in channel:
                self.receive_buffer.pop(channel, None)
            raise

    def create_pool(self, index: int):
        host = dict(self.hosts[index])
        if "master_name" in host:
            return redis_sentinel.async_pool(**{**self.pool_options, **host})
        options = {**self.pool_options, **host}
        address = options.pop("address", None)
        if address is not None:
            return BlockingConnectionPool.from_url(address, **options)
        return BlockingConnectionPool(**options)
