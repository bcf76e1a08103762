"""A visitor's questions and the bot's answers: stored and answered in batches, one
transaction for many visitors; the bot's misses, suggestions in side-kick mode, and the call
for a person when it cannot help."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone, translation

from bots.base import Bot, Reply, ReplyKind
from bots.loading import answering_bot, get_bot
from bots.services import unanswered_question_record

from .. import events, selectors
from ..events import Audience
from ..models import Conversation, Message, Suggestion
from .base import VISITOR_NAME, ConversationClosed, State, VisitorPost
from .handover import conversation_request_person

logger = logging.getLogger(__name__)


#: Questions in a row the bot may fail before it calls a person.
BOT_MISSES_BEFORE_HANDOFF = 2


@dataclass(frozen=True)
class VisitorQuestion:
    """A visitor's message as its socket received it."""

    conversation_id: int
    text: str
    client_id: str | None
    channel_name: str
    page: str = ""
    product_id: int | None = None
    # The value of the quick-reply button the visitor pressed (``text`` is its label).
    response_value: str | None = None
    # The language of the page asked from (chat.languages), which the answer is in; empty:
    # the conversation's (Conversation.language).
    language: str = ""


def visitor_message_post(
    *,
    conversation_id: int,
    text: str,
    client_id: str | None,
    channel_name: str,
    page: str = "",
    product_id: int | None = None,
    response_value: str | None = None,
    language: str = "",
) -> VisitorPost:
    """Store a visitor's message and have it answered by whoever answers now.

    See visitor_messages_post. Raises ConversationClosed (storing nothing) when staff
    have closed the conversation.
    """
    question = VisitorQuestion(
        conversation_id, text, client_id, channel_name, page, product_id, response_value, language
    )
    (result,) = visitor_messages_post([question])
    if isinstance(result, Exception):
        raise result
    return result


def visitor_messages_post(
    questions: Sequence[VisitorQuestion],
) -> list[VisitorPost | ConversationClosed]:
    """Store visitors' messages, each of its own conversation, and have each answered by
    whoever answers it now: one result per question, in order (ConversationClosed, with
    nothing stored, for a conversation that is closed or gone).

    Messages and bot answers are stored in one transaction, under the conversations'
    locks: an agent taking a conversation meanwhile waits the moment the bot thinks,
    and no answer lands in a conversation that is no longer the bot's. Many visitors'
    questions cost a few statements in all (see chat.batching). A failing bot loses
    no message. Each sending connection shows its stored message and the reply from
    the result; other tabs and consoles, if any, get them live. A resend of a message
    already stored (same client_id) stores and answers nothing.
    """
    if len({q.conversation_id for q in questions}) != len(questions):
        raise ValueError("One question per conversation in a batch.")
    if len(questions) > 1:
        try:
            return _questions_answer(questions)
        except IntegrityError:
            pass  # a resend among them: each on its own, so that only it is refused
    return [_question_answer(question) for question in questions]


def _question_answer(question: VisitorQuestion) -> VisitorPost | ConversationClosed:
    try:
        return _questions_answer([question])[0]
    except IntegrityError:
        # A resend, or the same message sent from two tabs at once: the database's
        # unique constraint on (conversation, client_id) let one of them in.
        stored = (
            Message.objects.filter(
                conversation_id=question.conversation_id,
                client_id=question.client_id,
                sender_role=Message.Role.VISITOR,
            ).first()
            if question.client_id is not None
            else None
        )
        if stored is None:
            raise
        return VisitorPost(message=stored, duplicate=True)


@dataclass
class _Turn:
    """One question on its way through _questions_answer."""

    question: VisitorQuestion
    conversation: Conversation
    message: Message
    #: The language the visitor reads: what the bot says to them is in it.
    language: str
    bot: Bot | None = None
    reply: Reply | None = None
    answer: Message | None = None

    @property
    def bot_answers(self) -> bool:
        return self.conversation.state == State.BOT and not self.conversation.sidekick

    @property
    def messages(self) -> list[Message]:
        """The visitor's message, and the bot's answer if there is one to store."""
        return [self.message] if self.answer is None else [self.message, self.answer]


def _questions_answer(
    questions: Sequence[VisitorQuestion],
) -> list[VisitorPost | ConversationClosed]:
    results: dict[int, VisitorPost | ConversationClosed] = {}
    turns: list[_Turn] = []
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().only(
            "state", "sidekick", "open_sockets", "language"
        )
        by_id = {c.pk: c for c in locked.filter(pk__in=[q.conversation_id for q in questions])}
        now = timezone.now()
        for question in questions:
            conversation = by_id.get(question.conversation_id)
            if conversation is None or conversation.state == State.CLOSED:
                results[question.conversation_id] = ConversationClosed()
                continue
            # The batch answers visitors of several languages: each turn speaks its own.
            language = question.language or conversation.language or settings.LANGUAGE_CODE
            with translation.override(language):
                name = str(VISITOR_NAME)
            message = Message(
                conversation_id=conversation.pk,
                sender_role=Message.Role.VISITOR,
                sender_name=name,
                text=question.text,
                client_id=question.client_id,
                response_value=question.response_value,
                sent_at=now,
            )
            turns.append(_Turn(question, conversation, message, language))
        # The bot answers visitors' messages only, in conversations it answers.
        bot = answering_bot() if any(turn.bot_answers for turn in turns) else None
        for turn in turns:
            if turn.bot_answers and bot is not None:
                turn.bot = bot
                with translation.override(turn.language):
                    turn.reply = _bot_reply(
                        bot,
                        turn.question.text,
                        page=turn.question.page,
                        product_id=turn.question.product_id,
                    )
        _bot_answers_keep(turns, at=now)
        # One INSERT for all: the unique client_id refuses a resend here, before
        # anything is published.
        Message.objects.bulk_create([m for turn in turns for m in turn.messages])
        staff = selectors.consoles_present()
        events.publish(
            *(
                events.MessagesCreated(
                    tuple(turn.messages),
                    Audience(
                        answered=turn.question.channel_name,
                        other_tabs=turn.conversation.open_sockets > 1,
                        staff=staff,
                    ),
                )
                for turn in turns
            )
        )

    for turn in turns:
        try:
            # A suggestion in side-kick mode is for the agent to send on: in the visitor's
            # language too.
            with translation.override(turn.language):
                _after_answer(turn)
        except Exception:
            # Stored and answered: one visitor's follow-up (calling a person, say) must not
            # cost the others of the batch their replies.
            logger.exception("Follow-up of a question failed in %s", turn.conversation.pk)
        results[turn.conversation.pk] = VisitorPost(
            message=turn.message,
            duplicate=False,
            reply=turn.answer,
            bot_failed=turn.bot is not None and turn.reply is None,
        )
    return [results[q.conversation_id] for q in questions]


