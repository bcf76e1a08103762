"""chat/services/conversations.py: opening a visitor's conversation, its sockets, what the
visitor has read, left messages."""

import pytest
from django.utils import translation

from chat import events, selectors, services
from chat.models import Conversation, Message
from shop.models import Product
from testsupport.harness import require_concurrent_writers, run_at_once

from .conftest import (
    ANSWERABLE,
    greeting_of,
    messages_of,
    state_of,
    visitor_says,
)

pytestmark = pytest.mark.django_db


def test_conversation_open_creates_one_conversation_with_a_greeting(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = services.conversation_open(session_key="s" * 32)
    again = services.conversation_open(session_key="s" * 32)
    assert again == conversation
    assert Conversation.objects.count() == 1
    greeting = conversation.messages.get()
    assert greeting.sender_role == "bot"
    assert greeting.text.startswith("Hi there! I'm Case.")
    # The opening socket reads the greeting from the history: nothing to broadcast.
    assert sent == []


def test_every_socket_opened_on_a_conversation_is_counted_until_it_closes(sent):
    conversation = services.conversation_open(session_key="s" * 32)
    services.conversation_open(session_key="s" * 32)
    assert Conversation.objects.get(pk=conversation.pk).open_sockets == 2
    for _ in range(3):
        services.conversation_socket_close(conversation_id=conversation.pk)
    # Never below zero, whatever closes twice.
    assert Conversation.objects.get(pk=conversation.pk).open_sockets == 0


def test_a_closed_conversation_is_not_reopened(sent):
    first = services.conversation_open(session_key="k" * 32)
    Conversation.objects.filter(pk=first.pk).update(closed_at="2026-01-01T00:00Z")
    assert services.conversation_open(session_key="k" * 32) != first


def test_reopening_records_where_the_visitor_is(conversation):
    product = Product.objects.first()
    again = services.conversation_open(
        session_key=conversation.session_key, page="/products/x/", product_id=product.pk
    )
    assert again.pk == conversation.pk
    assert state_of(conversation).current_page == "/products/x/"
    assert state_of(conversation).current_product_id == product.pk
    # A product the catalog does not have is kept as the page gave it, and shown as none.
    services.conversation_open(session_key=conversation.session_key, product_id=987654)
    assert selectors.conversation_summary_get(conversation_id=conversation.pk)["product"] is None


def test_a_conversation_is_greeted_in_the_visitor_s_language_and_records_it(sent):
    conversation = services.conversation_open(session_key="g" * 32, language="de")
    assert state_of(conversation).language == "de"
    greeting = conversation.messages.get()
    assert greeting.text.startswith("Hallo! Ich bin Case. Sie können mir eine Frage")
    # What this request itself speaks is left as it was.
    assert translation.get_language() == "en"


def test_reopening_in_another_language_switches_and_without_one_keeps_it(conversation):
    assert state_of(conversation).language == ""
    services.conversation_open(session_key=conversation.session_key, language="es")
    assert state_of(conversation).language == "es"
    services.conversation_open(session_key=conversation.session_key)
    assert state_of(conversation).language == "es"
    assert selectors.conversation_language(conversation_id=conversation.pk) == "es"


def test_a_conversation_without_a_language_is_in_the_site_s(conversation, settings):
    assert selectors.conversation_language(conversation_id=conversation.pk) == "en"
    settings.LANGUAGE_CODE = "de"
    assert selectors.conversation_language(conversation_id=conversation.pk) == "de"


def test_a_left_message_belongs_to_the_visitors_open_conversation(conversation):
    left = services.left_message_create(
        name="Vi", email="vi@example.com", text="Call me.", session_key=conversation.session_key
    )
    assert left.conversation_id == conversation.pk
    assert (
        services.left_message_create(name="X", email="x@example.com", text="t").conversation is None
    )


def test_a_left_message_is_announced_once(db, monkeypatch):
    announced = []
    monkeypatch.setattr("chat.events._subscribers", [announced.append])
    left = services.left_message_create(name="Vi", email="vi@example.com", text="Call me.")
    assert announced == [(events.LeftMessageCreated(left),)]


# --- what the visitor has read ----------------------------------------------------------------


def read_through(conversation):
    read = state_of(conversation).visitor_read_through
    return None if read is None else str(read.uid)


def newest_of(conversation) -> str:
    return str(Message.objects.filter(conversation_id=conversation.pk).latest("id").uid)


def test_a_new_conversation_s_greeting_is_read_from_the_start(conversation):
    assert read_through(conversation) == greeting_of(conversation)
    assert conversation.visitor_read_through_id == conversation.messages.get().pk
    status = selectors.visitor_status_get(conversation_id=conversation.pk)
    assert status["read_through"] == greeting_of(conversation)


def test_without_a_greeting_nothing_is_read(bot_off):
    conversation = services.conversation_open(session_key="n" * 32)
    assert read_through(conversation) is None
    assert selectors.visitor_status_get(conversation_id=conversation.pk)["read_through"] is None


def test_reading_moves_forward_and_tells_the_visitor_s_other_tabs(events, conversation):
    services.conversation_open(session_key=conversation.session_key)  # a second tab
    visitor_says(conversation, ANSWERABLE, "v1")
    reply = newest_of(conversation)
    events.clear()

    moved = events.run(
        services.conversation_read_mark,
        conversation_id=conversation.pk,
        through=reply,
        channel_name="tab!one",
    )

    assert moved is True
    assert read_through(conversation) == reply
    [(group, event)] = events
    assert group == f"chat.conversation.{conversation.pk}"
    assert event == {
        "type": "chat.send",
        "frame": {"type": "read", "through": reply},
        # The reading tab answers itself: the broadcast is for the others.
        "shown_by": "tab!one",
    }
    assert events.to_staff(conversation.pk) == [] and events.to_inbox() == []


def test_with_one_tab_open_reading_broadcasts_nothing(events, conversation):
    visitor_says(conversation, ANSWERABLE, "v1")
    events.clear()
    assert events.run(
        services.conversation_read_mark,
        conversation_id=conversation.pk,
        through=newest_of(conversation),
        channel_name="tab!one",
    )
    assert read_through(conversation) == newest_of(conversation)
    assert events == []


def test_reading_an_older_message_or_the_same_again_changes_nothing(events, conversation):
    greeting = greeting_of(conversation)
    visitor_says(conversation, ANSWERABLE, "v1")
    reply = newest_of(conversation)
    services.conversation_read_mark(conversation_id=conversation.pk, through=reply)
    events.clear()

    for through in (greeting, reply):
        moved = events.run(
            services.conversation_read_mark, conversation_id=conversation.pk, through=through
        )
        assert moved is False
    assert read_through(conversation) == reply
    assert events == []


def test_a_message_of_another_conversation_or_none_cannot_be_read(events, conversation):
    other = services.conversation_open(session_key="o" * 32)
    visitor_says(conversation, ANSWERABLE, "v1")
    events.clear()
    for through in (greeting_of(other), "0b6c1e2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b"):
        with pytest.raises(services.MessageNotFound) as caught:
            events.run(
                services.conversation_read_mark, conversation_id=conversation.pk, through=through
            )
        assert caught.value.code == "unknown_message"
    assert read_through(conversation) == greeting_of(conversation)
    assert read_through(other) == greeting_of(other)
    assert events == []


def test_a_read_message_that_is_deleted_leaves_nothing_read(conversation):
    Message.objects.filter(conversation_id=conversation.pk).delete()
    assert read_through(conversation) is None
    assert messages_of(conversation) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tabs_reading_at_once_leave_the_newest_read(monkeypatch):
    """The visitor's tabs (threads, each with its own database connection) read at once."""
    require_concurrent_writers()
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)
    conversation = services.conversation_open(session_key="r" * 32)
    for n in range(5):
        visitor_says(conversation, f"Question {n}", f"q{n}")
    ids = [
        str(uid)
        for uid in Message.objects.filter(conversation_id=conversation.pk)
        .order_by("id")
        .values_list("uid", flat=True)
    ]

    lost = run_at_once(
        lambda through: services.conversation_read_mark(
            conversation_id=conversation.pk, through=through
        ),
        ids,
    )

    assert lost == []
    assert read_through(conversation) == ids[-1]
