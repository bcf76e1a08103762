"""App settings with defaults, read when needed (never at import time)."""

from django.conf import settings

from .matching import DEFAULT_MIN_SCORE

DEFAULTS = {
    # Dotted path to the bots.base.Bot subclass that answers visitors.
    "CHAT_BOT": "bots.agents.AgentCase",
    # Below this share of a question's weight covered by an entry, the question
    # is not taken to be about that entry (see bots.matching).
    "BOT_MIN_SCORE": DEFAULT_MIN_SCORE,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
