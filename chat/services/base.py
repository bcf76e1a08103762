"""What the chat's services share: their refusals, the names the chat writes as, and the
few steps every change takes (finding the conversation, storing a message, the notice).

Who answers a conversation is its ``state``: the bot, nobody yet (waiting for a person), one
agent, or nobody ever again (closed). Every change of state is a conditional UPDATE, so two
agents racing for one conversation are decided by the database, in whichever process they
are served.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import events, selectors
from ..models import Conversation, Message

# The names the chat writes under, beside the bot's and the agents' own. The visitor's
# name is stored in their language (chat boxes show it); the chat's own is the same word in
# every language the site has, and chat boxes do not show it.
VISITOR_NAME = gettext_lazy("Visitor")
SYSTEM_NAME = "Chat"
NOBODY_AVAILABLE = gettext_lazy(
    "Nobody from the team is available to chat right now. Leave your email and "
    "a message, and we will get back to you."
)
NOT_YOURS_TO_WRITE = "Take this conversation before writing in it."

State = Conversation.State
TAKEABLE = (State.BOT, State.WAITING)


class ChatActionError(Exception):
    """An agent's (or a visitor's) request that cannot be carried out; ``code`` and the
    message say why."""

    code = "not_allowed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConversationTaken(ChatActionError):
    code = "taken"


class NotYourConversation(ChatActionError):
    code = "not_yours"


class ConversationNotFound(ChatActionError):
    code = "not_found"


class AgentUnavailable(ChatActionError):
    code = "agent_unavailable"


class ConversationNotOpen(ChatActionError):
    """The conversation is closed: nobody can take it any more."""

    code = "closed"


class IdempotencyConflict(ChatActionError):
    code = "idempotency_conflict"


class MessageNotFound(ChatActionError):
    """The visitor named a message that is not one of their conversation's."""

    code = "unknown_message"


class ConversationNotClosed(ChatActionError):
    """The visitor rated a chat that is still going on."""

    code = "not_closed"


class AlreadyRated(ChatActionError):
    code = "already_rated"


class LabelNotFound(ChatActionError):
    code = "unknown_label"


class ConversationClosed(Exception):
    """The visitor wrote to a conversation staff have closed."""


@dataclass(frozen=True)
class VisitorPost:
    """A message as stored, and what its sender's connection shows for it.

    ``reply`` is the bot's answer to a visitor's message, if it gave one;
    ``bot_failed`` says the bot could not answer (the message is kept all the same).
    The sending connection shows these itself: they are not broadcast back to it.
    """

    message: Message
    duplicate: bool
    reply: Message | None = None
    bot_failed: bool = False


def _conversation_or_error(conversation_id: int) -> Conversation:
    conversation = selectors.conversation_get(conversation_id=conversation_id)
    if conversation is None:
        raise ConversationNotFound("There is no such conversation.")
    return conversation


def _refusal(conversation_id: int, because: ChatActionError) -> ChatActionError:
    """Why a change the conversation refused did not happen: that there is no such
    conversation, or that it is closed, else ``because``."""
    if _conversation_or_error(conversation_id).state == State.CLOSED:
        return ConversationNotOpen("This conversation is closed.")
    return because


def _visitor_language(conversation_id: int) -> translation.override:
    """Speak the language of the conversation's visitor (Conversation.language) while making
    what is stored for them. Staff's actions make notices in staff's requests, which are in
    the site's language, and a batch of questions answers visitors of several languages."""
    return translation.override(selectors.conversation_language(conversation_id=conversation_id))


def _nobody_there_text() -> str:
    """What the visitor reads when nobody can chat with them, in the active language
    (``_visitor_language``): outside business hours the away text, else NOBODY_AVAILABLE."""
    return selectors.away_text() if selectors.out_of_hours() else str(NOBODY_AVAILABLE)


def _agent_joined_publish(
    conversation_id: int, user: AbstractBaseUser, *, assigned: bool = False
) -> None:
    """Announce that ``user`` is answering the conversation now (they took it, or were given
    it): the visitor reads who joined, consoles and bot apps hear it was taken."""
    identity = selectors.agent_identity(user)
    with _visitor_language(conversation_id):
        notice = _("%(name)s (%(title)s) joined and is answering now.") % identity
    events.publish(
        _system_message(conversation_id, notice),
        events.ConversationTaken(conversation_id, agent_id=user.pk, assigned=assigned),
    )


def _system_message(conversation_id: int, text: str) -> events.MessagesCreated:
    """Store the chat's own notice to the visitor ("Anna joined"), written in their language
    (``_visitor_language``); its event, to announce with the rest of the change."""
    message = _message_create(
        conversation_id=conversation_id, role=Message.Role.SYSTEM, name=SYSTEM_NAME, text=text
    )
    return events.MessagesCreated((message,))


def _message_create(
    *,
    role: str,
    name: str,
    text: str,
    title: str = "",
    conversation_id: int,
    client_id: str | None = None,
    sender_user: AbstractBaseUser | None = None,
    attachments: list[dict] | None = None,
) -> Message:
    """Store a message and move the conversation's last activity to it; the caller
    announces it."""
    now = timezone.now()
    message = Message.objects.create(
        conversation_id=conversation_id,
        sender_role=role,
        sender_name=name,
        sender_title=title,
        sender_user=sender_user,
        text=text,
        attachments=attachments or [],
        client_id=client_id,
        sent_at=now,
    )
    Conversation.objects.filter(pk=conversation_id).update(last_message_at=now)
    return message
