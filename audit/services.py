"""Writing the audit log: ``entry_record`` is the one way in, for the chat's events
(audit.subscribers) and for anything else that acts on visitors' data (the privacy app)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from .models import Entry

Action = Entry.Action


def entry_record(
    *,
    action: str,
    actor_user_id: int | None = None,
    conversation_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> Entry:
    """Add one entry: ``action`` (an Entry.Action) by the user ``actor_user_id`` (None: the
    site itself), on the conversation ``conversation_id`` if it was one. The user's name is
    kept as it is now, so that the entry still says who after the user is renamed or gone."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    return Entry.objects.create(
        action=action,
        actor_user_id=actor_user_id,
        actor_name=user_name(actor_user_id),
        conversation_id=conversation_id,
        detail=detail or {},
    )


def user_name(user_id: int | None) -> str:
    """The user's name (USERNAME_FIELD) as it is now; empty for None or a user that is gone."""
    if user_id is None:
        return ""
    User = get_user_model()
    name = User.objects.filter(pk=user_id).values_list(User.USERNAME_FIELD, flat=True).first()
    return name or ""
