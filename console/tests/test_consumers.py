"""The staff console's socket (console/consumers.py), driven through the site's ASGI
application as a browser would, beside visitors' chat boxes."""

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from chat import selectors, services
from chat.models import AgentClient, Conversation, Message, Note
from chat.tests.conftest import (
    make_agent,
    set_bot_enabled,
    set_sidekick_default,
    staff_communicator,
)
from chat.tests.test_consumers import (
    GREETING_START,
    ISOMORPHIC_GO_ANSWER,
    TIMEOUT,
    ask,
    connect,
    connect_on_page,
    new_visitor,
    stored_messages,
)
from shop.models import Product

# Consumers reach the database from worker threads, so tests commit for real;
# serialized_rollback restores the migrated knowledge base and products after each.
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# --- the staff console ------------------------------------------------------------------------

ASKS_FOR_A_PERSON = "I want to talk to a human"
ANNA = {"role": "agent", "name": "Anna", "title": "Support"}


async def new_agent(username, **options):
    """A staff member who may chat; present only once their console connects."""
    options.setdefault("first_name", username.capitalize())
    return await database_sync_to_async(make_agent)(username, present=False, **options)


async def open_console(user):
    """A connected console of ``user``, past its hello, presence and conversation list."""
    communicator = await database_sync_to_async(staff_communicator)(user)
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from(TIMEOUT)
    assert hello["type"] == "hello", hello
    assert (await communicator.receive_json_from(TIMEOUT))["type"] == "presence"
    listing = await communicator.receive_json_from(TIMEOUT)
    assert listing["type"] == "conversations"
    communicator.hello, communicator.listing = hello, listing
    return communicator


async def expect(communicator, frame_type, **fields):
    """The next frame of ``frame_type`` with ``fields``; frames before it are skipped."""
    skipped = []
    for _ in range(50):
        frame = await communicator.receive_json_from(TIMEOUT)
        if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in fields.items()):
            return frame
        skipped.append(frame)
    raise AssertionError(f"no {frame_type} {fields} frame; got {skipped}")


async def drain(communicator, quiet=0.3):
    """Every frame until the socket is quiet for ``quiet`` seconds."""
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_json_from(TIMEOUT))
    return frames


async def conversation_of(session_key):
    return await database_sync_to_async(
        lambda: Conversation.objects.get(session_key=session_key, closed_at__isnull=True).pk
    )()


@database_sync_to_async
def greeting_of(session_key):
    """The id of the visitor's greeting, as frames carry it."""
    return str(Message.objects.filter(conversation__session_key=session_key).earliest("id").uid)


async def say(communicator, text, client_id):
    await communicator.send_json_to({"type": "message", "text": text, "client_id": client_id})


async def act(console, action, conversation=None, **fields):
    frame = {"type": action, **fields}
    if conversation is not None:
        frame["conversation"] = conversation
    await console.send_json_to(frame)


async def visitor_waiting_for(console):
    """A visitor who asked for a person, and the id of their conversation, seen by ``console``."""
    session_key = await new_visitor()
    visitor = await connect(session_key)
    await visitor.receive_json_from(TIMEOUT)  # the greeting
    await say(visitor, ASKS_FOR_A_PERSON, "p-1")
    conversation = await conversation_of(session_key)
    await expect(console, "conversation", id=conversation, state="waiting")
    await expect(visitor, "status", state="waiting")
    return visitor, conversation, session_key


async def taken_by(console, visitor, conversation):
    await act(console, "open", conversation)
    await expect(console, "opened")
    await act(console, "take", conversation)
    await expect(visitor, "status", state="agent")
    await expect(console, "conversation", id=conversation, state="agent")


@pytest.mark.parametrize("who", ["anonymous", "no_permission", "not_staff"])
async def test_a_console_is_refused_without_a_staff_login_with_the_permission(who):
    user = None
    if who == "no_permission":
        user = await new_agent("anna", permission=False)
    elif who == "not_staff":
        user = await new_agent("anna", staff=False)
    communicator = await database_sync_to_async(staff_communicator)(user)
    connected, _ = await communicator.connect()
    assert connected
    error = await communicator.receive_json_from(TIMEOUT)
    assert error["type"] == "error"
    assert error["code"] == "forbidden"
    assert await communicator.receive_output(TIMEOUT) == {"type": "websocket.close", "code": 4003}
    assert await database_sync_to_async(AgentClient.objects.count)() == 0


