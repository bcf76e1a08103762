"""Private notes: what staff write in a conversation for each other, never for the visitor.

A note is stored apart from the messages (chat.models.Note) and announced as a NoteCreated
event, which only the staff's side of the real-time delivery shows (chat.realtime).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from .. import events, selectors
from ..models import Conversation, Note
from .base import ChatActionError, ConversationNotFound, IdempotencyConflict


class NotStaff(ChatActionError):
    """Only staff who may chat with visitors read and write notes."""

    code = "forbidden"


@dataclass(frozen=True)
class NotePost:
    """A note as stored; ``duplicate`` when a resend found it stored already (nothing was
    announced again: the sending console shows it as its acknowledgement)."""

    note: Note
    duplicate: bool


def note_create(
    *, conversation_id: int, user: AbstractBaseUser, text: str, client_id: str | None = None
) -> NotePost:
    """Store a private note of ``user`` in the conversation, whoever answers it and whatever
    its state (a closed chat may still need a word for the team), and show it to the staff
    who have the conversation open.

    A resend under the same client_id stores nothing; another text under a client_id already
    used raises IdempotencyConflict.
    """
    if not selectors.user_can_chat(user):
        raise NotStaff("Only staff who may chat with visitors write notes.")
    stored = _resend(conversation_id=conversation_id, client_id=client_id)
    if stored is not None:
        return _duplicate(stored, text=text)
    if not Conversation.objects.filter(pk=conversation_id).exists():
        raise ConversationNotFound("There is no such conversation.")
    try:
        with transaction.atomic():
            note = Note.objects.create(
                conversation_id=conversation_id,
                author=user,
                author_name=selectors.agent_identity(user)["name"],
                text=text,
                client_id=client_id,
            )
            events.publish(events.NoteCreated(note))
    except IntegrityError:
        # The same note, sent twice at once.
        stored = _resend(conversation_id=conversation_id, client_id=client_id)
        if stored is None:
            raise
        return _duplicate(stored, text=text)
    return NotePost(note=note, duplicate=False)


def _resend(*, conversation_id: int, client_id: str | None) -> Note | None:
    if client_id is None:
        return None
    return Note.objects.filter(conversation_id=conversation_id, client_id=client_id).first()


def _duplicate(note: Note, *, text: str) -> NotePost:
    if note.text != text:
        raise IdempotencyConflict(
            "This client_id was used for a different note: send the note with a new one."
        )
    return NotePost(note=note, duplicate=True)
