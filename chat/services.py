"""Writes of the chat: every change to conversations and messages happens here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from bots.base import ReplyKind
from bots.loading import get_bot
from bots.services import unanswered_question_record

from . import protocol, realtime, selectors
from .models import Conversation, Message

logger = logging.getLogger(__name__)

VISITOR_NAME = "Visitor"


@dataclass(frozen=True)
class VisitorPost:
    message: Message
    duplicate: bool


def conversation_open(
    *, session_key: str, page: str = "", product_id: int | None = None
) -> Conversation:
    """The visitor's open conversation; a new one starts with the bot's greeting.

    Either way it records the page the visitor opened the chat on.
    """
    product_id = selectors.product_id_if_exists(product_id=product_id)
    conversation = _open_conversation(session_key)
    if conversation is not None:
        Conversation.objects.filter(pk=conversation.pk).update(
            current_page=page, current_product_id=product_id
        )
        return conversation
    bot = get_bot()
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                session_key=session_key, current_page=page, current_product_id=product_id
            )
            _message_create(
                conversation_id=conversation.pk,
                role=Message.Role.BOT,
                name=bot.name,
                title=bot.title,
                text=bot.greeting(),
            )
    except IntegrityError:
        # Another tab of the same visitor opened it a moment ago.
        return _open_conversation(session_key)
    return conversation


def visitor_message_post(
    *,
    conversation_id: int,
    text: str,
    client_id: str | None,
    channel_name: str,
    page: str = "",
    product_id: int | None = None,
) -> VisitorPost:
    """Store a visitor's message and the bot's reply, and show both.

    A resend of a message already stored (same client_id) stores and answers
    nothing: the sending connection alone gets the stored message again as
    its acknowledgement.
    """
    try:
        with transaction.atomic():
            message = _message_create(
                conversation_id=conversation_id,
                role=Message.Role.VISITOR,
                name=VISITOR_NAME,
                text=text,
                client_id=client_id,
            )
    except IntegrityError:
        if client_id is None:
            raise
        message = Message.objects.get(conversation_id=conversation_id, client_id=client_id)
        realtime.send_to_connection(channel_name, protocol.message_frame(message))
        return VisitorPost(message=message, duplicate=True)

    bot_reply_post(
        conversation_id=conversation_id,
        question=message.text,
        channel_name=channel_name,
        page=page,
        product_id=product_id,
    )
    return VisitorPost(message=message, duplicate=False)


def bot_reply_post(
    *,
    conversation_id: int,
    question: str,
    channel_name: str,
    page: str = "",
    product_id: int | None = None,
) -> Message | None:
    """Ask the bot and store its answer. A failing bot loses no visitor message.

    A question the bot could not answer is recorded for staff to answer.
    """
    try:
        bot = get_bot()
        reply = bot.respond(
            question, context=selectors.page_context(page=page, product_id=product_id)
        )
    except Exception:
        logger.exception("The bot failed to answer in conversation %s", conversation_id)
        realtime.send_to_connection(
            channel_name,
            protocol.error_frame(
                "bot_unavailable",
                "Your message is saved, but the assistant could not answer just now.",
            ),
        )
        return None
    answer = _message_create(
        conversation_id=conversation_id,
        role=Message.Role.BOT,
        name=bot.name,
        title=bot.title,
        text=reply.text,
    )
    if reply.kind is ReplyKind.FALLBACK:
        try:
            unanswered_question_record(agent_slug=bot.slug, text=question, page=page)
        except Exception:
            # Staff's list of unanswered questions must never cost the visitor the reply.
            logger.exception("Could not record an unanswered question")
    return answer


def _open_conversation(session_key: str) -> Conversation | None:
    return Conversation.objects.filter(session_key=session_key, closed_at__isnull=True).first()


def _message_create(
    *,
    role: str,
    name: str,
    text: str,
    title: str = "",
    conversation_id: int,
    client_id: str | None = None,
) -> Message:
    now = timezone.now()
    message = Message.objects.create(
        conversation_id=conversation_id,
        sender_role=role,
        sender_name=name,
        sender_title=title,
        text=text,
        client_id=client_id,
        sent_at=now,
    )
    Conversation.objects.filter(pk=conversation_id).update(last_message_at=now)
    realtime.publish_message(message)
    return message
