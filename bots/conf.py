"""App settings with defaults, read when needed (never at import time)."""

from django.conf import settings

DEFAULTS = {
    # Dotted path to the bots.base.Bot subclass that answers visitors.
    "CHAT_BOT": "bots.agents.AgentCase",
    # Below this cosine similarity a question is not taken to be about an entry.
    "BOT_MIN_SCORE": 0.1,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
