"""What agents (and bot apps' bot users) write to visitors, and who is typing."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from .. import events, protocol, selectors
from ..models import Conversation, Message, Suggestion
from .base import (
    NOT_YOURS_TO_WRITE,
    ChatActionError,
    ConversationNotFound,
    ConversationNotOpen,
    IdempotencyConflict,
    NotYourConversation,
    State,
    VisitorPost,
    _message_create,
    _refusal,
)


def visitor_typing(*, conversation_id: int, active: bool) -> None:
    events.publish(
        events.Typing(conversation_id, to_staff=True, frame=protocol.typing_frame(active=active))
    )


def agent_message_post(
    *,
    conversation_id: int,
    user: AbstractBaseUser,
    text: str,
    client_id: str | None = None,
    suggestion: str | None = None,
    attachments: list[dict] | None = None,
) -> VisitorPost:
    """Store an agent's (or a bot app's) message to the visitor, in a conversation that
    is theirs.

    ``suggestion`` names the bot suggestion it sends (as written or edited);
    a suggestion is sent once. A resend (same client_id) stores nothing; a different
    message under a client_id already used raises IdempotencyConflict.
    """
    attachments = attachments or []
    identity = selectors.agent_identity(user)
    try:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update().filter(pk=conversation_id).first()
            )
            if conversation is None:
                raise ConversationNotFound("There is no such conversation.")
            stored = _agent_resend(conversation_id=conversation_id, client_id=client_id)
            if stored is not None:
                # Already stored (the answer was lost, say): acknowledged even if the
                # conversation has been handed on since, so the console does not resend.
                return _agent_duplicate(stored, text=text, attachments=attachments)
            if conversation.state == State.CLOSED:
                raise ConversationNotOpen("This conversation is closed.")
            if conversation.state != State.AGENT or conversation.assigned_agent_id != user.pk:
                raise NotYourConversation(NOT_YOURS_TO_WRITE)
            message = _message_create(
                conversation_id=conversation_id,
                role=Message.Role.AGENT,
                name=identity["name"],
                title=identity["title"],
                text=text,
                client_id=client_id,
                sender_user=user,
                attachments=attachments,
            )
            events.publish(events.MessagesCreated((message,)))
            if suggestion is not None:
                Suggestion.objects.filter(
                    conversation_id=conversation_id, uid=suggestion, sent_message__isnull=True
                ).update(sent_message=message)
    except IntegrityError:
        # The same message, sent twice at once (SQLite does not lock rows).
        stored = _agent_resend(conversation_id=conversation_id, client_id=client_id)
        if stored is None:
            raise ChatActionError(
                "This client_id is taken by another message of the conversation: "
                "send the message with a new one."
            ) from None
        return _agent_duplicate(stored, text=text, attachments=attachments)
    return VisitorPost(message=message, duplicate=False)


def _agent_resend(*, conversation_id: int, client_id: str | None) -> Message | None:
    if client_id is None:
        return None
    return Message.objects.filter(
        conversation_id=conversation_id, client_id=client_id, sender_role=Message.Role.AGENT
    ).first()


def _agent_duplicate(message: Message, *, text: str, attachments: list[dict]) -> VisitorPost:
    if message.text != text or message.attachments != attachments:
        raise IdempotencyConflict(
            "This idempotency key was used for a different message: send a new message "
            "with a new key."
        )
    # The sending console shows it again as its acknowledgement: nobody else needs it.
    return VisitorPost(message=message, duplicate=True)


def agent_typing(*, conversation_id: int, user: AbstractBaseUser, active: bool) -> None:
    """Show the visitor that their agent types; only the conversation's own agent does."""
    if not Conversation.objects.filter(
        pk=conversation_id, state=State.AGENT, assigned_agent=user
    ).exists():
        raise _refusal(conversation_id, NotYourConversation(NOT_YOURS_TO_WRITE))
    sender = {"role": "agent", **selectors.agent_identity(user)}
    frame = protocol.typing_frame(active=active, sender=sender)
    events.publish(events.Typing(conversation_id, to_staff=False, frame=frame))
