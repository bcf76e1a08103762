"""Staff presence: the consoles (and bot apps' clients) that are open, whether an agent
accepts chats, and telling everyone when that changes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.utils import timezone

from .. import conf, events, selectors
from ..models import AgentClient, AgentStatus

logger = logging.getLogger(__name__)


def agent_client_renew(*, user: AbstractBaseUser, key: str) -> AgentClient:
    """Register or renew one console of ``user``: the agent is
    present until it expires, ``CHAT_PRESENCE_EXPIRES_IN`` seconds from now.

    Every renewal also sweeps away consoles that expired without closing (a
    crashed browser, a lost network): the others are told they are gone.
    """
    was_present = user.pk in selectors.present_agent_ids()
    client, swept = client_save(user=user, key=key, expires_in=conf.get("CHAT_PRESENCE_EXPIRES_IN"))
    AgentStatus.objects.get_or_create(user=user)
    if not was_present or swept:
        presence_publish()
    return client


def client_save(*, user: AbstractBaseUser, key: str, expires_in: int) -> tuple[AgentClient, int]:
    """Register or renew a user client until ``expires_in`` seconds from now, sweeping
    expired ones of anybody on the way; the client, and how many were swept."""
    expires_at = timezone.now() + timedelta(seconds=expires_in)
    swept = _expired_consoles_delete(keep=key)
    client, _ = AgentClient.objects.update_or_create(
        key=key, defaults={"user": user, "expires_at": expires_at}
    )
    return client, swept


def agent_client_remove(*, key: str) -> None:
    """A console closed: its agent is absent once no other console of theirs is open."""
    AgentClient.objects.filter(key=key).delete()
    _expired_consoles_delete()
    presence_publish()


def agent_clients_sweep() -> int:
    """Remove consoles that expired without closing (the process that served them died,
    say), telling consoles and chat boxes if any were; how many were removed."""
    swept = _expired_consoles_delete()
    if swept:
        presence_publish()
    return swept


def _expired_consoles_delete(*, keep: str | None = None) -> int:
    expired = AgentClient.objects.filter(expires_at__lte=timezone.now())
    if keep is not None:
        expired = expired.exclude(key=keep)
    deleted, _ = expired.delete()
    return deleted


def agent_accepting_set(*, user: AbstractBaseUser, accepting: bool) -> None:
    """Whether the agent accepts chats: a present agent who does makes the chat online."""
    AgentStatus.objects.update_or_create(user=user, defaults={"accepting_chats": accepting})
    presence_publish()


def presence_publish() -> None:
    """Tell consoles who is present and every visitor whether the chat is online:
    after presence changes, and after staff switch the bot on or off."""
    events.publish(events.PresenceChanged())


# How long a process remembers that the hours' opening or closing at a moment was announced:
# longer than any worker's clock could lag behind.
HOURS_TURNED_KEEP_SECONDS = 60 * 60


def business_hours_turned(*, at: datetime) -> bool:
    """The business hours opened or closed at ``at``: tell consoles and every visitor (chat
    boxes show the away text, or stop), once, whichever process's clock noticed first
    (chat.presence). Whether this call told them."""
    key = f"chat:hours-turned:{at.timestamp():.0f}"
    try:
        first = cache.add(key, True, HOURS_TURNED_KEEP_SECONDS)
    except Exception as error:
        # Told twice is better than not at all: a visitor would see "online" until a change.
        logger.warning("Announcing the business hours without the cache: %s", error)
        first = True
    if first:
        presence_publish()
    return first
