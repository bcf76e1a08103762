import pytest

from chat import services
from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Real-time events the services emit to visitors, captured instead of sent."""
    events = []

    def capture(group, event):
        if not group.startswith("chat.staff") and not group.endswith(".staff"):
            events.append((group, event))

    monkeypatch.setattr("chat.realtime._group_send", capture)
    return events


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
    assert sent == [
        (
            f"chat.conversation.{conversation.pk}",
            {"type": "chat.send", "frame": sent[0][1]["frame"]},
        )
    ]


def test_a_closed_conversation_is_not_reopened(sent):
    first = services.conversation_open(session_key="k" * 32)
    Conversation.objects.filter(pk=first.pk).update(closed_at="2026-01-01T00:00Z")
    assert services.conversation_open(session_key="k" * 32) != first


def test_visitor_message_post_stores_question_and_answer(sent, django_capture_on_commit_callbacks):
    conversation = services.conversation_open(session_key="v" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.visitor_message_post(
            conversation_id=conversation.pk,
            text="Where can I find a talk on this topic?",
            client_id="c1",
            channel_name="test!chan",
        )
    assert not post.duplicate
    roles_and_texts = list(conversation.messages.values_list("sender_role", "client_id"))
    assert roles_and_texts[1:] == [("visitor", "c1"), ("bot", None)]
    assert "GopherCon India" in conversation.messages.last().text
    assert [frame["sender"]["role"] for _, frame in [(g, e["frame"]) for g, e in sent]] == [
        "visitor",
        "bot",
    ]


def test_a_duplicate_goes_to_the_sending_connection_only(sent, django_capture_on_commit_callbacks):
    conversation = services.conversation_open(session_key="d" * 32)
    services.visitor_message_post(
        conversation_id=conversation.pk, text="hi", client_id="c1", channel_name="a!b"
    )
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post = services.visitor_message_post(
            conversation_id=conversation.pk, text="hi", client_id="c1", channel_name="a!b"
        )
    assert post.duplicate
    assert Message.objects.filter(conversation=conversation).count() == 3
    [(group, event)] = sent
    assert group.startswith("chat.connection.")
    assert event["frame"]["id"] == str(post.message.uid)


def test_the_same_client_id_in_another_conversation_is_a_different_message(sent):
    one = services.conversation_open(session_key="1" * 32)
    two = services.conversation_open(session_key="2" * 32)
    for conversation in (one, two):
        post = services.visitor_message_post(
            conversation_id=conversation.pk, text="hi", client_id="same", channel_name="x"
        )
        assert not post.duplicate


def test_messages_without_client_id_are_all_kept(sent):
    conversation = services.conversation_open(session_key="n" * 32)
    for _ in range(2):
        services.visitor_message_post(
            conversation_id=conversation.pk, text="hi", client_id=None, channel_name="x"
        )
    assert conversation.messages.filter(sender_role="visitor").count() == 2
