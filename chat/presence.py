"""Presence kept true when nobody closes anything: each worker process sweeps expired
consoles every third of ``CHAT_PRESENCE_EXPIRES_IN``.

A console that closes, or that the server stops hearing from (Daphne pings every
socket and drops those that do not answer), removes itself. A console whose whole
process died cannot: its record only expires. Without a sweep, open chat boxes would
go on showing "online" until someone's console renewed. Every process sweeps; the
database's DELETE decides which of them announces the change, once.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async

from . import conf, services

logger = logging.getLogger(__name__)

_sweeper: asyncio.Task | None = None


def ensure_sweeping() -> None:
    """Start this process's sweeper on the running event loop, unless it runs already."""
    global _sweeper
    loop = asyncio.get_running_loop()
    if _sweeper is None or _sweeper.done() or _sweeper.get_loop() is not loop:
        _sweeper = loop.create_task(_sweep_forever(), name="chat-presence-sweeper")


async def _sweep_forever() -> None:
    while True:
        await asyncio.sleep(max(1, conf.get("CHAT_PRESENCE_EXPIRES_IN") / 3))
        try:
            await database_sync_to_async(services.agent_clients_sweep)()
        except Exception:
            # A database or channel layer outage must not end the sweeping for good.
            logger.exception("Could not sweep expired staff consoles")
