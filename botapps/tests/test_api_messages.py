"""Messages through the bot API: reading a conversation, writing to the visitor, retries made
safe by idempotency keys, and rich content (attachments) checked strictly."""

from __future__ import annotations

import pytest

from chat import services
from chat.models import Conversation, Message
from chat.tests.conftest import make_agent

from . import test_api_support as support
from .test_api_support import Api, error, make_bot_app, routed_conversation

pytestmark = pytest.mark.django_db
own_rate_counters, robo, api = support.own_rate_counters, support.robo, support.api

BUTTON = {"type": "button", "text": "Talk to a person", "value": "request_human"}
LINK = {"type": "link", "text": "Visit the shop", "link": "https://shop.example.com/go?x=1"}


@pytest.fixture
def chat(api) -> Conversation:
    """A conversation the bot has joined and answers."""
    conversation = routed_conversation()
    joined = api.post(f"/users/{{me}}/routed_chats/{conversation.pk}/memberships", {})
    assert joined.status_code == 201
    return conversation


def messages_path(conversation: Conversation) -> str:
    return f"/users/{{me}}/chats/{conversation.pk}/messages"


def say(api: Api, conversation: Conversation, body, **headers):
    return api.post(messages_path(conversation), body, **headers)


def bot_messages(conversation: Conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, sender_role="agent"))


# --- reading ----------------------------------------------------------------------------------


def test_messages_are_listed_oldest_first_in_cursor_pages(api, chat):
    for n in range(4):
        services.visitor_message_post(
            conversation_id=chat.pk, text=f"question {n}", client_id=None, channel_name="x"
        )
    stored = list(Message.objects.filter(conversation=chat).order_by("id"))
    seen, url = [], messages_path(chat) + "?page_size=2"
    while url:
        page = api.get(url)
        assert page.status_code == 200
        assert len(page.json()["results"]) <= 2
        seen.extend(page.json()["results"])
        url = page.json()["next"]
    assert [message["id"] for message in seen] == [str(message.uid) for message in stored]
    first_question = next(m for m in seen if m["message"] == "question 0")
    assert first_question == {
        "id": first_question["id"],
        "chat_id": chat.pk,
        "type": "msg",
        "sender_type": "visitor",
        "sender_id": None,
        "sender_name": "Visitor",
        "sender_title": "",
        "message": "question 0",
        "attachments": [],
        "response_value": None,
        "created_at": first_question["created_at"],
    }
    assert {m["type"] for m in seen} == {"msg", "info"}  # "joined" notices are info


def test_a_page_of_messages_is_at_most_200(api, chat):
    error(api.get(messages_path(chat) + "?page_size=201"), 400, "invalid")
    assert api.get(messages_path(chat) + "?page_size=200").status_code == 200
    error(api.get(messages_path(chat) + "?cursor=garbage"), 404, "not_found")


def test_a_bot_reads_a_routed_conversation_without_joining(api):
    conversation = routed_conversation()
    response = api.get(messages_path(conversation))
    assert response.status_code == 200
    assert response.json()["results"][0]["sender_type"] == "bot"  # the site's bot's greeting


# --- writing ----------------------------------------------------------------------------------


def test_a_bot_writes_to_the_visitor(api, robo, chat):
    response = say(api, chat, {"message": "  Nice to meet you!\n"})
    assert response.status_code == 201
    message = response.json()
    assert message["message"] == "Nice to meet you!"
    assert (message["type"], message["sender_type"], message["sender_id"]) == (
        "msg",
        "user",
        robo.app.user_id,
    )
    assert (message["sender_name"], message["sender_title"]) == ("Robo", "Helper")
    (stored,) = bot_messages(chat)
    assert (str(stored.uid), stored.text, stored.sender_user_id) == (
        message["id"],
        "Nice to meet you!",
        robo.app.user_id,
    )


def test_writing_without_joining_is_409_not_a_member(api):
    conversation = routed_conversation()
    body = error(say(api, conversation, {"message": "hi"}), 409, "not_a_member")
    assert "Join the conversation" in body["detail"]
    assert bot_messages(conversation) == []


def test_a_member_that_does_not_answer_cannot_write(api):
    conversation = routed_conversation()
    api.post(
        f"/users/{{me}}/routed_chats/{conversation.pk}/memberships", {"is_participating": False}
    )
    error(say(api, conversation, {"message": "hi"}), 409, "not_yours")


