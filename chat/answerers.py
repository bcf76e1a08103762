"""Who else answers visitors besides the staff and the site's bot.

An app that brings its own answerers (the bot apps of ``botapps``) registers them from its
``ready()``; the chat asks without knowing what they are. Their users take part as agents
do: they hold conversations, write as agents and have presence (``AgentClient``). They are
not staff, though: a client of theirs is no open console, people may take conversations
over from them, and while one of them is online, so is the chat.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet


class Answerers(Protocol):
    def users(self) -> QuerySet:
        """Their users' ids, as a query the chat uses as a subquery (``values("user_id")``)."""

    def online(self, *, conversation_id: int | None = None) -> bool:
        """Whether one of them answers now; of those a conversation was offered to, if one
        is given."""


_registered: list[Answerers] = []


def register(answerers: Answerers) -> None:
    """Add answerers from an app's ``ready()``; registering them twice changes nothing."""
    if answerers not in _registered:
        _registered.append(answerers)


def users_q(field: str) -> Q:
    """Rows whose ``field`` is an answerer's user; with no answerers, none."""
    if not _registered:
        return Q(**{f"{field}__in": []})
    query = Q()
    for answerers in _registered:
        query |= Q(**{f"{field}__in": answerers.users()})
    return query


def is_answerer(user_id: int) -> bool:
    return bool(_registered) and get_user_model().objects.filter(users_q("pk"), pk=user_id).exists()


def online(*, conversation_id: int | None = None) -> bool:
    return any(a.online(conversation_id=conversation_id) for a in _registered)
