"""chat/services/conversations.py: opening a visitor's conversation, its sockets, left messages."""

import pytest
from django.utils import translation

from chat import selectors, services
from chat.models import Conversation
from shop.models import Product

from .conftest import (
    state_of,
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
