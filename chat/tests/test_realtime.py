"""chat.realtime: the only emitter. Events leave after the commit of what they tell about."""

import logging
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chat import groups, realtime
from chat.models import Conversation, Message


def new_message(text="Hello", role="visitor", client_id="v-1"):
    conversation = Conversation.objects.create(session_key=uuid.uuid4().hex)
    return Message.objects.create(
        conversation=conversation,
        sender_role=role,
        sender_name="Visitor",
        text=text,
        client_id=client_id,
    )


@pytest.fixture
def sent(monkeypatch):
    captured = []
    monkeypatch.setattr(
        "chat.realtime._group_send", lambda group, event: captured.append((group, event))
    )
    return captured


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_leave_after_the_commit_and_never_for_a_rollback(sent):
    with transaction.atomic():
        message = new_message()
        realtime.publish_message(message)
        assert sent == []
    assert [group for group, _ in sent] == [
        f"chat.conversation.{message.conversation_id}",
        f"chat.conversation.{message.conversation_id}.staff",
    ]

    sent.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        realtime.publish_message(new_message(text="never stored", client_id="v-2"))
        raise RuntimeError("rolled back")
    assert sent == []
    assert not Message.objects.filter(text="never stored").exists()

    # Outside a transaction the write is committed already: the event leaves at once.
    realtime.publish_typing(message.conversation_id, to_staff=True, frame={"type": "typing"})
    assert len(sent) == 1


@pytest.mark.django_db
def test_a_message_goes_to_the_visitor_and_to_the_staff_who_have_it_open(
    sent, django_capture_on_commit_callbacks
):
    message = new_message(role="agent", client_id="a-1")
    with django_capture_on_commit_callbacks(execute=True):
        realtime.publish_message(message)
    (visitor_group, to_visitor), (staff_group, to_staff) = sent
    assert visitor_group == groups.conversation_group(message.conversation_id)
    assert staff_group == groups.conversation_staff_group(message.conversation_id)
    assert to_visitor["type"] == to_staff["type"] == "chat.send"
    assert to_visitor["frame"]["id"] == to_staff["frame"]["id"] == str(message.uid)
    assert "conversation" not in to_visitor["frame"]
    assert to_visitor["frame"]["client_id"] is None
    assert to_staff["frame"]["conversation"] == message.conversation_id
    assert to_staff["frame"]["client_id"] == "a-1"
    assert "shown_by" not in to_visitor


@pytest.mark.django_db
def test_a_message_reaches_only_the_audience_that_may_be_listening(
    sent, django_capture_on_commit_callbacks
):
    message = new_message(role="visitor", client_id="v-1")
    with django_capture_on_commit_callbacks(execute=True):
        # One tab, no console: the answered connection shows it itself, nothing is sent.
        realtime.publish_message(
            message, realtime.Audience(answered="specific.a!b", other_tabs=False, staff=False)
        )
    assert sent == []

    with django_capture_on_commit_callbacks(execute=True):
        realtime.publish_message(
            message, realtime.Audience(answered="specific.a!b", other_tabs=True, staff=False)
        )
    ((group, event),) = sent
    assert group == groups.conversation_group(message.conversation_id)
    # The answered connection drops its copy: it has shown the message already.
    assert event["shown_by"] == "specific.a!b"

    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        realtime.publish_message(message, realtime.Audience(other_tabs=False, staff=True))
    assert [group for group, _ in sent] == [
        groups.conversation_staff_group(message.conversation_id)
    ]


@pytest.mark.django_db
def test_each_event_reaches_its_group(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        realtime.publish_conversation({"id": 3, "state": "waiting"})
        realtime.publish_visitor_status(3, {"leave_message": True})
        realtime.publish_presence([{"id": 1}], online=False, out_of_hours=False)
        realtime.publish_typing(3, to_staff=True, frame={"type": "typing", "active": True})
        realtime.publish_typing(3, to_staff=False, frame={"type": "typing", "active": False})
    assert [(group, event["frame"]) for group, event in sent] == [
        ("chat.staff.inbox", {"type": "conversation", "id": 3, "state": "waiting"}),
        ("chat.conversation.3", {"type": "status", "leave_message": True}),
        ("chat.staff.inbox", {"type": "presence", "agents": [{"id": 1}]}),
        ("chat.visitors", {"type": "online", "online": False, "out_of_hours": False}),
        ("chat.conversation.3.staff", {"type": "typing", "active": True, "conversation": 3}),
        ("chat.conversation.3", {"type": "typing", "active": False}),
    ]
    assert not any("shown_by" in event for _, event in sent)


@pytest.mark.django_db
def test_a_failing_channel_layer_is_logged_and_does_not_fail_the_caller(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(group, event):
        raise ConnectionError("channel layer down")

    monkeypatch.setattr("chat.realtime._group_send", broken)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        realtime.publish_conversation({"id": 1})
    assert "channel layer down" in caplog.text


@pytest.mark.django_db
def test_events_reach_the_channels_in_the_group(django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(groups.visitors_group(), channel)
    with django_capture_on_commit_callbacks(execute=True):
        realtime.publish_presence([], online=True, out_of_hours=False)
    event = async_to_sync(layer.receive)(channel)
    assert event == {
        "type": "chat.send",
        "frame": {"type": "online", "online": True, "out_of_hours": False},
    }
