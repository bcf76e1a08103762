"""Reads of the chat."""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Left
from django.utils import timezone

from bots import products
from bots.base import PageContext, ProductFacts
from bots.loading import answering_bot, bot_class, get_bot
from bots.selectors import bot_online_enabled, thumbnail_url

from . import answerers, catalog, conf, hours, listing, protocol, search
from .models import (
    DEFAULT_AWAY_TEXT,
    AgentClient,
    AgentStatus,
    ChatSettings,
    Conversation,
    ConversationLabel,
    Label,
    LeftMessage,
    Message,
    Note,
    Suggestion,
)

CHAT_PERMISSION = "chat.chat_with_visitors"

logger = logging.getLogger(__name__)


def conversation_frames(*, conversation_id: int, for_visitor: bool = True) -> list[dict[str, Any]]:
    """The conversation's latest messages as frames, oldest first (as the visitor sees
    them, unless ``for_visitor`` is False)."""
    latest = Message.objects.filter(conversation_id=conversation_id).order_by("-id")[
        : conf.get("CHAT_HISTORY_LIMIT")
    ]
    return [
        protocol.message_frame(message, for_visitor=for_visitor) for message in reversed(latest)
    ]


def agent_info() -> dict[str, str]:
    """Who answers the chat, as /restapi/get-agent-info has always told the chat box."""
    bot = get_bot()
    return {
        "AgentName": bot.name,
        "AgentTitle": bot.title,
        "AgentThumbImagePath": thumbnail_url(bot.thumbnail_path),
    }


# --- presence -------------------------------------------------------------------------------


def bot_enabled() -> bool:
    return bot_online_enabled(slug=bot_class().slug)


def user_can_chat(user: AbstractBaseUser) -> bool:
    """Staff whose permissions let them chat with visitors."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(CHAT_PERMISSION)
    )


def chat_agent(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The staff member behind a (lazy) request or socket user, if they may chat."""
    if user is None or not user_can_chat(user):
        return None
    return get_user_model().objects.get(pk=user.pk)


def live_clients() -> QuerySet[AgentClient]:
    return AgentClient.objects.filter(expires_at__gt=timezone.now())


def present_agent_ids() -> set[int]:
    """Staff with a console open (a client that has not expired); bot apps are not staff."""
    staff = live_clients().exclude(answerers.users_q("user_id"))
    return set(staff.values_list("user_id", flat=True))


def consoles_present() -> bool:
    """Whether any staff console is open: otherwise nobody watches conversations live."""
    return live_clients().exclude(answerers.users_q("user_id")).exists()


def available_agent_ids(*, away: bool | None = None) -> set[int]:
    """Present staff who accept chats, within business hours: who can answer a visitor now.
    Outside business hours nobody, whoever is there: people are away. ``away``: whether it
    is outside them, when the caller has read it already."""
    if out_of_hours() if away is None else away:
        return set()
    return _accepting(present_agent_ids())


@dataclass
class AgentLoad:
    """An agent as auto-assignment weighs them: the conversations theirs to answer now, the
    most they are given (their capacity), and when they were last given one."""

    user_id: int
    answering: int
    capacity: int
    last_assigned_at: datetime | None

    @property
    def has_room(self) -> bool:
        return self.answering < self.capacity

    def rank(self) -> tuple[int, datetime, int]:
        """Who is given the next conversation first: the agent answering the fewest; of
        those, the one given none for longest (never before any); then the lowest id."""
        waited_since = self.last_assigned_at or datetime.min.replace(tzinfo=UTC)
        return (self.answering, waited_since, self.user_id)


DEFAULT_CAPACITY = AgentStatus._meta.get_field("capacity").default


def agent_loads(*, user_ids: set[int]) -> list[AgentLoad]:
    """Those agents' loads, in two queries; an agent without a status row has the default
    capacity."""
    if not user_ids:
        return []
    answering = dict(
        Conversation.objects.filter(state=Conversation.State.AGENT, assigned_agent_id__in=user_ids)
        .order_by()
        .values("assigned_agent_id")
        .annotate(open=Count("pk"))
        .values_list("assigned_agent_id", "open")
    )
    statuses = {
        user_id: (capacity, last)
        for user_id, capacity, last in AgentStatus.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "capacity", "last_assigned_at"
        )
    }
    return [
        AgentLoad(
            user_id,
            answering.get(user_id, 0),
            *statuses.get(user_id, (DEFAULT_CAPACITY, None)),
        )
        for user_id in sorted(user_ids)
    ]


