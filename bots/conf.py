"""App settings with defaults, read when needed (never at import time)."""

from pathlib import Path

from django.conf import settings

from .matching import DEFAULT_MIN_SCORE

DEFAULTS = {
    # Dotted path to the bots.base.Bot subclass that answers visitors.
    "CHAT_BOT": "bots.agents.AgentCase",
    # Below this share of a question's weight covered by an entry, the question
    # is not taken to be about that entry (see bots.matching).
    "BOT_MIN_SCORE": DEFAULT_MIN_SCORE,
    # Whether the bot uses its semantic stage when the model is installed (bots.embedding).
    "BOT_SEMANTIC": True,
    # Where the model's ONNX file is built once; None: the settings module's default.
    "BOT_MODEL_CACHE_DIR": None,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def model_cache_dir() -> Path:
    """Where the sentence-embedding model's ONNX file is built (BOT_MODEL_CACHE_DIR)."""
    return Path(get("BOT_MODEL_CACHE_DIR") or Path(settings.BASE_DIR) / ".model-cache")
