"""Who answers a conversation: asking for a person, taking it, handing it back or on,
closing it (staff) or ending it (the visitor), and side-kick mode."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bots.loading import get_bot

from .. import answerers, events, selectors
from ..models import Conversation
from .base import (
    TAKEABLE,
    AgentUnavailable,
    ConversationNotFound,
    ConversationNotOpen,
    ConversationTaken,
    NotYourConversation,
    State,
    _agent_joined_publish,
    _conversation_or_error,
    _nobody_there_text,
    _refusal,
    _system_message,
    _visitor_language,
)


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
                with _visitor_language(conversation_id):
                    notice = _nobody_there_text()
                events.publish(
                    _system_message(conversation_id, notice),
                    events.NobodyAvailable(conversation_id),
                )
        return False
    with transaction.atomic():
        waiting = Conversation.objects.filter(pk=conversation_id, state=State.BOT).update(
            state=State.WAITING, bot_misses=0, waiting_since=timezone.now(), handed_back_by=None
        )
        if waiting:
            with _visitor_language(conversation_id):
                notice = (
                    _("I've asked someone from the team to join. They will be with you shortly.")
                    if people
                    else _("One moment, someone will be with you shortly.")
                )
            events.publish(
                _system_message(conversation_id, notice),
                events.ConversationChanged(conversation_id),
                *([events.ConversationPending(conversation_id)] if bot_apps_welcome else []),
            )
    return bool(waiting)


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
        _agent_joined_publish(conversation_id, user)
    return _conversation_or_error(conversation_id)


def conversation_hand_back(*, conversation_id: int, user: AbstractBaseUser) -> None:
    """Give the conversation back to the bot (or, with the bot off or in side-kick
    mode, back to the queue of conversations waiting for a person)."""
    bot_answers = selectors.bot_enabled()
    conversation = _conversation_or_error(conversation_id)
    new_state = State.BOT if bot_answers and not conversation.sidekick else State.WAITING
    with transaction.atomic():
        changed = Conversation.objects.filter(
            pk=conversation_id, state=State.AGENT, assigned_agent=user
        ).update(
            state=new_state,
            assigned_agent=None,
            bot_misses=0,
            # Back to the waiting ones: auto-assignment gives it to someone else.
            **(
                {"waiting_since": timezone.now(), "handed_back_by": user}
                if new_state == State.WAITING
                else {}
            ),
        )
        if not changed:
            raise NotYourConversation("Only the agent answering a conversation can hand it back.")
        name = selectors.agent_identity(user)["name"]
        nobody = False
        with _visitor_language(conversation_id):
            if new_state == State.BOT:
                text = _("%(name)s handed the chat back to %(bot)s, who is answering again.") % {
                    "name": name,
                    "bot": get_bot().name,
                }
            elif selectors.available_agent_ids() - {user.pk}:
                text = _("%(name)s left the chat. Someone else from the team will answer.") % {
                    "name": name
                }
            else:
                nobody = True
                left = _("%(name)s left the chat.") % {"name": name}
                text = f"{left} {_nobody_there_text()}"
        events.publish(
            _system_message(conversation_id, text),
            events.ConversationHandedBack(conversation_id, agent_id=user.pk),
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
        with _visitor_language(conversation_id):
            notice = _(
                "%(source)s passed the chat to %(name)s (%(title)s), who is answering now."
            ) % {
                "source": source["name"],
                "name": dest["name"],
                "title": dest["title"],
            }
        events.publish(
            _system_message(conversation_id, notice),
            events.ConversationTransferred(
                conversation_id, agent_id=user.pk, to_agent_id=target.pk
            ),
        )


def conversation_close(*, conversation_id: int, user: AbstractBaseUser) -> None:
    """End the conversation; the visitor's next message starts a new one.

    An agent closes their own conversations and ones no agent has.
    """
    closed = _close(
        conversation_id,
        allowed=Q(assigned_agent__isnull=True) | Q(assigned_agent=user),
        closed_by=user.pk,
        notice=lambda: (
            _("%(name)s closed this chat. Write again any time to start a new one.")
            % {"name": selectors.agent_identity(user)["name"]}
        ),
    )
    if not closed and _conversation_or_error(conversation_id).state != State.CLOSED:
        raise NotYourConversation("Another agent is answering this conversation.")


VISITOR_ENDED = gettext_lazy("The visitor ended the chat. Write again any time to start a new one.")


def conversation_end(*, conversation_id: int) -> None:
    """The visitor ends the chat, whoever answers it: closed as staff close it, the agent
    kept (the chat's rating is theirs). Ending a closed chat changes nothing."""
    if not _close(conversation_id, allowed=Q(), closed_by=None, notice=lambda: str(VISITOR_ENDED)):
        _conversation_or_error(conversation_id)  # no such conversation: ConversationNotFound


def _close(
    conversation_id: int, *, allowed: Q, closed_by: int | None, notice: Callable[[], str]
) -> bool:
    """Close the conversation if it is open and ``allowed``, and announce it with the chat's
    notice; whether it closed now. ``closed_by``: the staff member's id, None for the
    visitor."""
    with transaction.atomic():
        closed = (
            Conversation.objects.filter(pk=conversation_id)
            .exclude(state=State.CLOSED)
            .filter(allowed)
            .update(state=State.CLOSED, closed_at=timezone.now())
        )
        if closed:
            # Said in the visitor's language: the notice is theirs to read too.
            with _visitor_language(conversation_id):
                text = notice()
            events.publish(
                _system_message(conversation_id, text),
                events.ConversationClosed(conversation_id, agent_id=closed_by),
            )
    return bool(closed)


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
            .update(
                state=State.WAITING,
                assigned_agent=None,
                bot_misses=0,
                waiting_since=timezone.now(),
                handed_back_by=None,
            )
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
        with _visitor_language(conversation_id):
            if invited:
                notice = _(
                    "%(name)s asked someone from the team to join. They will be with you shortly."
                ) % {"name": name}
            else:
                tried = _("%(name)s tried to find a person.") % {"name": name}
                notice = f"{tried} {_nobody_there_text()}"
        events.publish(
            _system_message(conversation_id, notice),
            events.ConversationChanged(conversation_id),
            *([] if invited else [events.NobodyAvailable(conversation_id)]),
        )
    return invited
