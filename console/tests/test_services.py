"""console/services.py: the team's canned responses, and how far each agent has seen each
conversation."""

import pytest
from django.core.exceptions import ValidationError

from chat import services as chat_services
from chat.tests.conftest import make_agent
from console import services
from console.models import CannedResponse, SeenConversation

pytestmark = pytest.mark.django_db


def test_a_canned_response_is_created_valid_or_not_at_all():
    response = services.canned_response_create(shortcut="Hi", title="Hello", text="Hi!")
    assert CannedResponse.objects.get().shortcut == response.shortcut == "hi"
    with pytest.raises(ValidationError) as refused:
        services.canned_response_create(shortcut="hi", title="", text="{oops}")
    assert set(refused.value.message_dict) == {"shortcut", "title", "text"}
    assert CannedResponse.objects.count() == 1


def test_a_refused_change_leaves_the_stored_response_as_it_was():
    response = services.canned_response_create(shortcut="hi", title="Hello", text="Hi!")
    services.canned_response_update(
        response=response, shortcut="hello", title="Hello", text="Hello, {visitor_name}!"
    )
    assert CannedResponse.objects.get().text == "Hello, {visitor_name}!"
    with pytest.raises(ValidationError):
        services.canned_response_update(response=response, shortcut="x", title="X", text="{")
    stored = CannedResponse.objects.get()
    assert (stored.shortcut, stored.text) == ("hello", "Hello, {visitor_name}!")
    services.canned_response_delete(response=stored)
    assert not CannedResponse.objects.exists()


def test_two_saves_of_one_shortcut_at_once_are_told_apart(monkeypatch):
    services.canned_response_create(shortcut="hi", title="Hello", text="Hi!")
    # As if the other save came between this one's check and its write.
    monkeypatch.setattr(CannedResponse, "validate_unique", lambda self, exclude=None: None)
    with pytest.raises(ValidationError) as refused:
        services.canned_response_create(shortcut="hi", title="Again", text="Hi again!")
    assert refused.value.message_dict == {"shortcut": [services.SHORTCUT_TAKEN]}


@pytest.fixture
def conversation(db):
    conversation = chat_services.conversation_open(session_key="s" * 32)
    for n in range(3):
        chat_services.visitor_message_post(
            conversation_id=conversation.pk, text=f"q{n}", client_id=None, channel_name="x"
        )
    return conversation


def seen(user, conversation) -> int | None:
    row = SeenConversation.objects.filter(user=user, conversation=conversation).first()
    return row and row.visitor_messages


def test_seen_only_moves_forward_and_never_past_what_the_visitor_wrote(conversation):
    anna, ben = make_agent("anna"), make_agent("ben")
    assert (
        services.conversation_seen(user=anna, conversation_id=conversation.pk, visitor_messages=1)
        == 1
    )
    assert seen(anna, conversation) == 1 and seen(ben, conversation) is None
    # An older console's word comes late: it changes nothing.
    assert (
        services.conversation_seen(user=anna, conversation_id=conversation.pk, visitor_messages=0)
        == 1
    )
    assert seen(anna, conversation) == 1
    assert (
        services.conversation_seen(user=anna, conversation_id=conversation.pk, visitor_messages=99)
        == 3
    )
    # All of them, when not told how many.
    assert services.conversation_seen(user=ben, conversation_id=conversation.pk) == 3
    assert SeenConversation.objects.count() == 2


def test_seeing_a_conversation_that_does_not_exist_is_refused(conversation):
    with pytest.raises(chat_services.ConversationNotFound):
        services.conversation_seen(user=make_agent("anna"), conversation_id=conversation.pk + 1)
    assert not SeenConversation.objects.exists()
