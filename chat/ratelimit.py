"""Rate limits of the chat: per socket, in the socket's own memory
(:class:`ConnectionRateLimit`); per visitor or per address, in the cache that every worker
shares (:class:`WindowLimit`).

The sockets' limit, visitor and staff alike: a connection may send
``CHAT_RATE_LIMIT_MESSAGES`` frames in a burst, refilled at that
many per ``CHAT_RATE_LIMIT_SECONDS`` (a leaky bucket, aiolimiter's). Beyond that, a
frame is refused unread with a "rate_limited" error naming its client_id and when to
send again. The connection stays open and usable; a refused message was not accepted,
so the page keeps it and sends it again later. The bucket belongs to the connection:
nothing is shared between connections and nothing outlives them.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from django.core.cache import cache
from django.utils.translation import gettext as _

from . import conf, protocol


class ConnectionRateLimit:
    def __init__(self) -> None:
        self.messages = conf.get("CHAT_RATE_LIMIT_MESSAGES")
        self.seconds = conf.get("CHAT_RATE_LIMIT_SECONDS")
        self._bucket = AsyncLimiter(self.messages, self.seconds)

    async def allow(self) -> bool:
        """Count one frame; False (counting nothing) if the connection is over its limit."""
        if not self._bucket.has_capacity():
            return False
        await self._bucket.acquire()  # immediate: there is capacity
        return True

    def refusal(self, raw: str | bytes | None) -> dict[str, Any]:
        """The error frame for a refused frame, naming its client_id if it has a readable one."""
        # The bucket leaks one frame's room this often.
        seconds = max(1, math.ceil(self.seconds / self.messages))
        frame = protocol.error_frame(
            "rate_limited",
            _("You are sending messages too fast. Wait %(seconds)d s, then send again.")
            % {"seconds": seconds},
            client_id=protocol.client_id_of(
                raw, max_frame_length=conf.get("CHAT_MAX_FRAME_LENGTH")
            ),
        )
        return {**frame, "retry_after": seconds}


@dataclass(frozen=True)
class Taken:
    """One use counted by a :class:`WindowLimit`, to give back if it did not happen."""

    key: str


@dataclass(frozen=True)
class Refused:
    """Over the limit: nothing counted; the window ends in ``retry_after`` seconds."""

    retry_after: int


class WindowLimit:
    """At most ``limit`` uses of one thing (a visitor's transcripts, an address's) in each
    window of ``seconds``, counted in Django's cache: shared by every worker through Redis,
    and atomic there (INCR) and in the local-memory cache (its lock), so two requests at once
    never both take the last use.

    Windows are fixed, the same for everyone (hours from the hour, days from midnight UTC): one
    counter a thing and window, no timer, and Retry-After is the time to the window's end.
    Things are named in the cache by a hash, so no address is stored there.
    """

    def __init__(self, scope: str, *, limit: int, seconds: int) -> None:
        self.scope = scope
        self.limit = limit
        self.seconds = seconds

    def take(self, thing: str) -> Taken | Refused:
        now = time.time()
        window = int(now // self.seconds)
        ends_in = math.ceil((window + 1) * self.seconds - now)
        digest = hashlib.sha256(thing.encode()).hexdigest()[:32]
        key = f"chat:limit:{self.scope}:{digest}:{window}"
        # Kept a second past the window, so it does not expire between add and incr.
        cache.add(key, 0, timeout=ends_in + 1)
        try:
            count = cache.incr(key)
        except ValueError:
            # Gone all the same (a cache that keeps nothing, or one that evicted it under
            # memory pressure): counted afresh.
            count = 1 if cache.add(key, 1, timeout=ends_in + 1) else cache.incr(key)
        if count > self.limit:
            self._release(key)
            return Refused(retry_after=max(1, ends_in))
        return Taken(key)

    def give_back(self, taken: Taken) -> None:
        """Uncount a use that did not happen (the email could not be sent)."""
        self._release(taken.key)

    @staticmethod
    def _release(key: str) -> None:
        # A key already gone went with its window, and the count with it.
        with contextlib.suppress(ValueError):
            cache.decr(key)
