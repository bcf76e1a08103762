"""The bot apps hear the chat's events: webhooks recorded, memberships kept, answerers known."""

import pytest

from botapps import selectors, services, webhooks
from chat import answerers
from chat import events as chat_events
from chat import services as chat_services

pytestmark = pytest.mark.django_db


def test_the_app_subscribes_to_the_chat_s_events_and_answers_beside_staff():
    assert webhooks.announce in chat_events._subscribers
    assert services.memberships_follow in chat_events._subscribers
    assert selectors.ANSWERERS in answerers._registered


def test_a_batch_asks_once_whether_any_bot_app_listens(django_assert_num_queries):
    conversations = [chat_services.conversation_open(session_key=f"{n}" * 32) for n in range(3)]
    created = [
        chat_events.MessagesCreated((c.messages.get(),), chat_events.Audience(staff=False))
        for c in conversations
    ]
    with django_assert_num_queries(1):
        webhooks.announce(created)
