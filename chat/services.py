"""Writes of the chat: every change to conversations and messages happens here.

Who answers a conversation is its ``state``: the bot, nobody yet (waiting for
a person), one agent, or nobody ever again (closed). Every change of state is
a conditional UPDATE, so two agents racing for one conversation are decided
by the database, in whichever process they are served.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from bots.base import Bot, Reply, ReplyKind
from bots.loading import answering_bot, get_bot
from bots.services import unanswered_question_record

from . import answerers, conf, events, protocol, selectors
from .events import Audience
from .models import (
    AgentClient,
    AgentStatus,
    Conversation,
    LeftMessage,
    Message,
    Suggestion,
)

logger = logging.getLogger(__name__)

VISITOR_NAME = "Visitor"
SYSTEM_NAME = "Chat"
#: Questions in a row the bot may fail before it calls a person.
BOT_MISSES_BEFORE_HANDOFF = 2
NOBODY_AVAILABLE = (
    "Nobody from the team is available to chat right now. Leave your email and "
    "a message, and we will get back to you."
)

NOT_YOURS_TO_WRITE = "Take this conversation before writing in it."

State = Conversation.State
TAKEABLE = (State.BOT, State.WAITING)


class ChatActionError(Exception):
    """An agent's request that cannot be carried out; ``code`` and the message say why."""

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


# --- the visitor's side ---------------------------------------------------------------------


def conversation_open(
    *, session_key: str, page: str = "", product_id: int | None = None
) -> Conversation:
    """The visitor's open conversation, counting one more open socket on it; a new one
    starts with the bot's greeting (unless the bot is off, or only suggests in
    side-kick mode).

    Either way it records the page the visitor opened the chat on, and the id of the
    product that page showed as the page gave it: the catalog is asked only when the product
    is needed, and one it does not have is shown as none.
    """
    # The socket reads the history after this: only consoles need to hear of it live.
    audience = Audience(other_tabs=False, staff=selectors.consoles_present())
    conversation = _open_conversation(session_key)
    if conversation is None:
        started = _conversation_start(
            session_key=session_key, page=page, product_id=product_id, audience=audience
        )
        if started is not None:
            return started
        # Another tab of the same visitor started it a moment ago.
        conversation = _open_conversation(session_key)
        if conversation is None:
            raise ConversationNotFound("The visitor's conversation could not be opened.")
    Conversation.objects.filter(pk=conversation.pk).update(
        current_page=page, current_product_id=product_id, open_sockets=F("open_sockets") + 1
    )
    events.publish(events.ConversationUpdated(conversation.pk, audience))
    return conversation


def _open_conversation(session_key: str) -> Conversation | None:
    return Conversation.objects.filter(session_key=session_key, closed_at__isnull=True).first()


def _conversation_start(
    *, session_key: str, page: str, product_id: int | None, audience: Audience
) -> Conversation | None:
    """A new conversation with one open socket, greeted; None if the visitor has one already."""
    sidekick = selectors.sidekick_default()
    bot = None if sidekick else answering_bot()
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                session_key=session_key,
                current_page=page,
                current_product_id=product_id,
                sidekick=sidekick,
                open_sockets=1,
            )
            announced: list[events.Event] = [events.ConversationStarted(conversation.pk, audience)]
            if bot is not None:
                greeting = _message_create(
                    conversation_id=conversation.pk,
                    role=Message.Role.BOT,
                    name=bot.name,
                    title=bot.title,
                    text=bot.greeting(),
                )
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


