"""Per-connection rate limit of the chat sockets (visitor and staff alike).

A connection may send ``CHAT_RATE_LIMIT_MESSAGES`` frames in a burst, refilled at that
many per ``CHAT_RATE_LIMIT_SECONDS`` (a leaky bucket, aiolimiter's). Beyond that, a
frame is refused unread with a "rate_limited" error naming its client_id and when to
send again. The connection stays open and usable; a refused message was not accepted,
so the page keeps it and sends it again later. The bucket belongs to the connection:
nothing is shared between connections and nothing outlives them.
"""

from __future__ import annotations

import math
from typing import Any

from aiolimiter import AsyncLimiter
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