def _bot_answers_keep(turns: list[_Turn], *, at: datetime) -> None:
    """Make the bot's replies answers to store where the conversation is still the bot's,
    and move every conversation's last activity; a reply that did not answer counts a miss.
    """
    answered = [t for t in turns if t.reply is not None and t.reply.kind is not ReplyKind.HANDOFF]
    missed = {t.conversation.pk for t in answered if t.reply.kind is ReplyKind.FALLBACK}
    ids = [t.conversation.pk for t in answered]
    if ids:
        bots = Conversation.objects.filter(pk__in=ids, state=State.BOT, sidekick=False)
        kept = bots.update(
            last_message_at=at,
            bot_misses=Case(When(pk__in=missed, then=F("bot_misses") + 1), default=Value(0)),
        )
        # The rows are locked: only this transaction itself can have changed one.
        still = set(ids) if kept == len(ids) else set(bots.values_list("pk", flat=True))
        for turn in answered:
            if turn.conversation.pk in still:
                turn.answer = Message(
                    conversation_id=turn.conversation.pk,
                    sender_role=Message.Role.BOT,
                    sender_name=turn.bot.name,
                    sender_title=turn.bot.title,
                    text=turn.reply.text,
                    sent_at=at,
                )
    unanswered = [t.conversation.pk for t in turns if t.answer is None]
    if unanswered:
        Conversation.objects.filter(pk__in=unanswered).update(last_message_at=at)


def _after_answer(turn: _Turn) -> None:
    """After the commit, what may call a person: each step re-checks the state it changes."""
    conversation, question = turn.conversation, turn.question
    if conversation.sidekick:
        bot_suggestion_post(
            conversation_id=conversation.pk,
            question=turn.message,
            page=question.page,
            product_id=question.product_id,
        )
        if conversation.state == State.BOT:
            conversation_request_person(conversation_id=conversation.pk)
    elif turn.bot_answers and turn.bot is None:
        # The site's bot is off: whoever answers, a person or a bot app.
        conversation_request_person(conversation_id=conversation.pk, bot_apps_welcome=True)
    elif turn.bot_answers and turn.reply is not None and turn.reply.kind is ReplyKind.HANDOFF:
        # The visitor asked for a person.
        conversation_request_person(conversation_id=conversation.pk)
    elif turn.answer is not None and turn.reply.kind is ReplyKind.FALLBACK:
        _bot_missed(
            conversation_id=conversation.pk,
            bot=turn.bot,
            question=question.text,
            page=question.page,
        )


def _bot_reply(bot: Bot, question: str, *, page: str, product_id: int | None) -> Reply | None:
    """The bot's reply, or None when it fails (logged: the question is kept regardless)."""
    try:
        return bot.respond(
            question, context=selectors.page_context(page=page, product_id=product_id)
        )
    except Exception:
        logger.exception("The bot failed to answer a question")
        return None


def _bot_missed(*, conversation_id: int, bot: Bot, question: str, page: str) -> None:
    """Record the question for staff to answer; a second miss in a row calls a person."""
    try:
        unanswered_question_record(bot_slug=bot.slug, text=question, page=page)
    except Exception:
        # Staff's list of unanswered questions must never cost the visitor the reply.
        logger.exception("Could not record an unanswered question")
    misses = Conversation.objects.values_list("bot_misses", flat=True).get(pk=conversation_id)
    if misses >= BOT_MISSES_BEFORE_HANDOFF:
        conversation_request_person(conversation_id=conversation_id)


def bot_suggestion_post(
    *, conversation_id: int, question: Message, page: str = "", product_id: int | None = None
) -> Suggestion | None:
    """Side-kick mode: the bot's answer, offered to agents only. Nothing when it has none."""
    try:
        reply = get_bot().respond(
            question.text, context=selectors.page_context(page=page, product_id=product_id)
        )
    except Exception:
        logger.exception("The bot failed to suggest in conversation %s", conversation_id)
        return None
    if reply.kind in (ReplyKind.FALLBACK, ReplyKind.HANDOFF):
        return None
    suggestion = Suggestion.objects.create(
        conversation_id=conversation_id, question=question, text=reply.text
    )
    events.publish(events.SuggestionCreated(suggestion))
    return suggestion