def visitor_message_post(
    *,
    conversation_id: int,
    text: str,
    client_id: str | None,
    channel_name: str,
    page: str = "",
    product_id: int | None = None,
    response_value: str | None = None,
) -> VisitorPost:
    """Store a visitor's message and have it answered by whoever answers now.

    See visitor_messages_post. Raises ConversationClosed (storing nothing) when staff
    have closed the conversation.
    """
    question = VisitorQuestion(
        conversation_id, text, client_id, channel_name, page, product_id, response_value
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
        locked = Conversation.objects.select_for_update().only("state", "sidekick", "open_sockets")
        by_id = {c.pk: c for c in locked.filter(pk__in=[q.conversation_id for q in questions])}
        now = timezone.now()
        for question in questions:
            conversation = by_id.get(question.conversation_id)
            if conversation is None or conversation.state == State.CLOSED:
                results[question.conversation_id] = ConversationClosed()
                continue
            message = Message(
                conversation_id=conversation.pk,
                sender_role=Message.Role.VISITOR,
                sender_name=VISITOR_NAME,
                text=question.text,
                client_id=question.client_id,
                response_value=question.response_value,
                sent_at=now,
            )
            turns.append(_Turn(question, conversation, message))
        # The bot answers visitors' messages only, in conversations it answers.
        bot = answering_bot() if any(turn.bot_answers for turn in turns) else None
        for turn in turns:
            if turn.bot_answers and bot is not None:
                turn.bot = bot
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


def visitor_typing(*, conversation_id: int, active: bool) -> None:
    events.publish(
        events.Typing(conversation_id, to_staff=True, frame=protocol.typing_frame(active=active))
    )


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


def conversation_request_person(*, conversation_id: int, bot_apps_welcome: bool = False) -> bool:
    """The visitor needs a person: wait for one if anybody is there, else offer to
    leave a message. True when the conversation now waits.

    ``bot_apps_welcome``: nobody else answers (the site's bot is off), so a bot app online
    may join it too, and the bot apps are told it is pending. Otherwise the visitor asked
    for a person, or the site's bot gave up: a bot app is not what they need.
    """
    people = selectors.available_agent_ids()
    bot_apps = bot_apps_welcome and not people and answerers.online(conversation_id=conversation_id)
    if not people and not bot_apps:
        # Only a conversation nobody answers yet: one an agent took meanwhile is answered.
        with transaction.atomic():
            offered = Conversation.objects.filter(pk=conversation_id, state=State.BOT).update(
                bot_misses=0
            )
            if offered:
                events.publish(
                    _system_message(conversation_id, NOBODY_AVAILABLE),
                    events.NobodyAvailable(conversation_id),
                )
        return False
    with transaction.atomic():
        waiting = Conversation.objects.filter(pk=conversation_id, state=State.BOT).update(
            state=State.WAITING, bot_misses=0
        )
        if waiting:
            events.publish(
                _system_message(
                    conversation_id,
                    "I've asked someone from the team to join. They will be with you shortly."
                    if people
                    else "One moment, someone will be with you shortly.",
                ),
                events.ConversationChanged(conversation_id),
                *([events.ConversationPending(conversation_id)] if bot_apps_welcome else []),
            )
    return bool(waiting)


def left_message_create(
    *, name: str, email: str, text: str, session_key: str = "", page: str = ""
) -> LeftMessage:
    """Keep what a visitor left for staff while nobody could chat."""
    conversation = _open_conversation(session_key) if session_key else None
    return LeftMessage.objects.create(
        name=name,
        email=email,
        text=text,
        session_key=session_key,
        conversation=conversation,
        page=page,
    )


# --- the staff side ---------------------------------------------------------------------------


def conversation_take(*, conversation_id: int, user: AbstractBaseUser) -> Conversation:
    """Make the conversation ``user``'s: the bot stops answering in it.

    Raises ConversationTaken when another agent got it first,
    ConversationNotOpen when it is closed. Taking one's own conversation again
    changes nothing.
    """
    takeable = Q(state__in=TAKEABLE, assigned_agent__isnull=True)
    if not answerers.is_answerer(user.pk):
        # People take conversations over from bot apps as they do from the site's bot. Their
        # users as a subquery, not a join: a join turns the UPDATE into "id IN (...)", which
        # PostgreSQL does not re-check against a row a racing taker just changed.
        takeable |= Q(state=State.AGENT) & answerers.users_q("assigned_agent_id")
    with transaction.atomic():
        taken = (
            Conversation.objects.filter(pk=conversation_id)
            .filter(takeable)
            .update(state=State.AGENT, assigned_agent=user, bot_misses=0)
        )
        if not taken:
            conversation = _conversation_or_error(conversation_id)
            if conversation.state == State.CLOSED:
                raise ConversationNotOpen("This conversation is closed.")
            if conversation.assigned_agent_id == user.pk:
                return conversation
            raise ConversationTaken(
                "Someone else joined this conversation first: it is theirs now."
            )
        identity = selectors.agent_identity(user)
        events.publish(
            _system_message(
                conversation_id,
                f"{identity['name']} ({identity['title']}) joined and is answering now.",
            ),
            events.ConversationTaken(conversation_id, agent_id=user.pk),
        )
    return _conversation_or_error(conversation_id)


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


def conversation_hand_back(*, conversation_id: int, user: AbstractBaseUser) -> None:
    """Give the conversation back to the bot (or, with the bot off or in side-kick
    mode, back to the queue of conversations waiting for a person)."""
    bot_answers = selectors.bot_enabled()
    conversation = _conversation_or_error(conversation_id)
    new_state = State.BOT if bot_answers and not conversation.sidekick else State.WAITING
    with transaction.atomic():
        changed = Conversation.objects.filter(
            pk=conversation_id, state=State.AGENT, assigned_agent=user
        ).update(state=new_state, assigned_agent=None, bot_misses=0)
        if not changed:
            raise NotYourConversation("Only the agent answering a conversation can hand it back.")
        name = selectors.agent_identity(user)["name"]
        nobody = False
        if new_state == State.BOT:
            bot = get_bot()
            text = f"{name} handed the chat back to {bot.name}, who is answering again."
        elif selectors.available_agent_ids() - {user.pk}:
            text = f"{name} left the chat. Someone else from the team will answer."
        else:
            nobody = True
            text = f"{name} left the chat. {NOBODY_AVAILABLE}"
        events.publish(
            _system_message(conversation_id, text),
            events.ConversationChanged(conversation_id),
            *([events.NobodyAvailable(conversation_id)] if nobody else []),
            *([events.ConversationPending(conversation_id)] if new_state == State.WAITING else []),
        )


def conversation_transfer(*, conversation_id: int, user: AbstractBaseUser, to_user_id: int) -> None:
    """Pass the conversation to another agent who is present and may chat."""
    target = get_user_model().objects.filter(pk=to_user_id).first()
    if (
        target is None
        or target.pk == user.pk
        or not selectors.user_can_chat(target)
        or target.pk not in selectors.present_agent_ids()
    ):
        raise AgentUnavailable("Transfer to another agent who has the console open.")
    with transaction.atomic():
        changed = Conversation.objects.filter(
            pk=conversation_id, state=State.AGENT, assigned_agent=user
        ).update(assigned_agent=target)
        if not changed:
            raise NotYourConversation("Only the agent answering a conversation can transfer it.")
        source = selectors.agent_identity(user)
        dest = selectors.agent_identity(target)
        events.publish(
            _system_message(
                conversation_id,
                f"{source['name']} passed the chat to {dest['name']} ({dest['title']}), "
                "who is answering now.",
            ),
            events.ConversationChanged(conversation_id),
        )


def conversation_close(*, conversation_id: int, user: AbstractBaseUser) -> None:
    """End the conversation; the visitor's next message starts a new one.

    An agent closes their own conversations and ones no agent has.
    """
    with transaction.atomic():
        closed = (
            Conversation.objects.filter(pk=conversation_id)
            .exclude(state=State.CLOSED)
            .filter(Q(assigned_agent__isnull=True) | Q(assigned_agent=user))
            .update(state=State.CLOSED, closed_at=timezone.now())
        )
        if not closed:
            conversation = _conversation_or_error(conversation_id)
            if conversation.state == State.CLOSED:
                return
            raise NotYourConversation("Another agent is answering this conversation.")
        name = selectors.agent_identity(user)["name"]
        events.publish(
            _system_message(
                conversation_id,
                f"{name} closed this chat. Write again any time to start a new one.",
            ),
            events.ConversationChanged(conversation_id),
        )


def conversation_set_sidekick(
    *, conversation_id: int, user: AbstractBaseUser, active: bool
) -> None:
    """Switch side-kick mode for one conversation."""
    changed = (
        Conversation.objects.filter(pk=conversation_id)
        .exclude(state=State.CLOSED)
        .update(sidekick=active)
    )
    if not changed:
        raise ConversationNotFound("There is no such open conversation.")
    events.publish(events.ConversationChanged(conversation_id))


# --- presence ---------------------------------------------------------------------------------


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


# --- inside -----------------------------------------------------------------------------------


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


def _system_message(conversation_id: int, text: str) -> events.MessagesCreated:
    """Store the chat's own notice to the visitor ("Anna joined"); its event, to announce
    with the rest of the change."""
    message = _message_create(
        conversation_id=conversation_id, role=Message.Role.SYSTEM, name=SYSTEM_NAME, text=text
    )
    return events.MessagesCreated((message,))


def presence_publish() -> None:
    """Tell consoles who is present and every visitor whether the chat is online:
    after presence changes, and after staff switch the bot on or off."""
    events.publish(events.PresenceChanged())


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


def conversation_hand_to_people(*, conversation_id: int, user: AbstractBaseUser) -> list[int]:
    """The bot user answering (or anyone, while nobody answers yet) hands the conversation
    to people: it waits for a person, and every agent present and accepting chats is
    alerted (invited). Their ids; when there are none, the visitor is told nobody is there
    and offered to leave a message. Nothing is pending for other bots: it is for people now.
    """
    invited = sorted(selectors.available_agent_ids())
    name = selectors.agent_identity(user)["name"]
    with transaction.atomic():
        handed = (
            Conversation.objects.filter(pk=conversation_id)
            .filter(
                Q(state=State.AGENT, assigned_agent_id=user.pk)
                | Q(state=State.BOT, assigned_agent__isnull=True)
            )
            .update(state=State.WAITING, assigned_agent=None, bot_misses=0)
        )
        if (
            not handed
            and not Conversation.objects.filter(pk=conversation_id, state=State.WAITING).exists()
        ):
            raise _refusal(
                conversation_id,
                NotYourConversation(
                    "Only the bot answering a conversation (or one nobody answers yet) can "
                    "hand it over."
                ),
            )
        if invited:
            notice = f"{name} asked someone from the team to join. They will be with you shortly."
        else:
            notice = f"{name} tried to find a person. {NOBODY_AVAILABLE}"
        events.publish(
            _system_message(conversation_id, notice),
            events.ConversationChanged(conversation_id),
            *([] if invited else [events.NobodyAvailable(conversation_id)]),
        )
    return invited
