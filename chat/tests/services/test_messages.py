"""chat/services/messages.py: what agents write, suggestions sent, and typing."""

import pytest

from chat import selectors, services
from chat.models import Message, Suggestion

from .conftest import (
    ANSWERABLE,
    messages_of,
    visitor_says,
)

pytestmark = pytest.mark.django_db


def test_an_agent_writes_to_the_visitor_with_name_and_title(events, taken, anna, respond_calls):
    post = events.run(
        services.agent_message_post,
        conversation_id=taken.pk,
        user=anna,
        text="Hello, I'm Anna.",
        client_id="a-1",
    )
    assert not post.duplicate
    message = post.message
    assert (message.sender_role, message.sender_name, message.sender_title) == (
        "agent",
        "Anna",
        "Support",
    )
    [to_visitor] = events.to_visitor(taken.pk)
    assert to_visitor["sender"] == {"role": "agent", "name": "Anna", "title": "Support"}
    assert to_visitor["text"] == "Hello, I'm Anna."
    # The visitor has no use for the console's own ids.
    assert to_visitor["client_id"] is None
    [to_staff] = events.to_staff(taken.pk)
    assert to_staff == {**to_visitor, "client_id": "a-1", "conversation": taken.pk}
    # The bot reacts to visitors only.
    assert respond_calls == []
    assert messages_of(taken)[-1] == ("agent", "Hello, I'm Anna.")


def test_only_the_assigned_agent_writes(conversation, anna, ben):
    with pytest.raises(services.NotYourConversation) as caught:
        services.agent_message_post(conversation_id=conversation.pk, user=anna, text="hi")
    assert caught.value.code == "not_yours"
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    with pytest.raises(services.NotYourConversation):
        services.agent_message_post(conversation_id=conversation.pk, user=ben, text="hi")
    with pytest.raises(services.ConversationNotFound):
        services.agent_message_post(conversation_id=987654, user=anna, text="hi")
    assert ("agent", "hi") not in messages_of(conversation)


def test_an_agents_resend_stores_nothing_and_answers_the_console_only(events, taken, anna):
    first = services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="One moment.", client_id="a-1"
    )
    again = events.run(
        services.agent_message_post,
        conversation_id=taken.pk,
        user=anna,
        text="One moment.",
        client_id="a-1",
    )
    assert again.duplicate
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(conversation=taken, sender_role="agent").count() == 1
    # The console that resent is answered by its consumer; nobody else hears of it.
    assert list(events) == []


def test_an_agents_resend_is_acknowledged_even_after_the_conversation_moved_on(taken, anna, ben):
    first = services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="Ben will help.", client_id="a-1"
    )
    services.conversation_transfer(conversation_id=taken.pk, user=anna, to_user_id=ben.pk)
    again = services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="Ben will help.", client_id="a-1"
    )
    assert again.duplicate and again.message.pk == first.message.pk


def test_an_agent_cannot_reuse_a_visitors_client_id(taken, anna):
    visitor_says(taken, "hello", "same-id")
    with pytest.raises(services.ChatActionError):
        services.agent_message_post(
            conversation_id=taken.pk, user=anna, text="hi", client_id="same-id"
        )
    assert Message.objects.filter(conversation=taken, client_id="same-id").count() == 1


def test_the_agent_typing_is_shown_to_the_visitor_only_by_their_agent(events, taken, anna, ben):
    events.run(services.agent_typing, conversation_id=taken.pk, user=anna, active=True)
    assert events.to_visitor(taken.pk) == [
        {
            "type": "typing",
            "active": True,
            "sender": {"role": "agent", "name": "Anna", "title": "Support"},
        }
    ]
    with pytest.raises(services.NotYourConversation):
        services.agent_typing(conversation_id=taken.pk, user=ben, active=True)


def test_the_visitor_typing_is_shown_to_staff(events, conversation):
    events.run(services.visitor_typing, conversation_id=conversation.pk, active=True)
    assert events == [
        (
            f"chat.conversation.{conversation.pk}.staff",
            {
                "type": "chat.send",
                "frame": {"type": "typing", "active": True, "conversation": conversation.pk},
            },
        )
    ]


def test_sending_a_suggestion_marks_it_sent(taken, anna):
    services.conversation_set_sidekick(conversation_id=taken.pk, user=anna, active=True)
    visitor_says(taken, ANSWERABLE, "v1")
    suggestion = Suggestion.objects.get(conversation=taken)
    frames = selectors.conversation_staff_frames(conversation_id=taken.pk)
    assert frames[-1]["type"] == "suggestion"

    post = services.agent_message_post(
        conversation_id=taken.pk,
        user=anna,
        text="Edited: " + suggestion.text,
        client_id="a-1",
        suggestion=str(suggestion.uid),
    )
    suggestion.refresh_from_db()
    assert suggestion.sent_message == post.message
    assert post.message.sender_role == "agent"
    assert post.message.text.startswith("Edited: ")
    frames = selectors.conversation_staff_frames(conversation_id=taken.pk)
    assert [frame["type"] for frame in frames][-1] == "message"


def test_a_suggestion_of_another_conversation_is_not_marked(taken, anna):
    other = services.conversation_open(session_key="o" * 32)
    services.conversation_set_sidekick(conversation_id=other.pk, user=anna, active=True)
    visitor_says(other, ANSWERABLE, "v1")
    suggestion = Suggestion.objects.get(conversation=other)
    services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="hi", suggestion=str(suggestion.uid)
    )
    suggestion.refresh_from_db()
    assert suggestion.sent_message is None
