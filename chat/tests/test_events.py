"""One choke point: services announce each change once, and both subscribers hear it."""

import pytest

from chat import events as chat_events
from chat import realtime, services

from .conftest import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every announcement, as the tuple of events a subscriber gets."""
    announcements: list[tuple] = []
    chat_events.subscribe(announcements.append)
    yield announcements
    chat_events.unsubscribe(announcements.append)


def test_each_subscriber_gets_one_announcement_with_all_its_events_in_order():
    got_a, got_b = [], []
    first = chat_events.PresenceChanged()
    second = chat_events.NobodyAvailable(3)
    for subscriber in (got_a.append, got_b.append):
        chat_events.subscribe(subscriber)
        chat_events.subscribe(subscriber)  # twice: still heard once
    try:
        chat_events.publish(first, second)
        chat_events.publish()  # nothing to announce: nobody is bothered
    finally:
        chat_events.unsubscribe(got_a.append)
        chat_events.unsubscribe(got_b.append)
    assert got_a == got_b == [(first, second)]


def test_the_chat_subscribes_the_sockets():
    assert realtime.announce in chat_events._subscribers


def test_a_change_is_announced_once_with_everything_it_changed(heard):
    conversation = services.conversation_open(session_key="e" * 32)
    anna = make_agent("anna", first_name="Anna")
    heard.clear()
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    assert len(heard) == 1
    (notice, changed) = heard[0]
    assert notice.messages[0].text == "Anna (Support) joined and is answering now."
    assert changed == chat_events.ConversationTaken(conversation.pk, agent_id=anna.pk)


def test_the_consoles_get_a_conversation_s_row_once_however_many_events_change_it(events):
    conversation = services.conversation_open(session_key="r" * 32)
    anna = make_agent("anna", first_name="Anna")
    events.clear()
    events.run(services.conversation_take, conversation_id=conversation.pk, user=anna)
    rows = [frame for frame in events.to_inbox() if frame["type"] == "conversation"]
    assert [row["id"] for row in rows] == [conversation.pk]
    assert rows[0]["state"] == "agent"
    # The visitor hears who answers now, after the notice.
    to_visitor = [frame["type"] for frame in events.to_visitor(conversation.pk)]
    assert to_visitor == ["message", "status"]
