"""App settings with defaults, read when needed (never at import time).

Override any of them in the project settings, e.g. ``CHAT_MAX_MESSAGE_LENGTH = 1000``.
"""

from typing import Any

from django.conf import settings

DEFAULTS = {
    # Longest message text a visitor may send, in characters.
    "CHAT_MAX_MESSAGE_LENGTH": 2000,
    # Longest frame the socket reads, in characters; longer frames are refused unread.
    "CHAT_MAX_FRAME_LENGTH": 16_000,
    # Most messages replayed to a page that (re)connects, newest kept.
    "CHAT_HISTORY_LIMIT": 500,
    # Seconds a staff console stays present without a heartbeat; consoles renew it every
    # third of that, so one lost heartbeat does not make an agent absent.
    "CHAT_PRESENCE_EXPIRES_IN": 60,
    # Frames one socket may send in a burst, refilled at that many per
    # CHAT_RATE_LIMIT_SECONDS: a person typing never comes near it, a script flooding
    # the chat does.
    "CHAT_RATE_LIMIT_MESSAGES": 30,
    "CHAT_RATE_LIMIT_SECONDS": 10,
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
    # Where the bot reads the product on the visitor's page: the dotted path of a class
    # (chat.catalog explains it). Empty: the site has no shop, and the bot answers from its
    # knowledge alone.
    "CHAT_CATALOG": "",
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
