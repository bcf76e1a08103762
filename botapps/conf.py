"""App settings with defaults, read when needed (never at import time).

Override any of them in the project settings, e.g. ``CHAT_WEBHOOK_TIMEOUT = 10.0``. Their
names keep the ``CHAT_`` prefix they had when bot apps were part of the chat app.
"""

from typing import Any

from django.conf import settings

DEFAULTS = {
    # Seconds an access token given to a bot app in a webhook stays valid.
    "CHAT_API_TOKEN_EXPIRES_IN": 900,
    # Longest presence a bot app may ask for at once: a day, so a bot that died is seen
    # absent by the next day at the latest.
    "CHAT_API_MAX_PRESENCE_EXPIRES_IN": 86_400,
    # Webhook deliveries: attempts in all, the wait before the first retry (doubled
    # after each failure, up to the longest), and how long one POST may take.
    "CHAT_WEBHOOK_MAX_ATTEMPTS": 8,
    "CHAT_WEBHOOK_RETRY_DELAY": 1.0,
    "CHAT_WEBHOOK_MAX_RETRY_DELAY": 600.0,
    "CHAT_WEBHOOK_TIMEOUT": 5.0,
    # Whether this server process works off webhook deliveries itself (the settings
    # turn it on when there is no Redis for a separate worker to share).
    "CHAT_WEBHOOK_IN_PROCESS_WORKER": False,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