def test_after_a_person_takes_over_the_bot_cannot_write(api, chat):
    anna = make_agent("anna", first_name="Anna")
    services.conversation_take(conversation_id=chat.pk, user=anna)
    error(say(api, chat, {"message": "still me"}), 409, "not_yours")
    assert bot_messages(chat) == []


def test_writing_to_a_closed_conversation_is_409_closed(api, chat):
    Conversation.objects.filter(pk=chat.pk).update(state=Conversation.State.CLOSED)
    body = error(say(api, chat, {"message": "hello?"}), 409, "closed")
    assert body["detail"] == "This conversation is closed."


# --- idempotency ------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_stores_one_message(api, chat):
    body = {"message": "Only once", "attachments": [{"actions": [BUTTON]}]}
    first = say(api, chat, body, HTTP_IDEMPOTENCY_KEY="chat-1:msg-9")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    again = say(api, chat, body, HTTP_IDEMPOTENCY_KEY="chat-1:msg-9")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(bot_messages(chat)) == 1


def test_the_same_key_for_another_message_is_409(api, chat):
    say(api, chat, {"message": "First"}, HTTP_IDEMPOTENCY_KEY="k")
    error(
        say(api, chat, {"message": "Second"}, HTTP_IDEMPOTENCY_KEY="k"), 409, "idempotency_conflict"
    )
    error(
        say(
            api,
            chat,
            {"message": "First", "attachments": [{"actions": [BUTTON]}]},
            HTTP_IDEMPOTENCY_KEY="k",
        ),
        409,
        "idempotency_conflict",
    )
    assert [m.text for m in bot_messages(chat)] == ["First"]


def test_without_a_key_every_post_is_a_new_message(api, chat):
    say(api, chat, {"message": "Hi"})
    say(api, chat, {"message": "Hi"})
    assert len(bot_messages(chat)) == 2


def test_keys_are_the_apps_own(robo, chat):
    """Another app's key, however equal, is another key."""
    other = make_bot_app("Other")
    chat.routed_to.add(other.app)
    other_api = Api.with_key(other)
    say(Api.with_key(robo), chat, {"message": "Mine"}, HTTP_IDEMPOTENCY_KEY="same")
    anna = make_agent("anna")
    services.conversation_take(conversation_id=chat.pk, user=anna)
    services.conversation_hand_back(conversation_id=chat.pk, user=anna)
    other_api.post(f"/users/{{me}}/routed_chats/{chat.pk}/memberships", {})
    response = say(other_api, chat, {"message": "Theirs"}, HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201


@pytest.mark.parametrize("key", ["", "has space", "ä", "x" * 65, "a/b"])
def test_an_idempotency_key_is_checked(api, chat, key):
    body = error(say(api, chat, {"message": "hi"}, HTTP_IDEMPOTENCY_KEY=key), 400, "invalid")
    assert list(body["fields"]) == ["Idempotency-Key"]
    assert bot_messages(chat) == []


# --- the body ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": ""}, "message"),
        ({"message": " \n\t\u3000"}, "message"),
        ({"message": "x" * 2001}, "message"),
        ({"message": " " * 1999 + "xy"}, "message"),  # too long before trimming
        ({"message": "nul\x00here"}, "message"),
        ({"message": 5}, "message"),
        ({"message": None}, "message"),
        ({"message": ["hi"]}, "message"),
        ({"message": "hi", "text": "hi"}, "text"),
        ({"message": "hi", "attachments": None}, "attachments"),
        ({"message": "hi", "attachments": {"actions": [BUTTON]}}, "attachments"),
    ],
)
def test_the_message_is_checked_strictly(api, chat, body, field):
    response = error(say(api, chat, body), 400, "invalid")
    assert list(response["fields"]) == [field]
    assert bot_messages(chat) == []


