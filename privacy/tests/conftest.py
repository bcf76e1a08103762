"""Two visitors' data, as the chat and the bot apps store it: Jane's (two sessions, three
conversations, two left messages, a rating, a suggestion, a bot app's membership and webhook
copy, a question only she asked) and Omar's, which nothing done to Jane's may touch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from botapps import services as app_services
from botapps.models import Membership, WebhookDelivery
from bots.models import BotProfile, UnansweredQuestion
from chat.models import Conversation, LeftMessage, Message, Suggestion
from chat.tests.conftest import new_session_key

Role = Message.Role


@dataclass
class Visitor:
    sessions: list[str]
    conversations: list[Conversation]
    left_messages: list[LeftMessage]


def conversation(session_key: str, *texts: tuple[str, str], ago: timedelta = timedelta()):
    """A conversation of the session with (role, text) messages, last active ``ago``."""
    at = timezone.now() - ago
    made = Conversation.objects.create(session_key=session_key, created_at=at, last_message_at=at)
    for role, text in texts:
        Message.objects.create(
            conversation=made, sender_role=role, sender_name=role.title(), text=text, sent_at=at
        )
    return made


def left_message(email: str, *, session_key: str = "", conversation=None, ago=timedelta()):
    return LeftMessage.objects.create(
        name="Jane" if "jane" in email.lower() else "Someone",
        email=email,
        text=f"Please call me back ({email})",
        session_key=session_key,
        conversation=conversation,
        page="/products/1/",
        created_at=timezone.now() - ago,
    )


def unanswered(text: str, *, count: int = 1, ago: timedelta = timedelta()) -> UnansweredQuestion:
    return UnansweredQuestion.objects.create(
        profile=BotProfile.objects.get(slug="case"),
        text=text,
        key=UnansweredQuestion.key_for(text),
        count=count,
        last_asked=timezone.now() - ago,
    )


@pytest.fixture
def jane(db) -> Visitor:
    home, work = new_session_key(), new_session_key()
    rated = conversation(
        home,
        (Role.BOT, "Hi! I'm Case."),
        (Role.VISITOR, "Do you ship gophers to Mars?"),
        (Role.AGENT, "Not yet, sorry!"),
    )
    rated.state = Conversation.State.CLOSED
    rated.closed_at = rated.rated_at = timezone.now()
    rated.rating_score, rated.rating_comment = 5, "Lovely"
    rated.visitor_read_through = rated.messages.last()
    rated.save()
    question = rated.messages.get(sender_role=Role.VISITOR)
    Suggestion.objects.create(conversation=rated, question=question, text="Try Venus")
    ongoing = conversation(home, (Role.VISITOR, "hello"))
    at_work = conversation(work, (Role.VISITOR, "Is the mug in stock?"))
    left_home = left_message("Jane@Example.com", session_key=home, conversation=ongoing)
    left_work = left_message("jane@example.com", session_key=work, conversation=at_work)
    app = app_services.bot_app_create(
        name="Helper",
        title="Assistant",
        avatar="",
        webhook_url="http://127.0.0.1:9/hook",
        subscriptions={},
        is_active=True,
    ).app
    Membership.objects.create(conversation=rated, user=app.user)
    rated.routed_to.add(app)
    WebhookDelivery.objects.create(
        app=app, conversation=rated, event="member_message", resource={"chat_id": rated.pk}
    )
    unanswered("Do you ship gophers to Mars?")  # only she asked it
    unanswered("hello", count=5)  # many did
    return Visitor([home, work], [rated, ongoing, at_work], [left_home, left_work])


@pytest.fixture
def omar(db) -> Visitor:
    session = new_session_key()
    his = conversation(session, (Role.VISITOR, "Do you ship to Oslo?"))
    left = left_message("omar@example.com", session_key=session, conversation=his)
    # Left from no session at all (a page without the chat's session): joins nobody.
    anonymous = left_message("anon@example.com")
    unanswered("Do you ship to Oslo?")
    return Visitor([session], [his], [left, anonymous])


def stored() -> dict[str, int]:
    """How many rows of each kind there are."""
    return {
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
        "left messages": LeftMessage.objects.count(),
        "sessions": Session.objects.count(),
        "suggestions": Suggestion.objects.count(),
        "memberships": Membership.objects.count(),
        "deliveries": WebhookDelivery.objects.count(),
        "unanswered": UnansweredQuestion.objects.count(),
    }