def waiting_conversations(*, limit: int) -> list[tuple[int, int | None]]:
    """Conversations waiting for a person that nobody was given yet, longest waiting first
    (those from before the chat recorded since when: first): each one's id, and the agent who
    handed it back to the waiting ones, if that is how its wait started."""
    waiting = Conversation.objects.filter(
        state=Conversation.State.WAITING, assigned_agent__isnull=True
    )
    order = (F("waiting_since").asc(nulls_first=True), "pk")
    return list(waiting.order_by(*order).values_list("pk", "handed_back_by_id")[:limit])


def auto_assign_enabled() -> bool:
    return ChatSettings.objects.filter(auto_assign=True).exists()


def _accepting(present: set[int]) -> set[int]:
    """Of the present agents, those who accept chats."""
    if not present:
        return set()
    declining = set(
        AgentStatus.objects.filter(user_id__in=present, accepting_chats=False).values_list(
            "user_id", flat=True
        )
    )
    return present - declining


def chat_online() -> bool:
    """Whether somebody answers: the bot, a person accepting chats (within business hours),
    or a bot app online."""
    return _online(bot_on=bot_enabled())


# The cached answer of chat_status_cached: whoever changes presence forgets it (realtime).
ONLINE_CACHE_KEY = "chat:status"
# The longest a cached answer is kept: a change nobody announces (a bot app's client that
# expired) shows within it.
ONLINE_CACHE_SECONDS = 10


def chat_status_cached() -> dict[str, bool]:
    """Whether the chat is online (``chat_online``) and out of business hours, for the pages
    whose chat box is closed, which ask every 30 s: read from the cache (shared by every
    worker through Redis), and computed only after a change of presence, after
    ONLINE_CACHE_SECONDS, or once the business hours open or close, whichever is first: an
    answer is never kept past the minute the hours change."""
    status = cache.get(ONLINE_CACHE_KEY)
    if not isinstance(status, dict):
        away = out_of_hours()
        status = {"online": _online(bot_on=bot_enabled(), away=away), "out_of_hours": away}
        seconds = _seconds_to_hours_change(within=ONLINE_CACHE_SECONDS)
        # Whole seconds, rounded down: a cache keeps nothing for less than one.
        if seconds >= 1:
            cache.set(ONLINE_CACHE_KEY, status, math.floor(seconds))
    return status


def chat_online_cached() -> bool:
    return chat_status_cached()["online"]


def _online(*, bot_on: bool, away: bool | None = None) -> bool:
    return bot_on or bool(available_agent_ids(away=away)) or answerers.online()


# --- business hours ---------------------------------------------------------------------------


# Every status a visitor gets asks whether the business is open: the hours are kept in the cache
# (shared by every worker through Redis), forgotten when staff save them (chat.signals), and
# read again after BUSINESS_HOURS_CACHE_SECONDS at the latest whatever happens.
BUSINESS_HOURS_CACHE_KEY = "chat:business-hours"
BUSINESS_HOURS_CACHE_SECONDS = 300