def test_the_longest_message_is_the_chats_setting(api, chat, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    error(say(api, chat, {"message": "x" * 11}), 400, "invalid")
    assert say(api, chat, {"message": "x" * 10}).status_code == 201


# --- attachments ------------------------------------------------------------------------------


def test_attachments_are_stored_as_given_and_shown_as_stored(api, chat):
    attachments = [
        {"text": "What would you like to know?", "actions": [BUTTON, LINK]},
        {"actions": [{"type": "link", "text": "Docs", "link": "http://127.0.0.1:8000/"}]},
    ]
    response = say(api, chat, {"message": "Choose", "attachments": attachments})
    assert response.status_code == 201
    assert response.json()["attachments"] == attachments
    assert bot_messages(chat)[0].attachments == attachments


def test_labels_and_texts_are_trimmed_values_are_not(api, chat):
    attachments = [
        {
            "text": "  Pick one ",
            "actions": [{"type": "button", "text": " Yes ", "value": " yes "}],
        }
    ]
    response = say(api, chat, {"message": "?", "attachments": attachments})
    assert response.json()["attachments"] == [
        {"text": "Pick one", "actions": [{"type": "button", "text": "Yes", "value": " yes "}]}
    ]


def attachment_with(**action) -> dict:
    return {"message": "m", "attachments": [{"actions": [action]}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "m", "attachments": [{"actions": [BUTTON]}] * 6}, "attachments"),
        ({"message": "m", "attachments": [{"actions": []}]}, "attachments.0.actions"),
        ({"message": "m", "attachments": [{"actions": [BUTTON] * 11}]}, "attachments.0.actions"),
        ({"message": "m", "attachments": [{"text": "only text"}]}, "attachments.0.actions"),
        ({"message": "m", "attachments": ["text"]}, "attachments.0"),
        ({"message": "m", "attachments": [{"actions": ["x"]}]}, "attachments.0.actions.0"),
        (
            {"message": "m", "attachments": [{"text": "x" * 1001, "actions": [BUTTON]}]},
            "attachments.0.text",
        ),
        (
            {"message": "m", "attachments": [{"text": "  ", "actions": [BUTTON]}]},
            "attachments.0.text",
        ),
        (
            {"message": "m", "attachments": [{"actions": [BUTTON], "style": "big"}]},
            "attachments.0.style",
        ),
        (attachment_with(**BUTTON, color="red"), "attachments.0.actions.0.color"),
        (attachment_with(**BUTTON, link="https://x.example"), "attachments.0.actions.0.link"),
        (attachment_with(**LINK, value="v"), "attachments.0.actions.0.value"),
        (attachment_with(type="menu", text="a", value="b"), "attachments.0.actions.0.type"),
        (attachment_with(text="a", value="b"), "attachments.0.actions.0.type"),
        (attachment_with(type="button", value="b"), "attachments.0.actions.0.text"),
        (attachment_with(type="button", text="a"), "attachments.0.actions.0.value"),
        (attachment_with(type="button", text=" ", value="b"), "attachments.0.actions.0.text"),
        (attachment_with(type="button", text="x" * 81, value="b"), "attachments.0.actions.0.text"),
        (attachment_with(type="button", text="a", value=""), "attachments.0.actions.0.value"),
        (
            attachment_with(type="button", text="a", value="x" * 201),
            "attachments.0.actions.0.value",
        ),
        (
            attachment_with(type="button", text="a", value="new\nline"),
            "attachments.0.actions.0.value",
        ),
        (attachment_with(type="button", text="a", value=7), "attachments.0.actions.0.value"),
        (attachment_with(type="button", text=True, value="b"), "attachments.0.actions.0.text"),
        (
            attachment_with(type="link", text="a", link="javascript:alert(1)"),
            "attachments.0.actions.0.link",
        ),
        (
            attachment_with(type="link", text="a", link="ftp://x.example/f"),
            "attachments.0.actions.0.link",
        ),
        (attachment_with(type="link", text="a", link="/relative"), "attachments.0.actions.0.link"),
        (attachment_with(type="link", text="a", link="https://"), "attachments.0.actions.0.link"),
        (
            attachment_with(type="link", text="a", link="https://user:pw@x.example/"),
            "attachments.0.actions.0.link",
        ),
        (
            attachment_with(type="link", text="a", link="https://x.example/a b"),
            "attachments.0.actions.0.link",
        ),
        (
            attachment_with(type="link", text="a", link="https://x.example/" + "a" * 490),
            "attachments.0.actions.0.link",
        ),
    ],
)
def test_attachments_are_checked_strictly(api, chat, body, field):
    response = error(say(api, chat, body), 400, "invalid")
    assert list(response["fields"]) == [field], response
    assert bot_messages(chat) == []


def test_a_quick_reply_comes_back_as_the_visitors_message_with_its_value(api, chat):
    say(api, chat, {"message": "Need a person?", "attachments": [{"actions": [BUTTON]}]})
    services.visitor_message_post(
        conversation_id=chat.pk,
        text=BUTTON["text"],
        client_id="press-1",
        channel_name="x",
        response_value=BUTTON["value"],
    )
    latest = api.get(messages_path(chat)).json()["results"][-1]
    assert (latest["sender_type"], latest["message"], latest["response_value"]) == (
        "visitor",
        "Talk to a person",
        "request_human",
    )
