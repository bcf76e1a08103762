"""Writes of the console's own: the team's canned responses, and how far each agent has seen
each conversation."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import selectors as chat_selectors
from chat import services as chat_services

from .models import CannedResponse, SeenConversation

SHORTCUT_TAKEN = "Another canned response has this shortcut."


def canned_response_create(*, shortcut: str, title: str, text: str) -> CannedResponse:
    """A new canned response for the whole team; ValidationError (by field) if it is not
    valid, with nothing stored."""
    response = CannedResponse(shortcut=shortcut, title=title, text=text)
    return _save(response)


def canned_response_update(
    *, response: CannedResponse, shortcut: str, title: str, text: str
) -> CannedResponse:
    """Change a canned response; ValidationError (by field) if the change is not valid, and
    the stored one stays as it was."""
    response.shortcut, response.title, response.text = shortcut, title, text
    return _save(response)


def canned_response_delete(*, response: CannedResponse) -> None:
    response.delete()


def _save(response: CannedResponse) -> CannedResponse:
    response.full_clean()
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        # Another agent saved the same shortcut between the check and the save.
        raise ValidationError({"shortcut": [SHORTCUT_TAKEN]}) from None
    return response


def conversation_seen(
    *, user: AbstractBaseUser, conversation_id: int, visitor_messages: int | None = None
) -> int:
    """The console showed ``user`` the conversation up to its visitor's ``visitor_messages``-th
    message (all they wrote, when None). It only moves forward, and never past what the
    visitor wrote. How far it is seen now; ConversationNotFound if there is no such
    conversation."""
    written = chat_selectors.conversation_visitor_messages(conversation_id=conversation_id)
    if written is None:
        raise chat_services.ConversationNotFound("There is no such conversation.")
    seen = written if visitor_messages is None else min(visitor_messages, written)
    rows = SeenConversation.objects.filter(user=user, conversation_id=conversation_id)
    if rows.filter(visitor_messages__lt=seen).update(visitor_messages=seen, seen_at=timezone.now()):
        return seen
    if not rows.exists():
        try:
            with transaction.atomic():
                SeenConversation.objects.create(
                    user=user, conversation_id=conversation_id, visitor_messages=seen
                )
        except IntegrityError:
            # Another console of the agent's recorded it at the same moment.
            rows.filter(visitor_messages__lt=seen).update(
                visitor_messages=seen, seen_at=timezone.now()
            )
    return max(seen, rows.values_list("visitor_messages", flat=True).first() or 0)
