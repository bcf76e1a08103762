"""The bot that serves, built from its stored profile and rebuilt when staff edit it.

Each process keeps one built bot (its knowledge index is costly to build) and
asks the database for the profile's revision before using it: an edit made in
admin reaches every worker process on the next question, with no restart.
"""

from __future__ import annotations

import threading

from django.utils.module_loading import import_string

from . import conf, meaning, selectors, services
from .base import Bot

_lock = threading.Lock()
_built: dict[str, tuple[int, Bot]] = {}


def bot_class() -> type[Bot]:
    return import_string(conf.get("CHAT_BOT"))


def get_bot() -> Bot:
    """The configured bot, current with the latest edit of its profile. Call from sync code."""
    cls = bot_class()
    revision = selectors.profile_revision(slug=cls.slug)
    if revision is None:
        revision = services.profile_get_or_create(bot_class=cls).revision
    return _current(cls, revision)


def answering_bot() -> Bot | None:
    """The configured bot if it answers visitors now (staff may switch it off), current
    with the latest edit of its profile: one small query on the hot path of every question."""
    cls = bot_class()
    state = selectors.profile_revision_and_online(slug=cls.slug)
    if state is None:
        return get_bot()  # never stored yet: made now, answering by default
    revision, online = state
    return _current(cls, revision) if online else None


def _current(cls: type[Bot], revision: int) -> Bot:
    key = f"{cls.__module__}.{cls.__qualname__}"
    built = _built.get(key)
    if built is not None and built[0] == revision:
        return built[1]
    with _lock:
        built = _built.get(key)
        if built is None or built[0] != revision:
            profile = selectors.profile_data(slug=cls.slug)
            built = (profile.revision, cls.from_profile(profile, semantics=meaning.semantics()))
            _built[key] = built
    return built[1]


def reset() -> None:
    """Forget built bots (tests switch the database under them)."""
    with _lock:
        _built.clear()
