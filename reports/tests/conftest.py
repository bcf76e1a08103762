"""A made-up week of the chat with every figure known in advance (``history``), and helpers to
make staff, bot apps, conversations and their messages at given times."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from botapps import services as botapps_services
from chat.models import Conversation, Message
from reports import selectors, services
from reports.periods import Period

#: Monday 10 March 2025, 09:00 in the site's time zone (UTC in the tests).
MONDAY = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
WEEK = Period(start=date(2025, 3, 10), end=date(2025, 3, 16))


def make_staff(username: str, *, first_name: str = "", permission: bool = True):
    """A staff member, who may chat with visitors unless told otherwise."""
    user = get_user_model().objects.create_user(
        username=username, password="a-long-test-password-7", first_name=first_name, is_staff=True
    )
    if permission:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="chat", codename="chat_with_visitors")
        )
    return get_user_model().objects.get(pk=user.pk)


def make_bot_app(name: str = "Helper"):
    """A bot app's user: it writes as agents do."""
    made = botapps_services.bot_app_create(
        name=name,
        title="Shop assistant",
        avatar="",
        webhook_url="http://127.0.0.1:9/hook",
        subscriptions={},
        is_active=True,
    )
    return made.app.user


def conversation(
    started: datetime,
    *messages: tuple,
    agent=None,
    rating: int | None = None,
    state: str = Conversation.State.CLOSED,
) -> Conversation:
    """A conversation started at ``started`` with ``messages``, each ``(role, seconds after
    the start)`` or ``(role, seconds, user)``; its last activity is its last message."""
    offsets = [message[1] for message in messages]
    made = Conversation.objects.create(
        session_key=uuid.uuid4().hex,
        state=state,
        assigned_agent=agent,
        created_at=started,
        last_message_at=started + timedelta(seconds=max(offsets, default=0)),
        closed_at=started + timedelta(hours=1) if state == Conversation.State.CLOSED else None,
        rating_score=rating,
    )
    for role, seconds, *user in messages:
        message_add(made, role, seconds, user[0] if user else None)
    return made


def message_add(made: Conversation, role: str, seconds: float, user=None) -> Message:
    """A message ``seconds`` after the conversation's start, which moves its last activity
    as the chat does."""
    at = made.created_at + timedelta(seconds=seconds)
    message = Message.objects.create(
        conversation=made,
        sender_role=role,
        sender_name=user.get_username() if user else role.title(),
        text=f"A {role}'s message",
        sender_user=user,
        sent_at=at,
    )
    Conversation.objects.filter(pk=made.pk).update(last_message_at=at)
    return message


def report_of(period: Period = WEEK) -> selectors.Report:
    """The report as the page gets it: the stored figures brought up to date, then read."""
    services.figures_refresh(period=period)
    return selectors.report(period=period)


@dataclass
class History:
    anna: object
    bob: object
    helper: object
    conversations: dict[str, Conversation]


@pytest.fixture
def history(db) -> History:
    """Seven conversations of the week (and two just outside it), each a case of its own:

    ==== ======= =========== ============ =============== ======== ======== ======
    name day     outcome     first reply  1st human reply messages duration rating
    ==== ======= =========== ============ =============== ======== ======== ======
    c1   Mon     bots        2 s (bot)                    3        12 s     5 (bot)
    c2   Mon     person      1 s (bot)    120 s (Anna)    6        140 s    4 (Anna)
    c3   Mon     no question
    c4   Tue     person      60 s (Bob)   60 s (Bob)      3        90 s     2 (Bob)
    c5   Tue     unanswered                               1        0 s
    c6   Tue     bots        30 s (app)                   3        40 s     3 (app)
    c7   Wed     person      1 s (bot)    none (Anna)     4        300 s
    ==== ======= =========== ============ =============== ======== ======== ======
    """
    anna = make_staff("anna", first_name="Anna")
    bob = make_staff("bob", first_name="Bob")
    helper = make_bot_app("Helper")
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    made = {
        # The bot's greeting, a question, the bot's answer.
        "c1": conversation(MONDAY, ("bot", 0), ("visitor", 10), ("bot", 12), rating=5),
        # Answered by the bot, then the visitor asks for a person and waits from their first
        # message since that answer (at 20 s), writing again meanwhile; the chat's notice is
        # nobody's reply. Anna answers at 140 s: a wait of 120 s.
        "c2": conversation(
            MONDAY + timedelta(hours=1),
            ("bot", 0),
            ("visitor", 5),
            ("bot", 6),
            ("visitor", 20),
            ("system", 21),
            ("visitor", 50),
            ("agent", 140, anna),
            agent=anna,
            rating=4,
        ),
        # Opened, greeted, never asked anything.
        "c3": conversation(MONDAY + timedelta(hours=2), ("bot", 0)),
        # The bot off: Bob gives the first reply, and the first human reply.
        "c4": conversation(
            tuesday, ("bot", 0), ("visitor", 30), ("agent", 90, bob), agent=bob, rating=2
        ),
        # A question nobody answered, without a greeting.
        "c5": conversation(tuesday + timedelta(hours=1), ("visitor", 0), state="waiting"),
        # A bot app answers alone, and holds it at the end.
        "c6": conversation(
            tuesday + timedelta(hours=2),
            ("bot", 0),
            ("visitor", 10),
            ("agent", 40, helper),
            agent=helper,
            rating=3,
        ),
        # The bot answers; Anna writes later, unasked: no wait of the visitor's to count.
        "c7": conversation(
            wednesday, ("bot", 0), ("visitor", 10), ("bot", 11), ("agent", 300, anna)
        ),
        # Just before the week and just after it (the end's midnight belongs to the next day).
        "before": conversation(MONDAY - timedelta(hours=9, seconds=1), ("visitor", 0)),
        "after": conversation(MONDAY + timedelta(days=6, hours=15), ("visitor", 0)),
    }
    return History(anna=anna, bob=bob, helper=helper, conversations=made)