async def test_a_console_on_another_site_cannot_connect():
    anna = await new_agent("anna")
    communicator = await database_sync_to_async(staff_communicator)(
        anna, origin="https://evil.example"
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_console_says_hello_and_lists_who_is_present_and_the_conversations():
    first = await connect(await new_visitor())
    second = await connect(await new_visitor())
    anna = await new_agent("anna", title="Support")
    communicator = await database_sync_to_async(staff_communicator)(anna)
    assert (await communicator.connect())[0]

    hello = await communicator.receive_json_from(TIMEOUT)
    assert hello == {
        "type": "hello",
        "me": {"id": anna.pk, "name": "Anna", "title": "Support"},
        "accepting": True,
        "heartbeat_seconds": 20,
    }
    presence = await communicator.receive_json_from(TIMEOUT)
    assert presence == {
        "type": "presence",
        "agents": [{"id": anna.pk, "name": "Anna", "title": "Support", "accepting": True}],
    }
    listing = await communicator.receive_json_from(TIMEOUT)
    assert listing["type"] == "conversations"
    ids = [summary["id"] for summary in listing["conversations"]]
    assert len(ids) == 2 and ids[0] > ids[1]  # newest first
    assert all(summary["state"] == "bot" for summary in listing["conversations"])
    assert await database_sync_to_async(selectors.present_agent_ids)() == {anna.pk}
    for communicator_ in (communicator, first, second):
        await communicator_.disconnect()


async def test_a_console_is_in_a_private_group_any_process_can_address_it_by():
    anna = await new_agent("anna", title="Support")
    console = await open_console(anna)
    layer = get_channel_layer()
    (private,) = [name for name in layer.groups if name.startswith("chat.connection.")]
    await layer.group_send(private, {"type": "chat.send", "frame": {"type": "probe"}})
    assert await expect(console, "probe") == {"type": "probe"}
    await console.disconnect()
    assert private not in layer.groups


async def test_an_agent_sees_a_visitor_ask_for_a_person_opens_and_takes_it():
    anna = await new_agent("anna")
    console = await open_console(anna)
    product = await database_sync_to_async(Product.objects.get)(slug="gopher-plush-toy")
    session_key = await new_visitor()
    visitor = await connect_on_page(session_key, "/products/gopher-plush-toy/", product.pk)

    await say(visitor, ASKS_FOR_A_PERSON, "p-1")
    assert (await visitor.receive_json_from(TIMEOUT))["text"] == ASKS_FOR_A_PERSON
    notice = await visitor.receive_json_from(TIMEOUT)
    assert notice["sender"] == {"role": "system", "name": "Chat"}
    assert notice["text"].startswith("I've asked someone from the team to join.")
    # The greeting is read from the start; nothing is rated yet.
    unrated = {"read_through": await greeting_of(session_key), "rating": None}
    assert await visitor.receive_json_from(TIMEOUT) == {
        "type": "status",
        "state": "waiting",
        "online": True,
        "out_of_hours": False,
        "answering": None,
        **unrated,
    }
    conversation = await conversation_of(session_key)
    waiting = await expect(console, "conversation", id=conversation, state="waiting")
    assert waiting["page"] == "/products/gopher-plush-toy/"
    assert waiting["product"]["name"] == "Gopher Plush Toy"

    await act(console, "open", conversation)
    opened = await expect(console, "opened")
    assert opened["conversation"]["id"] == conversation
    assert opened["conversation"]["product"]["id"] == product.pk
    assert [(f["sender"]["role"], f["conversation"]) for f in opened["frames"]] == [
        ("bot", conversation),
        ("visitor", conversation),
        ("system", conversation),
    ]

    await act(console, "take", conversation)
    joined = await visitor.receive_json_from(TIMEOUT)
    assert joined["sender"]["role"] == "system"
    assert joined["text"] == "Anna (Support) joined and is answering now."
    assert await visitor.receive_json_from(TIMEOUT) == {
        "type": "status",
        "state": "agent",
        "online": True,
        "out_of_hours": False,
        "answering": ANNA,
        **unrated,
    }
    # The console has it open: it sees the notice live, and the list row changes.
    assert (await expect(console, "message"))["id"] == joined["id"]
    row = await expect(console, "conversation", id=conversation, state="agent")
    assert row["agent"] == {"id": anna.pk, "name": "Anna", "title": "Support", "is_bot": False}
    await visitor.disconnect()
    await console.disconnect()


async def test_agent_and_visitor_talk_and_see_each_other_type():
    console = await open_console(await new_agent("anna"))
    visitor, conversation, _ = await visitor_waiting_for(console)
    await taken_by(console, visitor, conversation)
    await drain(console)

    await act(console, "typing", conversation, active=True)
    assert await visitor.receive_json_from(TIMEOUT) == {
        "type": "typing",
        "active": True,
        "sender": ANNA,
    }
    await act(console, "message", conversation, text="Hello, how can I help?", client_id="a-1")
    message = await visitor.receive_json_from(TIMEOUT)
    assert message["type"] == "message"
    assert message["sender"] == ANNA
    assert message["text"] == "Hello, how can I help?"
    ack = await expect(console, "message")
    assert ack["id"] == message["id"]
    assert ack["client_id"] == "a-1"
    assert ack["conversation"] == conversation

    await visitor.send_json_to({"type": "typing", "active": True})
    assert await expect(console, "typing") == {
        "type": "typing",
        "active": True,
        "conversation": conversation,
    }
    await say(visitor, "What is isomorphic go?", "v-2")
    from_visitor = await expect(console, "message")
    assert from_visitor["sender"] == {"role": "visitor", "name": "Visitor"}
    assert from_visitor["conversation"] == conversation
    # The bot does not answer: the visitor gets their own message back, and nothing more.
    assert (await visitor.receive_json_from(TIMEOUT))["client_id"] == "v-2"
    assert await visitor.receive_nothing(timeout=0.3)
    await visitor.disconnect()
    await console.disconnect()


async def test_the_second_agent_to_take_is_told_it_was_taken():
    anna_console = await open_console(await new_agent("anna"))
    ben_console = await open_console(await new_agent("ben"))
    visitor, conversation, _ = await visitor_waiting_for(anna_console)
    await drain(ben_console)

    await asyncio.gather(
        act(anna_console, "take", conversation), act(ben_console, "take", conversation)
    )
    refused = []
    for console in (anna_console, ben_console):
        for frame in await drain(console):
            if frame["type"] == "error":
                refused.append(frame)
    [error] = refused
    assert error["code"] == "taken"
    assert error["conversation"] == conversation
    assert "Someone else joined this conversation first" in error["detail"]
    joined = [
        text
        for _, text in await stored_messages(await visitor_session(conversation))
        if text.endswith("joined and is answering now.")
    ]
    assert len(joined) == 1
    for communicator in (visitor, anna_console, ben_console):
        await communicator.disconnect()


async def visitor_session(conversation):
    return await database_sync_to_async(
        lambda: Conversation.objects.get(pk=conversation).session_key
    )()


async def test_handing_back_lets_the_bot_answer_again():
    console = await open_console(await new_agent("anna"))
    visitor, conversation, _ = await visitor_waiting_for(console)
    await taken_by(console, visitor, conversation)

    await act(console, "hand_back", conversation)
    notice = await expect(visitor, "message")
    assert notice["text"] == "Anna handed the chat back to Case, who is answering again."
    status = await expect(visitor, "status")
    assert status["state"] == "bot"
    assert status["answering"]["role"] == "bot"
    await expect(console, "conversation", id=conversation, state="bot")

    ack, reply = await ask(visitor, "What is isomorphic go?", "v-3")
    assert reply["text"] == ISOMORPHIC_GO_ANSWER
    await visitor.disconnect()
    await console.disconnect()


async def test_a_transfer_makes_the_other_agent_answer():
    anna_console = await open_console(await new_agent("anna"))
    ben = await new_agent("ben", title="Sales")
    ben_console = await open_console(ben)
    visitor, conversation, _ = await visitor_waiting_for(anna_console)
    await taken_by(anna_console, visitor, conversation)

    await act(anna_console, "transfer", conversation, agent=ben.pk)
    notice = await expect(visitor, "message")
    assert notice["text"] == "Anna passed the chat to Ben (Sales), who is answering now."
    assert (await expect(visitor, "status"))["answering"] == {
        "role": "agent",
        "name": "Ben",
        "title": "Sales",
    }
    # Ben's list shows it as his.
    await expect(
        ben_console,
        "conversation",
        id=conversation,
        agent={"id": ben.pk, "name": "Ben", "title": "Sales", "is_bot": False},
    )

    await act(anna_console, "message", conversation, text="Still me?", client_id="a-2")
    error = await expect(anna_console, "error")
    assert (error["code"], error["client_id"]) == ("not_yours", "a-2")
    await act(ben_console, "message", conversation, text="Ben here.", client_id="b-1")
    assert (await expect(visitor, "message"))["sender"]["name"] == "Ben"

    await act(ben_console, "transfer", conversation, agent=ben.pk)
    assert (await expect(ben_console, "error"))["code"] == "agent_unavailable"
    for communicator in (visitor, anna_console, ben_console):
        await communicator.disconnect()


async def test_after_closing_the_visitors_next_message_goes_to_a_new_conversation():
    console = await open_console(await new_agent("anna"))
    visitor, conversation, session_key = await visitor_waiting_for(console)
    await taken_by(console, visitor, conversation)

    await act(console, "close", conversation)
    notice = await expect(visitor, "message")
    assert notice["text"] == "Anna closed this chat. Write again any time to start a new one."
    assert (await expect(visitor, "status"))["state"] == "closed"
    await expect(console, "conversation", id=conversation, state="closed")

    await say(visitor, "One more thing", "v-9")
    error = await visitor.receive_json_from(TIMEOUT)
    assert error["code"] == "conversation_closed"
    assert error["client_id"] == "v-9"
    assert await visitor.receive_output(TIMEOUT) == {"type": "websocket.close", "code": 4002}
    messages = await stored_messages(session_key)
    assert ("visitor", "One more thing") not in messages

    # The page reconnects and resends its outbox there: a new conversation, with a greeting.
    again = await connect(session_key)
    greeting = await again.receive_json_from(TIMEOUT)
    assert greeting["text"].startswith(GREETING_START)
    await say(again, "One more thing", "v-9")
    assert (await again.receive_json_from(TIMEOUT))["client_id"] == "v-9"
    assert await conversation_of(session_key) != conversation
    row = await expect(console, "conversation", state="bot")
    assert row["id"] == await conversation_of(session_key)
    await again.disconnect()
    await console.disconnect()


async def test_the_console_sees_the_visitor_end_the_chat_and_rate_it():
    console = await open_console(await new_agent("anna"))
    visitor, conversation, _ = await visitor_waiting_for(console)
    await taken_by(console, visitor, conversation)

    await visitor.send_json_to({"type": "end"})
    notice = await expect(console, "message", conversation=conversation)
    assert notice["sender"]["role"] == "system"
    assert notice["text"].startswith("The visitor ended the chat.")
    closed = await expect(console, "conversation", id=conversation, state="closed")
    # Still Anna's: the rating that may come is of her.
    assert closed["agent"]["name"] == "Anna"
    assert closed["rating"] is None
    await expect(visitor, "status", state="closed")

    await visitor.send_json_to({"type": "rate", "score": 5, "comment": "Anna was great."})
    row = await expect(console, "conversation", id=conversation)
    assert row["rating"]["score"] == 5
    assert row["rating"]["comment"] == "Anna was great."
    assert row["rating"]["rated_at"]
    # What the visitor reads is theirs: the console is not told.
    assert (await expect(visitor, "status"))["rating"] == {"score": 5, "comment": "Anna was great."}
    await visitor.send_json_to({"type": "read", "through": notice["id"]})
    assert await visitor.receive_json_from(TIMEOUT) == {"type": "read", "through": notice["id"]}
    assert not [frame for frame in await drain(console) if frame["type"] == "read"]
    await visitor.disconnect()
    await console.disconnect()


async def test_console_errors_keep_the_connection():
    console = await open_console(await new_agent("anna"))
    visitor, conversation, _ = await visitor_waiting_for(console)
    await drain(console)

    await console.send_to(text_data="nope")
    assert (await console.receive_json_from(TIMEOUT))["code"] == "invalid_json"
    await act(console, "take", conversation=True)
    assert (await console.receive_json_from(TIMEOUT))["code"] == "invalid_frame"
    await console.send_to(bytes_data=b"\x00")
    assert (await console.receive_json_from(TIMEOUT))["code"] == "binary_frame"
    await act(console, "open", 987654)
    assert await console.receive_json_from(TIMEOUT) == {
        "type": "error",
        "code": "not_found",
        "detail": "There is no such conversation.",
        "conversation": 987654,
    }
    await act(console, "message", conversation, text="Not taken yet", client_id="a-1")
    error = await console.receive_json_from(TIMEOUT)
    assert (error["code"], error["conversation"], error["client_id"]) == (
        "not_yours",
        conversation,
        "a-1",
    )
    await act(console, "typing", conversation, active=True)
    assert (await console.receive_json_from(TIMEOUT))["code"] == "not_yours"
    assert await visitor.receive_nothing(timeout=0.3)
    # ... and it still works.
    await act(console, "take", conversation)
    await expect(visitor, "status", state="agent")
    await visitor.disconnect()
    await console.disconnect()


async def test_presence_comes_and_goes_with_the_console_and_visitors_are_told(settings):
    await database_sync_to_async(set_bot_enabled)(False)
    visitor = await connect(await new_visitor())
    assert await visitor.receive_nothing(timeout=0.3)  # no greeting from a bot that is off

    anna = await new_agent("anna")
    console = await open_console(anna)
    assert await visitor.receive_json_from(TIMEOUT) == {
        "type": "online",
        "online": True,
        "out_of_hours": False,
    }
    assert await database_sync_to_async(selectors.present_agent_ids)() == {anna.pk}

    ben = await new_agent("ben")
    ben_console = await open_console(ben)
    anna_row = {"id": anna.pk, "name": "Anna", "title": "Support", "accepting": True}
    ben_row = {"id": ben.pk, "name": "Ben", "title": "Support", "accepting": True}
    await expect(console, "presence", agents=[anna_row, ben_row])
    await act(console, "accepting", active=False)
    await expect(ben_console, "presence", agents=[{**anna_row, "accepting": False}, ben_row])
    await ben_console.disconnect()
    await expect(console, "presence", agents=[{**anna_row, "accepting": False}])
    # Only Anna is left, and she takes no chats: nobody answers.
    assert (await drain(visitor))[-1] == {"type": "online", "online": False, "out_of_hours": False}

    await act(console, "accepting", active=True)
    assert (await drain(visitor))[-1] == {"type": "online", "online": True, "out_of_hours": False}
    await console.disconnect()
    assert await visitor.receive_json_from(TIMEOUT) == {
        "type": "online",
        "online": False,
        "out_of_hours": False,
    }
    assert await database_sync_to_async(selectors.present_agent_ids)() == set()
    assert await database_sync_to_async(AgentClient.objects.count)() == 0
    await visitor.disconnect()


async def test_a_heartbeat_keeps_the_agent_present():
    anna = await new_agent("anna")
    console = await open_console(anna)
    assert console.hello["heartbeat_seconds"] == 20

    @database_sync_to_async
    def expire_now():
        AgentClient.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    await drain(console)
    await act(console, "heartbeat")
    # A heartbeat of a present agent renews quietly.
    assert await console.receive_nothing(timeout=0.3)
    await expire_now()
    assert await database_sync_to_async(selectors.present_agent_ids)() == set()
    await act(console, "heartbeat")
    # Present again, and everybody is told.
    presence = await console.receive_json_from(TIMEOUT)
    assert presence["type"] == "presence"
    assert [agent["id"] for agent in presence["agents"]] == [anna.pk]
    client = await database_sync_to_async(AgentClient.objects.get)()
    assert client.expires_at > timezone.now() + timedelta(seconds=50)
    await console.disconnect()


async def test_with_nobody_accepting_chats_the_visitor_is_offered_to_leave_a_message():
    console = await open_console(await new_agent("anna", accepting=False))
    assert console.hello["accepting"] is False
    session_key = await new_visitor()
    visitor = await connect(session_key)
    await visitor.receive_json_from(TIMEOUT)
    await say(visitor, ASKS_FOR_A_PERSON, "p-1")
    await visitor.receive_json_from(TIMEOUT)
    notice = await visitor.receive_json_from(TIMEOUT)
    assert notice["text"].startswith("Nobody from the team is available to chat right now.")
    assert await visitor.receive_json_from(TIMEOUT) == {"type": "status", "leave_message": True}
    row = await expect(console, "conversation", id=await conversation_of(session_key))
    assert row["state"] == "bot"
    await visitor.disconnect()
    await console.disconnect()


async def test_sidekick_suggestions_reach_the_console_and_never_the_visitor():
    console = await open_console(await new_agent("anna"))
    visitor, conversation, _ = await visitor_waiting_for(console)
    await taken_by(console, visitor, conversation)
    await act(console, "sidekick", conversation, active=True)
    await expect(console, "conversation", id=conversation, sidekick=True)
    await drain(console)
    await drain(visitor)

    await say(visitor, "What is isomorphic go?", "v-2")
    question = await expect(console, "message")
    suggestion = await expect(console, "suggestion")
    assert suggestion["conversation"] == conversation
    assert suggestion["question"] == question["id"]
    assert suggestion["text"] == ISOMORPHIC_GO_ANSWER
    seen_by_visitor = await drain(visitor)
    assert [frame["type"] for frame in seen_by_visitor] == ["message"]
    assert ISOMORPHIC_GO_ANSWER not in json.dumps(seen_by_visitor)

    # One click: the agent sends it, as it is.
    await act(
        console,
        "message",
        conversation,
        text=suggestion["text"],
        client_id="a-5",
        suggestion=suggestion["id"],
    )
    sent = await visitor.receive_json_from(TIMEOUT)
    assert (sent["sender"], sent["text"]) == (ANNA, ISOMORPHIC_GO_ANSWER)
    # Reopened, the console no longer offers it.
    await act(console, "open", conversation)
    opened = await expect(console, "opened")
    assert "suggestion" not in [frame["type"] for frame in opened["frames"]]
    await visitor.disconnect()
    await console.disconnect()


async def test_side_kick_by_default_the_bot_only_suggests():
    await database_sync_to_async(set_sidekick_default)(True)
    console = await open_console(await new_agent("anna"))
    session_key = await new_visitor()
    visitor = await connect(session_key)
    assert await visitor.receive_nothing(timeout=0.3)  # no greeting
    await say(visitor, "What is isomorphic go?", "v-1")
    conversation = await conversation_of(session_key)
    await expect(console, "conversation", id=conversation, state="waiting")
    seen_by_visitor = await drain(visitor)
    assert [frame.get("sender", {}).get("role") for frame in seen_by_visitor] == [
        "visitor",
        "system",
        None,
    ]
    await act(console, "open", conversation)
    opened = await expect(console, "opened")
    assert opened["conversation"]["sidekick"] is True
    assert opened["frames"][-1]["type"] == "suggestion"
    assert opened["frames"][-1]["text"] == ISOMORPHIC_GO_ANSWER
    await visitor.disconnect()
    await console.disconnect()


# --- no message twice -------------------------------------------------------------------------


def message_ids(frames):
    return [frame["id"] for frame in frames if frame["type"] in ("message", "suggestion")]


async def test_an_agent_who_reconnects_with_the_conversation_open_sees_each_message_once():
    anna = await new_agent("anna")
    console = await open_console(anna)
    visitor, conversation, session_key = await visitor_waiting_for(console)
    await taken_by(console, visitor, conversation)
    await act(console, "message", conversation, text="Hi!", client_id="a-1")
    await say(visitor, "Hello", "v-2")
    await expect(console, "message", client_id="v-2")
    await console.disconnect()

    # Meanwhile the visitor writes on.
    await say(visitor, "Are you there?", "v-3")
    console = await open_console(anna)
    await act(console, "open", conversation)
    seen = await drain(console)
    opened = next(frame for frame in seen if frame["type"] == "opened")
    shown = message_ids(opened["frames"]) + message_ids(seen)
    stored = await stored_messages(session_key)
    assert len(shown) == len(set(shown)) == len(stored)

    # The outbox resends a message the server already has: acknowledged, not stored again.
    await act(console, "message", conversation, text="Hi!", client_id="a-1")
    ack = await console.receive_json_from(TIMEOUT)
    assert ack["client_id"] == "a-1" and ack["id"] in shown
    assert await console.receive_nothing(timeout=0.3)
    assert len(await stored_messages(session_key)) == len(stored)
    # The visitor saw Anna's message once, before the resend, and not again.
    messages = [frame for frame in await drain(visitor) if frame["type"] == "message"]
    assert [frame["text"] for frame in messages].count("Hi!") == 1
    await visitor.disconnect()
    await console.disconnect()


async def test_a_message_stored_while_the_console_opens_a_conversation_is_shown_once(
    monkeypatch,
):
    console = await open_console(await new_agent("anna"))
    visitor, conversation, session_key = await visitor_waiting_for(console)
    await drain(console)
    real_frames = selectors.conversation_staff_frames

    def frames_after_a_message(*, conversation_id):
        # The visitor writes after the console joined the conversation's group, and
        # before it read the history: the message is in both.
        services.visitor_message_post(
            conversation_id=conversation_id, text="In between", client_id="v-x", channel_name="x"
        )
        return real_frames(conversation_id=conversation_id)

    monkeypatch.setattr(selectors, "conversation_staff_frames", frames_after_a_message)
    await act(console, "open", conversation)
    seen = await drain(console)
    opened = next(frame for frame in seen if frame["type"] == "opened")
    assert opened["frames"][-1]["text"] == "In between"
    shown = message_ids(opened["frames"]) + message_ids(seen)
    assert len(shown) == len(set(shown)) == len(await stored_messages(session_key))
    await visitor.disconnect()
    await console.disconnect()


async def test_a_message_stored_while_a_visitor_reconnects_is_shown_once(monkeypatch):
    session_key = await new_visitor()
    first = await connect(session_key)
    await first.receive_json_from(TIMEOUT)
    await ask(first, "What is isomorphic go?", "h-1")
    await first.disconnect()
    real_frames = selectors.conversation_frames

    def frames_after_a_message(*, conversation_id, **options):
        services.visitor_message_post(
            conversation_id=conversation_id, text="Hello", client_id="h-2", channel_name="x"
        )
        return real_frames(conversation_id=conversation_id, **options)

    monkeypatch.setattr(selectors, "conversation_frames", frames_after_a_message)
    second = await connect(session_key)
    shown = message_ids(await drain(second))
    assert len(shown) == len(set(shown)) == len(await stored_messages(session_key)) == 5
    # Its own resend is still acknowledged, though it is in the history.
    await say(second, "Hello", "h-2")
    ack = await second.receive_json_from(TIMEOUT)
    assert ack["client_id"] == "h-2" and ack["id"] in shown
    await second.disconnect()


async def test_one_message_sent_from_two_tabs_at_once_is_stored_once():
    session_key = await new_visitor()
    tabs = [await connect(session_key) for _ in range(2)]
    for tab in tabs:
        await tab.receive_json_from(TIMEOUT)
    await asyncio.gather(*(say(tab, "What is isomorphic go?", "same") for tab in tabs))
    frames = [await drain(tab) for tab in tabs]
    assert await stored_messages(session_key) == [
        (await stored_messages(session_key))[0],
        ("visitor", "What is isomorphic go?"),
        ("bot", ISOMORPHIC_GO_ANSWER),
    ]
    for seen in frames:
        # Each tab shows the message (and the answer) once, and each sender got its ack.
        texts = [frame["text"] for frame in seen if frame["type"] == "message"]
        assert sorted(set(texts)) == sorted([ISOMORPHIC_GO_ANSWER, "What is isomorphic go?"])
    for tab in tabs:
        await tab.disconnect()


async def test_a_console_shows_only_the_conversation_it_has_open():
    console = await open_console(await new_agent("anna"))
    first_visitor, first, _ = await visitor_waiting_for(console)
    second_visitor, second, _ = await visitor_waiting_for(console)
    await act(console, "open", first)
    await expect(console, "opened")
    await act(console, "open", second)
    await expect(console, "opened")
    await drain(console)

    await say(first_visitor, "Hello from the first", "f-1")
    await first_visitor.send_json_to({"type": "typing", "active": True})
    await say(second_visitor, "Hello from the second", "s-1")
    seen = await drain(console)
    assert [frame["conversation"] for frame in seen if frame["type"] == "message"] == [second]
    assert all(frame["type"] != "typing" for frame in seen)
    # The list still shows the first one's news.
    assert any(frame["type"] == "conversation" and frame["id"] == first for frame in seen)
    for communicator in (first_visitor, second_visitor, console):
        await communicator.disconnect()


# --- private notes ----------------------------------------------------------------------------


async def test_a_note_reaches_every_console_with_it_open_and_never_the_visitor():
    anna, ben = await new_agent("anna"), await new_agent("ben")
    anna_console, ben_console = await open_console(anna), await open_console(ben)
    visitor, conversation, _ = await visitor_waiting_for(anna_console)
    await taken_by(anna_console, visitor, conversation)
    await act(ben_console, "open", conversation)
    await expect(ben_console, "opened")
    await drain(visitor)
    await drain(ben_console)

    # Ben does not answer the conversation; he writes a note for Anna all the same.
    await act(ben_console, "note", conversation, text="She asked me yesterday too", client_id="n-1")
    note = await expect(anna_console, "note")
    assert note == {
        "type": "note",
        "conversation": conversation,
        "id": note["id"],
        "author": {"id": ben.pk, "name": "Ben"},
        "text": "She asked me yesterday too",
        "created_at": note["created_at"],
        "client_id": "n-1",
    }
    assert await expect(ben_console, "note") == note  # its own, as its acknowledgement
    assert await visitor.receive_nothing(0.5)

    # A resend (the answer was lost): stored once, acknowledged to the sender alone.
    await act(ben_console, "note", conversation, text="She asked me yesterday too", client_id="n-1")
    assert await expect(ben_console, "note") == note
    assert await anna_console.receive_nothing(0.3)
    assert await visitor.receive_nothing(0.1)
    assert await database_sync_to_async(Note.objects.count)() == 1

    # Opening it again: the note among the messages, in its place.
    await act(ben_console, "open", conversation)
    opened = await expect(ben_console, "opened")
    assert [f["type"] for f in opened["frames"]][-2:] == ["message", "note"]
    assert opened["frames"][-1] == note
    for communicator in (visitor, anna_console, ben_console):
        await communicator.disconnect()


async def test_a_note_about_no_conversation_is_refused_with_its_client_id():
    console = await open_console(await new_agent("anna"))
    await act(console, "note", 999_999, text="Lost", client_id="n-9")
    error = await expect(console, "error")
    assert (error["code"], error["client_id"], error["conversation"]) == (
        "not_found",
        "n-9",
        999_999,
    )
    await console.disconnect()


async def test_a_note_of_another_conversation_does_not_show_in_the_open_one():
    anna = await new_agent("anna")
    console = await open_console(anna)
    first = await connect(await new_visitor())
    second = await connect(await new_visitor())
    ids = sorted([c["id"] for c in (await drain(console)) if c["type"] == "conversation"])
    first_id, second_id = ids[0], ids[-1]
    await act(console, "open", first_id)
    await expect(console, "opened")
    # Written from elsewhere (another console), in the conversation this one does not show.
    await database_sync_to_async(services.note_create)(
        conversation_id=second_id, user=anna, text="Elsewhere"
    )
    assert not [f for f in await drain(console) if f["type"] == "note"]
    for communicator in (first, second, console):
        await communicator.disconnect()


# --- unread counts: how far each agent has seen each conversation -----------------------------


async def test_the_list_says_how_far_the_agent_has_seen_each_conversation():
    anna = await new_agent("anna")
    console = await open_console(anna)
    visitor, conversation, _ = await visitor_waiting_for(console)
    await say(visitor, "Anyone there?", "p-2")
    # Each row counts the visitor's messages.
    await expect(console, "conversation", id=conversation, visitor_messages=2)
    await console.disconnect()

    # Never opened: nothing seen, so both of the visitor's messages are unread.
    console = await open_console(anna)
    assert console.listing["seen"] == {}
    [listed] = [c for c in console.listing["conversations"] if c["id"] == conversation]
    assert listed["visitor_messages"] == 2

    # Opening it sees it all; the next list says so, after a reload as on another screen.
    await act(console, "open", conversation)
    opened = await expect(console, "opened")
    assert opened["visitor"] == {"name": ""}
    other_screen = await open_console(anna)
    assert other_screen.listing["seen"] == {str(conversation): 2}

    # The visitor writes again while the agent looks elsewhere: that one is unread...
    await say(visitor, "Hello?", "p-3")
    await expect(console, "conversation", id=conversation, visitor_messages=3)
    third = await open_console(anna)
    assert third.listing["seen"] == {str(conversation): 2}
    # ...until the console shows it and says so.
    await act(console, "seen", conversation, visitor_messages=3)
    await drain(console)
    fourth = await open_console(anna)
    assert fourth.listing["seen"] == {str(conversation): 3}
    # Another agent's count is their own.
    ben_console = await open_console(await new_agent("ben"))
    assert ben_console.listing["seen"] == {}
    for communicator in (visitor, console, other_screen, third, fourth, ben_console):
        await communicator.disconnect()


async def test_seen_is_checked_and_refused_in_words():
    console = await open_console(await new_agent("anna"))
    await act(console, "seen", 7, visitor_messages=-1)
    error = await expect(console, "error")
    assert error["code"] == "invalid_frame"
    assert error["detail"] == "visitor_messages must be a whole number, 0 or more."
    await act(console, "seen", 999_999, visitor_messages=1)
    assert (await expect(console, "error"))["code"] == "not_found"
    await console.disconnect()


async def test_an_opened_conversation_names_the_visitor_who_left_their_name():
    console = await open_console(await new_agent("anna"))
    session_key = await new_visitor()
    visitor = await connect(session_key)
    conversation = await conversation_of(session_key)
    await database_sync_to_async(services.left_message_create)(
        name="Maria", email="maria@example.org", text="Call me", session_key=session_key
    )
    await act(console, "open", conversation)
    assert (await expect(console, "opened"))["visitor"] == {"name": "Maria"}
    for communicator in (visitor, console):
        await communicator.disconnect()
