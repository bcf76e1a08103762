"""Presence kept true when nobody closes anything: each worker process sweeps expired
consoles every third of ``CHAT_PRESENCE_EXPIRES_IN``, and tells everyone when the business
hours open or close.

A console that closes, or that the server stops hearing from (Daphne pings every
socket and drops those that do not answer), removes itself. A console whose whole
process died cannot: its record only expires. Without a sweep, open chat boxes would
go on showing "online" until someone's console renewed. Every process sweeps; the
database's DELETE decides which of them announces the change, once. Each sweep also gives
waiting conversations to agents with room (auto-assignment), in case what should have
done so failed or died with its process.

Nobody changes anything when the business hours open or close: the clock does. Each process
sleeps until the next opening or closing (or HOURS_RECHECK_SECONDS, to see hours staff
changed), and the first to wake announces it (services.business_hours_turned): open chat
boxes show the away text, or stop, on the second.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from channels.db import database_sync_to_async
from django.utils import timezone

from . import conf, selectors, services

logger = logging.getLogger(__name__)

#: The longest the clock sleeps without looking at the business hours again.
HOURS_RECHECK_SECONDS = 60

_sweeper: asyncio.Task | None = None
_clock: asyncio.Task | None = None


def ensure_sweeping() -> None:
    """Start this process's sweeper and clock on the running event loop, unless they run
    already."""
    global _sweeper, _clock
    loop = asyncio.get_running_loop()
    if _sweeper is None or _sweeper.done() or _sweeper.get_loop() is not loop:
        _sweeper = loop.create_task(_sweep_forever(), name="chat-presence-sweeper")
    if _clock is None or _clock.done() or _clock.get_loop() is not loop:
        _clock = loop.create_task(_follow_hours_forever(), name="chat-business-hours-clock")


async def _sweep_forever() -> None:
    while True:
        await asyncio.sleep(max(1, conf.get("CHAT_PRESENCE_EXPIRES_IN") / 3))
        try:
            await database_sync_to_async(services.agent_clients_sweep)()
        except Exception:
            # A database or channel layer outage must not end the sweeping for good.
            logger.exception("Could not sweep expired staff consoles")
        try:
            await database_sync_to_async(services.conversations_assign)()
        except Exception:
            logger.exception("Could not assign waiting conversations")


async def _follow_hours_forever() -> None:
    # Looking from the last look (or the last opening or closing told) on, rather than from
    # now: an opening or closing that staff's edit of the hours put between two looks, or
    # that passed while the process was busy, is told late rather than never.
    since = timezone.now()
    while True:
        try:
            change, looked = await database_sync_to_async(hours_next)(since=since)
        except Exception:
            logger.exception("Could not read the business hours")
            await asyncio.sleep(HOURS_RECHECK_SECONDS)
            continue
        if change is None:
            since = looked
            await asyncio.sleep(HOURS_RECHECK_SECONDS)
            continue
        wait = (change - timezone.now()).total_seconds()
        if wait > 0:
            await asyncio.sleep(min(wait, HOURS_RECHECK_SECONDS))
            if timezone.now() < change:
                continue  # woken early, or to look again: the next look finds it again
        try:
            await database_sync_to_async(services.business_hours_turned)(at=change)
        except Exception:
            logger.exception("Could not announce the business hours opening or closing")
        since = change


def hours_next(*, since: datetime) -> tuple[datetime | None, datetime]:
    """The first time the business hours open or close after ``since``, up to
    HOURS_RECHECK_SECONDS from now (None: not before), and the moment it looked."""
    now = timezone.now()
    within = max(0.0, (now - since).total_seconds()) + HOURS_RECHECK_SECONDS
    return selectors.business_hours_next_change(within=within, now=since), now
