"""App settings with defaults, read when needed (never at import time).

Override any of them in the project settings, e.g. ``CHAT_RETENTION_DAYS = 90``.
"""

from typing import Any

from django.conf import settings

DEFAULTS = {
    # Days a conversation is kept after its last activity; then it goes, with its messages,
    # its rating, its left messages and everything else tied to it (privacy.services).
    # None: kept until staff erase it. The environment's CHAT_RETENTION_DAYS sets it.
    "CHAT_RETENTION_DAYS": None,
    # Rows deleted per transaction by the purge: each batch holds its locks for a moment,
    # so the chat goes on writing while 100,000 conversations go.
    "CHAT_PURGE_BATCH_SIZE": 200,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
