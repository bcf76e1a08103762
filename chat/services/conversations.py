"""A visitor's conversation: opened (or found again) when their chat box connects,
its sockets counted, what they have read, and what they leave for staff when nobody can
chat."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from bots.loading import answering_bot

from .. import events, selectors
from ..events import Audience
from ..models import Conversation, LeftMessage, Message
from .base import ConversationNotFound, MessageNotFound


def conversation_open(
    *,
    session_key: str,
    page: str = "",
    product_id: int | None = None,
    language: str = "",
    start: bool = True,
) -> Conversation | None:
    """The visitor's open conversation, counting one more open socket on it; a new one
    starts with the bot's greeting (unless the bot is off, or only suggests in
    side-kick mode). With ``start`` false (a closed chat box listening for replies) none
    is started: None when the visitor has no open conversation.

    Either way it records the page the visitor opened the chat on, and the id of the
    product that page showed as the page gave it: the catalog is asked only when the product
    is needed, and one it does not have is shown as none. It records the visitor's
    ``language`` too (a code of LANGUAGES; empty keeps the one recorded): the chat writes to
    them in the language of the page they last opened it on, the greeting included.
    """
    # The socket reads the history after this: only consoles need to hear of it live.
    audience = Audience(other_tabs=False, staff=selectors.consoles_present())
    conversation = _open_conversation(session_key)
    if conversation is None and not start:
        return None
    if conversation is None:
        started = _conversation_start(
            session_key=session_key,
            page=page,
            product_id=product_id,
            language=language,
            audience=audience,
        )
        if started is not None:
            return started
        # Another tab of the same visitor started it a moment ago.
        conversation = _open_conversation(session_key)
        if conversation is None:
            raise ConversationNotFound("The visitor's conversation could not be opened.")
    Conversation.objects.filter(pk=conversation.pk).update(
        current_page=page,
        current_product_id=product_id,
        open_sockets=F("open_sockets") + 1,
        **({"language": language} if language else {}),
    )
    events.publish(events.ConversationUpdated(conversation.pk, audience))
    return conversation


def _open_conversation(session_key: str) -> Conversation | None:
    return Conversation.objects.filter(session_key=session_key, closed_at__isnull=True).first()


def _conversation_start(
    *, session_key: str, page: str, product_id: int | None, language: str, audience: Audience
) -> Conversation | None:
    """A new conversation with one open socket, greeted; None if the visitor has one already."""
    sidekick = selectors.sidekick_default()
    bot = None if sidekick else answering_bot()
    now = timezone.now()
    try:
        with transaction.atomic():
            # Started at the greeting, which is its last message too.
            conversation = Conversation.objects.create(
                session_key=session_key,
                current_page=page,
                current_product_id=product_id,
                language=language,
                sidekick=sidekick,
                open_sockets=1,
                created_at=now,
                last_message_at=now,
            )
            announced: list[events.Event] = [events.ConversationStarted(conversation.pk, audience)]
            if bot is not None:
                with translation.override(language or settings.LANGUAGE_CODE):
                    text = bot.greeting()
                greeting = Message.objects.create(
                    conversation_id=conversation.pk,
                    sender_role=Message.Role.BOT,
                    sender_name=bot.name,
                    sender_title=bot.title,
                    text=text,
                    sent_at=now,
                )
                # What the visitor sees on opening is never unread.
                conversation.visitor_read_through = greeting
                conversation.save(update_fields=["visitor_read_through"])
                announced.append(events.MessagesCreated((greeting,), audience))
            events.publish(*announced)
    except IntegrityError:
        return None
    return conversation


def conversation_socket_close(*, conversation_id: int) -> None:
    """One of the visitor's sockets on the conversation closed."""
    Conversation.objects.filter(pk=conversation_id, open_sockets__gt=0).update(
        open_sockets=F("open_sockets") - 1
    )


def conversation_read_mark(
    *, conversation_id: int, through: str, channel_name: str | None = None
) -> bool:
    """The visitor has read their conversation up to the message ``through`` (its id, as
    frames carry it): whether that moved what they had read forward. Reading an older
    message changes nothing. ``channel_name``, the reading socket, shows it itself.

    Raises MessageNotFound when ``through`` is no message of the conversation.
    """
    found = (
        Message.objects.filter(conversation_id=conversation_id, uid=through)
        .values_list("pk", "conversation__open_sockets")
        .first()
    )
    if found is None:
        raise MessageNotFound("There is no such message in this chat.")
    message_pk, open_sockets = found
    with transaction.atomic():
        # By the messages' order: ids grow as they are stored.
        moved = (
            Conversation.objects.filter(pk=conversation_id)
            .filter(Q(visitor_read_through__isnull=True) | Q(visitor_read_through__lt=message_pk))
            .update(visitor_read_through=message_pk)
        )
        if moved:
            audience = Audience(answered=channel_name, other_tabs=open_sockets > 1, staff=False)
            events.publish(events.VisitorRead(conversation_id, through=through, audience=audience))
    return bool(moved)


def left_message_create(
    *, name: str, email: str, text: str, session_key: str = "", page: str = ""
) -> LeftMessage:
    """Keep what a visitor left for staff while nobody could chat; the team hears of it."""
    conversation = _open_conversation(session_key) if session_key else None
    left = LeftMessage.objects.create(
        name=name,
        email=email,
        text=text,
        session_key=session_key,
        conversation=conversation,
        page=page,
    )
    events.publish(events.LeftMessageCreated(left))
    return left
