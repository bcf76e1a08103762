"""Per-connection rate limit of the chat sockets (visitor and staff alike).

Each connection may send ``CHAT_RATE_LIMIT`` frames (the notation of the ``limits``
library, e.g. "30/10seconds") in any moving window; beyond that, a frame is refused
unread with a "rate_limited" error naming its client_id and when to send again. The
connection stays open and usable; a refused message was not accepted, so the page
keeps it and sends it again later. A connection lives in one process, so its count
is kept in that process's memory.
"""

from __future__ import annotations

import math
import time
from functools import cache
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from . import conf, protocol


@cache
def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(MemoryStorage())


@cache
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


def _limit() -> RateLimitItem:
    return _item(conf.get("CHAT_RATE_LIMIT"))


def allow(connection: str) -> bool:
    """Count one frame of ``connection``; False if it is over its limit."""
    return _limiter().hit(_limit(), connection)


def retry_after(connection: str) -> int:
    """Whole seconds until ``connection`` may send again."""
    stats = _limiter().get_window_stats(_limit(), connection)
    return max(1, math.ceil(stats.reset_time - time.time()))


def refusal(connection: str, raw: str | bytes | None) -> dict[str, Any]:
    """The error frame for a refused frame, naming its client_id if it has a readable one."""
    seconds = retry_after(connection)
    frame = protocol.error_frame(
        "rate_limited",
        f"You are sending messages too fast. Wait {seconds} s, then send again.",
        client_id=protocol.client_id_of(raw, max_frame_length=conf.get("CHAT_MAX_FRAME_LENGTH")),
    )
    return {**frame, "retry_after": seconds}


def forget(connection: str) -> None:
    """Drop a closed connection's count."""
    _limiter().clear(_limit(), connection)