def _cached_settings(key: str, seconds: int, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Settings staff edit in admin, read by every page or status: from the cache (shared by
    every worker through Redis) under ``key`` for ``seconds``, else ``read()`` from the
    database. With the cache down, pages and sockets still get them, from the database."""
    try:
        cached = cache.get(key)
        reachable = True
    except Exception as error:
        logger.warning("%s read without the cache: %s", key, error)
        cached, reachable = None, False
    if cached is None:
        cached = read()
        if reachable:
            cache.set(key, cached, seconds)
    return cached


def _hours_settings() -> dict[str, Any]:
    """The business hours as staff set them, from the cache; off while there is no row."""
    return _cached_settings(
        BUSINESS_HOURS_CACHE_KEY, BUSINESS_HOURS_CACHE_SECONDS, _hours_settings_read
    )


def _hours_settings_read() -> dict[str, Any]:
    row = ChatSettings.objects.first()
    if row is None:
        return {"on": False, "away_text": ""}
    return {
        "on": row.business_hours,
        "away_text": row.away_text,
        "time_zone": row.time_zone,
        "intervals": [
            [i.weekday, i.opens.isoformat(), i.closes.isoformat()]
            for i in row.opening_intervals.all()
        ],
        "holidays": [h.date.isoformat() for h in row.holidays.all()],
    }


def business_hours_forget() -> None:
    """Have the next read take the hours from the database (they were just saved)."""
    cache.delete(BUSINESS_HOURS_CACHE_KEY)


def business_hours() -> hours.BusinessHours | None:
    """The business hours, or None when staff keep none (the team may chat at any time)."""
    kept = _hours_settings()
    if not kept["on"]:
        return None
    return hours.BusinessHours(
        time_zone=kept["time_zone"],
        intervals=tuple(
            hours.Interval(weekday, time.fromisoformat(opens), time.fromisoformat(closes))
            for weekday, opens, closes in kept["intervals"]
        ),
        holidays=frozenset(date.fromisoformat(day) for day in kept["holidays"]),
    )


def out_of_hours() -> bool:
    """Whether it is outside business hours now: people are away, whoever is present."""
    kept = business_hours()
    return kept is not None and not kept.is_open(timezone.now())


def business_hours_next_change(*, within: float, now: datetime | None = None) -> datetime | None:
    """When the business hours next open or close, if within ``within`` seconds from ``now``
    (by default, now)."""
    kept = business_hours()
    if kept is None:
        return None
    return kept.next_change(now or timezone.now(), within=timedelta(seconds=within))


def _seconds_to_hours_change(*, within: float) -> float:
    """Seconds until the business hours open or close, or ``within`` if not before."""
    now = timezone.now()
    change = business_hours_next_change(within=within, now=now)
    return within if change is None else (change - now).total_seconds()


def away_text() -> str:
    """What visitors read outside business hours: staff's words, or the chat's own in the
    active language."""
    return _hours_settings()["away_text"] or str(DEFAULT_AWAY_TEXT)


def agent_presence() -> list[dict[str, Any]]:
    """Every present agent, for the staff consoles."""
    User = get_user_model()
    present = present_agent_ids()
    available = _accepting(present)
    users = User.objects.filter(pk__in=present).select_related("chat_agent").order_by("pk")
    return [
        {**agent_identity(user), "id": user.pk, "accepting": user.pk in available} for user in users
    ]


def agent_identities(*, user_ids: set[int] | list[int]) -> list[dict[str, Any]]:
    """The ids, names and titles of these users, by id, whether they are present or not."""
    users = get_user_model().objects.filter(pk__in=user_ids).select_related("chat_agent")
    return [{"id": user.pk, **agent_identity(user)} for user in users.order_by("pk")]


def agent_identity(user: AbstractBaseUser) -> dict[str, str]:
    """The name and title visitors see on an agent's messages."""
    status = _agent_status(user)
    name = user.get_short_name() or user.get_full_name() or user.get_username()
    return {"name": name, "title": status.title if status else "Support"}


def _agent_status(user: AbstractBaseUser) -> AgentStatus | None:
    """The user's AgentStatus: the one fetched along with the user (select_related
    "chat_agent"), else read now (a long-lived user object never answers stale)."""
    relation = AgentStatus._meta.get_field("user").remote_field
    if relation.is_cached(user):
        return relation.get_cached_value(user)
    return AgentStatus.objects.filter(user=user).first()


def agent_accepting(*, user: AbstractBaseUser) -> bool:
    status = _agent_status(user)
    return status.accepting_chats if status else True


def sidekick_default() -> bool:
    settings_row = ChatSettings.objects.first()
    return settings_row.sidekick_default if settings_row else False


@dataclass(frozen=True)
class ChatBoxSettings:
    """The chat box's look and the other sites allowed to embed it (ChatSettings)."""

    primary_color: str
    launcher_side: str
    welcome_text: str
    allowed_origins: tuple[str, ...]


# Every page (its chat box's config), every cross-origin request and every socket from another
# site reads them: kept in the cache (shared by every worker through Redis), forgotten when
# staff save the row (chat.signals), and read again after CHAT_BOX_SETTINGS_CACHE_SECONDS at
# the latest whatever happens.
CHAT_BOX_SETTINGS_CACHE_KEY = "chat:box-settings"
CHAT_BOX_SETTINGS_CACHE_SECONDS = 300


def chat_box_settings() -> ChatBoxSettings:
    """The chat box's settings, from the cache; the fields' defaults while there is no row.
    Every page reads them (the box's look, the sites in its security headers)."""
    cached = _cached_settings(
        CHAT_BOX_SETTINGS_CACHE_KEY, CHAT_BOX_SETTINGS_CACHE_SECONDS, _chat_box_settings_read
    )
    return ChatBoxSettings(**{**cached, "allowed_origins": tuple(cached["allowed_origins"])})


def _chat_box_settings_read() -> dict[str, Any]:
    row = ChatSettings.objects.first() or ChatSettings()
    return {
        "primary_color": row.primary_color,
        "launcher_side": row.launcher_side,
        "welcome_text": row.welcome_text,
        "allowed_origins": list(row.origin_list()),
    }


def chat_box_settings_forget() -> None:
    """Have the next read take the settings from the database (they were just saved)."""
    cache.delete(CHAT_BOX_SETTINGS_CACHE_KEY)


# --- conversations, as staff see them ---------------------------------------------------------


SUMMARY_TEXT_LENGTH = 140


def _conversations() -> QuerySet[Conversation]:
    """Conversations with what their summaries need, in one query."""
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-id")
    return Conversation.objects.select_related(
        "assigned_agent__chat_agent", "visitor_read_through"
    ).annotate(
        agent_is_answerer=ExpressionWrapper(
            answerers.users_q("assigned_agent_id"), output_field=BooleanField()
        ),
        last_text=Subquery(
            last.annotate(start=Left("text", SUMMARY_TEXT_LENGTH)).values("start")[:1]
        ),
        last_role=Subquery(last.values("sender_role")[:1]),
        visitor_messages=_visitor_message_count(),
    )


def _visitor_message_count() -> Coalesce:
    """How many messages the visitor wrote in the conversation: only ever grows, so a console
    counts what is unread as this less what it showed the agent (console.selectors)."""
    written = (
        Message.objects.filter(conversation=OuterRef("pk"), sender_role=Message.Role.VISITOR)
        .order_by()
        .values("conversation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(written[:1]), Value(0))


def conversation_visitor_messages(*, conversation_id: int) -> int | None:
    """How many messages the visitor wrote in the conversation; None if there is none."""
    return (
        Conversation.objects.filter(pk=conversation_id)
        .annotate(written=_visitor_message_count())
        .values_list("written", flat=True)
        .first()
    )


def conversation_get(*, conversation_id: int) -> Conversation | None:
    return _conversations().filter(pk=conversation_id).first()


def conversation_language(*, conversation_id: int) -> str:
    """The language the conversation's visitor reads (chat.languages): the site's
    LANGUAGE_CODE when it recorded none, or there is no such conversation."""
    language = (
        Conversation.objects.filter(pk=conversation_id).values_list("language", flat=True).first()
    )
    return language or settings.LANGUAGE_CODE


def conversation_summary(
    *,
    conversation: Conversation,
    shown: dict[int, dict[str, Any]] | None = None,
    labelled: dict[int, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """One row of the staff console's list; ``shown``, the products of a page of
    conversations (``products_shown``), and ``labelled``, their labels
    (``conversation_labels``), save reading each one's apart."""
    if hasattr(conversation, "last_role"):
        last_text, last_role = conversation.last_text or "", conversation.last_role or ""
    else:  # not read by _conversations()
        last = conversation.messages.order_by("-id").first()
        last_text = last.text[:SUMMARY_TEXT_LENGTH] if last else ""
        last_role = last.sender_role if last else ""
    if hasattr(conversation, "visitor_messages"):
        visitor_messages = conversation.visitor_messages
    else:  # not read by _conversations()
        visitor_messages = conversation.messages.filter(sender_role=Message.Role.VISITOR).count()
    agent = conversation.assigned_agent
    if shown is None:
        shown = products_shown(conversations=[conversation])
    if labelled is None:
        labelled = conversation_labels(conversation_ids=[conversation.pk])
    return {
        "id": conversation.pk,
        "state": conversation.state,
        "agent": (
            # A bot app answering: people may take the conversation over from it.
            {"id": agent.pk, **agent_identity(agent), "is_bot": _is_answerer(conversation)}
            if agent
            else None
        ),
        "sidekick": conversation.sidekick,
        "created_at": conversation.created_at.isoformat(),
        "last_message_at": conversation.last_message_at.isoformat(),
        "last_text": last_text,
        "last_role": last_role,
        "visitor_messages": visitor_messages,
        "page": conversation.current_page,
        "product": shown.get(conversation.current_product_id),
        "rating": _rating(conversation, staff=True),
        "labels": labelled.get(conversation.pk, []),
    }


def _rating(conversation: Conversation, *, staff: bool = False) -> dict[str, Any] | None:
    """The visitor's rating of the conversation, or None; staff see when it was given."""
    if conversation.rating_score is None:
        return None
    rating: dict[str, Any] = {
        "score": conversation.rating_score,
        "comment": conversation.rating_comment,
    }
    if staff:
        rating["rated_at"] = conversation.rated_at.isoformat() if conversation.rated_at else None
    return rating


def _is_answerer(conversation: Conversation) -> bool:
    if hasattr(conversation, "agent_is_answerer"):
        return bool(conversation.agent_is_answerer)
    return answerers.is_answerer(conversation.assigned_agent_id)


def conversation_summary_get(*, conversation_id: int) -> dict[str, Any] | None:
    """One conversation's row of the staff console's list, or None if there is none."""
    conversation = conversation_get(conversation_id=conversation_id)
    return None if conversation is None else conversation_summary(conversation=conversation)


def conversation_summaries(*, limit: int = 200) -> list[dict[str, Any]]:
    """The newest conversations by activity, newest first."""
    return _summaries(list(_conversations().order_by("-last_message_at", "-id")[:limit]))


def _summaries(conversations: list[Conversation]) -> list[dict[str, Any]]:
    shown = products_shown(conversations=conversations)
    labelled = conversation_labels(conversation_ids=[c.pk for c in conversations])
    return [
        conversation_summary(conversation=c, shown=shown, labelled=labelled) for c in conversations
    ]


# --- the console's list: labels, filters, search, pages ----------------------------------------


def label_row(label: Label) -> dict[str, Any]:
    return {"id": label.pk, "name": label.name, "color": label.color}


def labels() -> list[dict[str, Any]]:
    """Every label, by name."""
    return [label_row(label) for label in Label.objects.order_by("name", "pk")]


def conversation_labels(*, conversation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The labels on each of these conversations, by name; one without any is left out."""
    if not conversation_ids:
        return {}
    on = (
        ConversationLabel.objects.filter(conversation_id__in=conversation_ids)
        .select_related("label")
        .order_by("label__name", "label_id")
    )
    labelled: dict[int, list[dict[str, Any]]] = {}
    for row in on:
        labelled.setdefault(row.conversation_id, []).append(label_row(row.label))
    return labelled


def filter_choices() -> dict[str, Any]:
    """What the console's filters offer: every label, and everyone who may hold a
    conversation (active staff who may chat, and bot apps' users), by name."""
    User = get_user_model()
    # Permissions as Django's model backend grants them (with other backends configured,
    # with_perm must be told which: the log-in throttle's grants nothing).
    staff = User.objects.with_perm(
        CHAT_PERMISSION, backend="django.contrib.auth.backends.ModelBackend"
    ).filter(is_staff=True)
    bots = set(User.objects.filter(answerers.users_q("pk")).values_list("pk", flat=True))
    users = User.objects.filter(Q(pk__in=staff.values("pk")) | Q(pk__in=bots))
    agents = [
        {"id": user.pk, "name": agent_identity(user)["name"], "is_bot": user.pk in bots}
        for user in users.select_related("chat_agent")
    ]
    agents.sort(key=lambda agent: (agent["name"].casefold(), agent["id"]))
    return {"labels": labels(), "agents": agents}


@dataclass(frozen=True)
class ConversationPage:
    """A page of the console's list: its rows, and the cursor of the page after it (None
    at the end)."""

    conversations: list[dict[str, Any]]
    next_page: listing.Cursor | None


def conversations_listed(
    *, conversation_filter: listing.ConversationFilter, after: listing.Cursor | None = None
) -> QuerySet[Conversation]:
    """The conversations of the console's list the filter admits, newest activity first,
    from the row after ``after`` on."""
    # Without what only the visitor's status needs (the message they read through).
    rows = _conversations().select_related(None).select_related("assigned_agent__chat_agent")
    conversations = _admitted(rows, conversation_filter)
    if after is not None:
        # The first condition alone is what an index can read a range of: the list's
        # index, whatever else narrows the list, stays the way in.
        conversations = conversations.filter(
            Q(last_message_at__lte=after.last_message_at),
            Q(last_message_at__lt=after.last_message_at) | Q(pk__lt=after.id),
        )
    return conversations.order_by("-last_message_at", "-id")


def conversation_page(
    *,
    conversation_filter: listing.ConversationFilter = listing.EVERYTHING,
    after: listing.Cursor | None = None,
    limit: int | None = None,
) -> ConversationPage:
    """One page of the console's list (CHAT_CONSOLE_PAGE_SIZE rows unless ``limit``)."""
    limit = limit or conf.get("CHAT_CONSOLE_PAGE_SIZE")
    # One row more than the page tells whether there is a page after it.
    rows = list(
        conversations_listed(conversation_filter=conversation_filter, after=after)[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return ConversationPage(
        conversations=_summaries(rows), next_page=listing.Cursor.of(rows[-1]) if more else None
    )


def conversation_listed(
    *, conversation_id: int, conversation_filter: listing.ConversationFilter
) -> bool:
    """Whether the filter admits the conversation (to tell a console of a live change)."""
    return _admitted(Conversation.objects.filter(pk=conversation_id), conversation_filter).exists()


def _admitted(
    conversations: QuerySet[Conversation], conversation_filter: listing.ConversationFilter
) -> QuerySet[Conversation]:
    wanted = conversation_filter
    for label_id in wanted.labels:
        conversations = conversations.filter(
            Exists(ConversationLabel.objects.filter(conversation=OuterRef("pk"), label_id=label_id))
        )
    if wanted.state:
        conversations = conversations.filter(state=wanted.state)
    if wanted.agent == listing.NO_AGENT:
        conversations = conversations.filter(assigned_agent__isnull=True)
    elif wanted.agent is not None:
        conversations = conversations.filter(assigned_agent_id=wanted.agent)
    if wanted.since:
        conversations = conversations.filter(last_message_at__gte=wanted.since)
    if wanted.until:
        conversations = conversations.filter(last_message_at__lt=wanted.until)
    return search.conversations_with_words(conversations, terms=wanted.terms)


def conversation_staff_frames(*, conversation_id: int) -> list[dict[str, Any]]:
    """What a console shows on opening a conversation: its messages and staff's private
    notes, oldest first (the newest CHAT_HISTORY_LIMIT of each), then the bot's suggestions
    no agent has sent yet."""
    limit = conf.get("CHAT_HISTORY_LIMIT")
    messages = Message.objects.filter(conversation_id=conversation_id).order_by("-id")[:limit]
    notes = Note.objects.filter(conversation_id=conversation_id).order_by("-id")[:limit]
    # Each oldest first, notes among the messages by time; a message first on a tie.
    thread = heapq.merge(
        [
            (m.sent_at, {**protocol.message_frame(m), "conversation": conversation_id})
            for m in reversed(messages)
        ],
        [(n.created_at, protocol.note_frame(n)) for n in reversed(notes)],
        key=lambda entry: entry[0],
    )
    frames = [frame for _, frame in thread]
    suggestions = Suggestion.objects.filter(
        conversation_id=conversation_id, sent_message__isnull=True
    ).select_related("question")
    return frames + [protocol.suggestion_frame(suggestion) for suggestion in suggestions]


def conversation_visitor_name(*, conversation_id: int) -> str:
    """The visitor's name as far as the chat knows it: the name they gave when they last
    left a message in the conversation; "" when they never did (visitors chat unnamed)."""
    name = (
        LeftMessage.objects.filter(conversation_id=conversation_id)
        .order_by("-created_at", "-id")
        .values_list("name", flat=True)
        .first()
    )
    return name or ""


def visitor_status_get(*, conversation_id: int) -> dict[str, Any]:
    """``visitor_status`` of a conversation read for it alone: its state and agent, without
    the last message the consoles' rows add (a visitor connects with this read)."""
    conversation = Conversation.objects.select_related(
        "assigned_agent__chat_agent", "visitor_read_through"
    ).get(pk=conversation_id)
    return visitor_status(conversation=conversation)


def visitor_status(*, conversation: Conversation) -> dict[str, Any]:
    """For the visitor's chat box: who answers, and whether anybody can; what the visitor
    has read (the id of the newest message read, or None), and their rating (None until
    they rate the closed chat)."""
    bot = answering_bot()  # None while staff have it switched off; one query either way
    away = out_of_hours()  # read once: whether people are away decides "online" too
    online = _online(bot_on=bot is not None, away=away)
    answering: dict[str, str] | None = None
    if conversation.state == Conversation.State.AGENT and conversation.assigned_agent:
        answering = {"role": "agent", **agent_identity(conversation.assigned_agent)}
    elif (
        conversation.state == Conversation.State.BOT
        and bot is not None
        and not conversation.sidekick
    ):
        answering = {"role": "bot", "name": bot.name, "title": bot.title}
    read = conversation.visitor_read_through
    return {
        "state": conversation.state,
        "online": online,
        # People are away (outside business hours): the box says so in the away text.
        "out_of_hours": away,
        "answering": answering,
        "read_through": str(read.uid) if read is not None else None,
        "rating": _rating(conversation),
    }


# --- ratings ----------------------------------------------------------------------------------


def rated_conversations() -> QuerySet[Conversation]:
    """The conversations visitors rated, each with ``bot_name``: the name the site's bot's
    last answer in it carried (None if it never answered)."""
    return Conversation.objects.filter(rating_score__isnull=False).annotate(
        bot_name=_last_bot_name()
    )


def _last_bot_name() -> Subquery:
    last = Message.objects.filter(conversation=OuterRef("pk"), sender_role=Message.Role.BOT)
    return Subquery(last.order_by("-id").values("sender_name")[:1])


def ratings_report(*, conversations: QuerySet[Conversation] | None = None) -> dict[str, Any]:
    """The visitors' ratings of ``conversations`` (every one by default), averaged and
    counted by the database: overall, per agent and per bot.

    A rating is of whoever answered the chat when it ended: its agent, kept when it closes
    (a person, or a bot app's bot user), else the site's bot by the name its last answer
    carried. One nobody answered (closed while it waited, say) counts in ``nobody``.
    """
    rated = Conversation.objects.filter(rating_score__isnull=False)
    if conversations is not None:
        # By id: whatever the given query annotates or orders by stays out of the grouping.
        rated = rated.filter(pk__in=conversations.order_by().values("pk"))
    figures = {"count": Count("pk"), "average": Avg("rating_score")}
    overall = rated.order_by().aggregate(**figures)
    by_agent = list(
        rated.filter(assigned_agent__isnull=False)
        .annotate(
            is_bot=ExpressionWrapper(
                answerers.users_q("assigned_agent_id"), output_field=BooleanField()
            )
        )
        .values("assigned_agent", "is_bot")
        .annotate(**figures)
        .order_by("-count", "assigned_agent")
    )
    by_bot = list(
        rated.filter(assigned_agent__isnull=True)
        .annotate(bot=_last_bot_name())
        .values("bot")
        .annotate(**figures)
        .order_by("-count", "bot")
    )
    names = {
        agent["id"]: agent["name"]
        for agent in agent_identities(user_ids=[row["assigned_agent"] for row in by_agent])
    }
    agents = [
        {"id": row["assigned_agent"], "name": names.get(row["assigned_agent"], "")} | _figures(row)
        for row in by_agent
        if not row["is_bot"]
    ]
    bots = [
        {"name": names.get(row["assigned_agent"], ""), "kind": "bot app"} | _figures(row)
        for row in by_agent
        if row["is_bot"]
    ] + [{"name": row["bot"], "kind": "bot"} | _figures(row) for row in by_bot if row["bot"]]
    nobody = next((_figures(row) for row in by_bot if row["bot"] is None), None)
    return {
        "overall": _figures(overall),
        "agents": agents,
        "bots": sorted(bots, key=lambda row: -row["count"]),
        "nobody": nobody,
    }


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    average = row["average"]
    return {"count": row["count"], "average": None if average is None else float(average)}


def left_messages() -> QuerySet[LeftMessage]:
    return LeftMessage.objects.all()


# --- the product on the visitor's page, from the catalog --------------------------------------


def products_shown(*, conversations: Iterable[Conversation]) -> dict[int, dict[str, Any]]:
    """The products the conversations' pages showed, as staff and bot apps see them, by id;
    a product the catalog no longer has is left out."""
    shop = catalog.catalog()
    ids = {c.current_product_id for c in conversations if c.current_product_id is not None}
    if shop is None or not ids:
        return {}
    return {
        product_id: {"id": product_id, "name": name, "url": url}
        for product_id, (name, url) in shop.pages(ids=ids).items()
    }


def page_context(*, page: str, product_id: int | None) -> PageContext:
    """What the bot knows of the page the visitor asks from, the product's facts fresh."""
    shop = catalog.catalog()
    if shop is None:
        return PageContext(page=page)
    product = shop.products(ids=[product_id]).get(product_id) if product_id else None
    if product is None:
        return PageContext(page=page, find_product=lambda question: _product_named(shop, question))
    return PageContext(page=page, product=product)


def _product_named(shop: catalog.Catalog, question: str) -> ProductFacts | None:
    """The product a question asked off product pages names ("how much is the hoodie?"):
    the catalog narrows itself to names sharing a word with it, the bot decides."""
    asked = products.name_words(question)
    if not asked:
        return None
    return products.named_product(question, list(shop.products_named(words=asked)))


def conversation_messages(*, conversation_id: int) -> QuerySet[Message]:
    """Every message of a conversation, oldest first."""
    return Message.objects.filter(conversation_id=conversation_id).order_by("id")


# --- email ------------------------------------------------------------------------------------


def visitor_conversation_latest(*, session_key: str) -> Conversation | None:
    """The visitor's conversation now: the open one, else the one closed last (a visitor whose
    chat staff just closed still asks for that one's transcript)."""
    if not session_key:
        return None
    return (
        Conversation.objects.filter(session_key=session_key).order_by("-created_at", "-id").first()
    )


def conversation_transcript(*, conversation_id: int) -> tuple[list[Message], int]:
    """The conversation's messages as its chat box shows them, oldest first (the newest
    ``CHAT_HISTORY_LIMIT``), and how many earlier ones that leaves out."""
    limit = conf.get("CHAT_HISTORY_LIMIT")
    messages = conversation_messages(conversation_id=conversation_id)
    latest = list(messages.order_by("-id")[:limit])[::-1]
    left_out = messages.count() - len(latest) if len(latest) == limit else 0
    return latest, left_out


def team_email_addresses() -> list[str]:
    """Who hears of a left message: CHAT_TEAM_EMAILS, then every staff member the console lets
    chat who has an email address; each address once, whatever its case."""
    staff = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .exclude(answerers.users_q("pk"))
        .order_by("pk")
    )
    addresses: dict[str, str] = {}
    for address in [*conf.get("CHAT_TEAM_EMAILS"), *(u.email for u in staff if user_can_chat(u))]:
        addresses.setdefault(address.strip().lower(), address.strip())
    return list(addresses.values())
