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
    # Where the bot reads the product on the visitor's page: the dotted path of a class
    # (chat.catalog explains it). Empty: the site has no shop, and the bot answers from its
    # knowledge alone.
    "CHAT_CATALOG": "",
    # Whether the bot's replies play the new-message sound while the box is closed or the
    # tab hidden; a person's always do. Visitors can mute both.
    "CHAT_SOUND_BOT_REPLIES": False,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
