import asyncio
import json
import time
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.sessions.models import Session
from django.utils import timezone

from bots.models import KnowledgeEntry, UnansweredQuestion
from chat import visitor_tokens
from chat.consumers import INVALID_TOKEN_CLOSE_CODE, NO_SESSION_CLOSE_CODE
from chat.models import Conversation, Message
from shop.models import Product

from .conftest import (
    ALWAYS_OPEN,
    make_agent,
    new_session_key,
    set_auto_assign,
    set_business_hours,
    visitor_communicator,
)

# Consumers reach the database from worker threads, so tests commit for real;
# serialized_rollback restores the migrated knowledge base and products after each.
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TIMEOUT = 5

GREETING_START = "Hi there! I'm Case. You can ask me a question on Isomorphic Go. Such as..."
ISOMORPHIC_GO_ANSWER = (
    "Isomorphic Go is the methodology to create isomorphic web applications using the Go "
    "(Golang) programming language. An isomorphic web application, is a web application, "
    "that contains code which can run, on both the web client and the web server."
)


async def connect(session_key):
    communicator = visitor_communicator(session_key)
    connected, _ = await communicator.connect()
    assert connected
    status = await communicator.receive_json_from(TIMEOUT)
    assert status["type"] == "status"
    return communicator


async def ask(communicator, text, client_id):
    await communicator.send_json_to({"type": "message", "text": text, "client_id": client_id})
    ack = await communicator.receive_json_from(TIMEOUT)
    reply = await communicator.receive_json_from(TIMEOUT)
    return ack, reply


@database_sync_to_async
def stored_messages(session_key):
    return list(
        Message.objects.filter(conversation__session_key=session_key).values_list(
            "sender_role", "text"
        )
    )


async def new_visitor():
    return await database_sync_to_async(new_session_key)()


async def test_a_new_conversation_starts_with_the_greeting():
    session_key = await new_visitor()
    communicator = await connect(session_key)
    frame = await communicator.receive_json_from(TIMEOUT)
    assert frame["type"] == "message"
    assert frame["sender"] == {
        "role": "bot",
        "name": "Case",
        "title": "Resident Isomorphic Gopher Agent",
    }
    assert frame["text"].startswith(GREETING_START)
    assert frame["client_id"] is None
    assert frame["id"] and frame["sent_at"]
    assert await communicator.receive_nothing()
    assert await stored_messages(session_key) == [("bot", frame["text"])]
    await communicator.disconnect()


async def test_the_bot_s_model_never_runs_on_the_event_loop_s_thread(monkeypatch):
    """Encoding a question takes milliseconds of CPU: on the event loop it would stall every
    socket of the process, so the bot answers in the database thread."""
    from bots import meaning

    real = await database_sync_to_async(meaning.semantics)()
    if real is None:
        pytest.skip("the sentence encoder cannot run here")
    on_loop: list[bool] = []

    def encode(texts):
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real.encode(texts)

    monkeypatch.setattr(meaning, "semantics", lambda: replace(real, encode=encode))
    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)
    _, reply = await ask(communicator, "I hate restarting my server by hand after changes", "c-1")
    assert reply["text"].startswith("Kick is a lightweight mechanism")
    assert on_loop and not any(on_loop)
    await communicator.disconnect()


async def test_a_question_is_acknowledged_then_answered_and_both_are_stored():
    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)

    ack, reply = await ask(communicator, "What is isomorphic go?", "c-1")

    assert ack["sender"]["role"] == "visitor"
    assert ack["text"] == "What is isomorphic go?"
    assert ack["client_id"] == "c-1"
    assert reply["sender"]["role"] == "bot"
    assert reply["sender"]["name"] == "Case"
    assert reply["text"] == ISOMORPHIC_GO_ANSWER
    assert reply["client_id"] is None
    assert ack["id"] != reply["id"]
    assert (await stored_messages(session_key))[1:] == [
        ("visitor", "What is isomorphic go?"),
        ("bot", ISOMORPHIC_GO_ANSWER),
    ]
    await communicator.disconnect()


async def test_an_unanswerable_question_gets_the_fallback():
    communicator = await connect(await new_visitor())
    await communicator.receive_json_from(TIMEOUT)
    _, reply = await ask(communicator, "qwertyuiop zxcvbnm", "c-1")
    assert reply["text"] == "I don't know the answer to that one."
    await communicator.disconnect()


async def test_each_socket_is_in_a_private_group_any_process_can_address_it_by():
    alice = await connect(await new_visitor())
    bob = await connect(await new_visitor())
    await alice.receive_json_from(TIMEOUT)
    await bob.receive_json_from(TIMEOUT)
    layer = get_channel_layer()
    private = sorted(name for name in layer.groups if name.startswith("chat.connection."))
    assert len(private) == 2 and all(len(layer.groups[name]) == 1 for name in private)
    for n, name in enumerate(private):
        await layer.group_send(name, {"type": "chat.send", "frame": {"type": "probe", "n": n}})
    got = [
        (await alice.receive_json_from(TIMEOUT))["n"],
        (await bob.receive_json_from(TIMEOUT))["n"],
    ]
    assert sorted(got) == [0, 1]
    assert await alice.receive_nothing(timeout=0.2) and await bob.receive_nothing(timeout=0.2)
    await alice.disconnect()
    await bob.disconnect()
    assert not [name for name in layer.groups if name.startswith("chat.connection.")]


async def test_two_visitors_never_see_each_others_messages():
    alice = await connect(await new_visitor())
    bob = await connect(await new_visitor())
    await alice.receive_json_from(TIMEOUT)
    await bob.receive_json_from(TIMEOUT)

    await ask(alice, "What is isomorphic go?", "a-1")
    assert await bob.receive_nothing(timeout=0.3)

    await ask(bob, "Where can I get starter code?", "b-1")
    assert await alice.receive_nothing(timeout=0.3)
    await alice.disconnect()
    await bob.disconnect()


async def test_two_tabs_of_one_visitor_share_the_conversation():
    session_key = await new_visitor()
    first_tab = await connect(session_key)
    greeting = await first_tab.receive_json_from(TIMEOUT)
    second_tab = await connect(session_key)
    assert (await second_tab.receive_json_from(TIMEOUT))["id"] == greeting["id"]

    ack, reply = await ask(first_tab, "What is isomorphic go?", "t-1")
    assert await second_tab.receive_json_from(TIMEOUT) == ack
    assert await second_tab.receive_json_from(TIMEOUT) == reply
    await first_tab.disconnect()
    await second_tab.disconnect()


BAD_FRAMES = [
    ("not json at all", "invalid_json"),
    ("[]", "invalid_frame"),
    ('{"type": "dance", "text": "hi"}', "unknown_type"),
    ('{"type": "message", "text": "", "client_id": "e1"}', "empty_text"),
    ('{"type": "message", "text": "   \\n\\t", "client_id": "e2"}', "empty_text"),
    ('{"type": "message", "text": null}', "invalid_text"),
    (json.dumps({"type": "message", "text": "x" * 2001}), "text_too_long"),
    ('{"type": "message", "text": "hi", "client_id": "no spaces allowed"}', "invalid_client_id"),
    ('{"type": "message", "text": "hi", "client_id": "v1", "value": 7}', "invalid_value"),
    (json.dumps({"type": "message", "text": "hi", "value": "v" * 201}), "invalid_value"),
    ("x" * 20_000, "frame_too_large"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES)
async def test_bad_input_gets_an_error_frame_stores_nothing_and_keeps_the_connection(raw, code):
    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)
    before = await stored_messages(session_key)

    await communicator.send_to(text_data=raw)
    error = await communicator.receive_json_from(TIMEOUT)

    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    assert await stored_messages(session_key) == before
    _, reply = await ask(communicator, "What is isomorphic go?", "after-error")
    assert reply["text"] == ISOMORPHIC_GO_ANSWER
    await communicator.disconnect()


async def test_a_quick_reply_is_stored_with_its_value_and_answered_as_its_label():
    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)

    await communicator.send_json_to(
        {
            "type": "message",
            "text": "What is isomorphic go?",
            "client_id": "qr-1",
            "value": "faq_isomorphic_go",
        }
    )
    ack = await communicator.receive_json_from(TIMEOUT)
    reply = await communicator.receive_json_from(TIMEOUT)

    assert ack["client_id"] == "qr-1"
    assert ack["response_value"] == "faq_isomorphic_go"
    assert reply["text"] == ISOMORPHIC_GO_ANSWER
    assert "response_value" not in reply
    stored = await database_sync_to_async(
        lambda: list(
            Message.objects.filter(conversation__session_key=session_key)
            .order_by("id")
            .values_list("sender_role", "text", "response_value")
        )
    )()
    assert stored[1:] == [
        ("visitor", "What is isomorphic go?", "faq_isomorphic_go"),
        ("bot", ISOMORPHIC_GO_ANSWER, None),
    ]

    # A typed message has no value, and its frame says none.
    typed, _ = await ask(communicator, "Where can I get starter code?", "typed-1")
    assert "response_value" not in typed
    assert (
        await database_sync_to_async(
            lambda: Message.objects.get(client_id="typed-1").response_value
        )()
        is None
    )
    await communicator.disconnect()


async def test_a_message_with_attachments_reaches_the_visitor_with_them():
    session_key = await new_visitor()
    communicator = await connect(session_key)
    greeting = await communicator.receive_json_from(TIMEOUT)
    attachments = [
        {
            "text": "Or pick one:",
            "actions": [
                {"type": "button", "text": "Talk to a person", "value": "request_human"},
                {"type": "link", "text": "Read the docs", "link": "https://example.com/docs"},
            ],
        }
    ]

    @database_sync_to_async
    def add_message():
        conversation = Conversation.objects.get(session_key=session_key)
        return Message.objects.create(
            conversation=conversation,
            sender_role="agent",
            sender_name="Helper",
            text="How can I help?",
            attachments=attachments,
        )

    message = await add_message()
    await communicator.disconnect()

    again = await connect(session_key)
    replayed = [await again.receive_json_from(TIMEOUT) for _ in range(2)]
    assert replayed[0]["id"] == greeting["id"]
    assert "attachments" not in replayed[0]
    assert replayed[1]["id"] == str(message.uid)
    assert replayed[1]["attachments"] == attachments
    await again.disconnect()


async def test_a_binary_frame_gets_an_error_frame():
    communicator = await connect(await new_visitor())
    await communicator.receive_json_from(TIMEOUT)
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert (await communicator.receive_json_from(TIMEOUT))["code"] == "binary_frame"
    await communicator.disconnect()


async def test_a_resend_with_a_stored_client_id_is_acknowledged_but_not_stored_or_answered_again():
    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)
    first_ack, _ = await ask(communicator, "What is isomorphic go?", "same-id")

    await communicator.send_json_to(
        {"type": "message", "text": "What is isomorphic go?", "client_id": "same-id"}
    )
    second_ack = await communicator.receive_json_from(TIMEOUT)

    assert second_ack == first_ack
    assert await communicator.receive_nothing(timeout=0.3)
    assert len(await stored_messages(session_key)) == 3


async def test_a_resend_after_reconnecting_is_not_stored_twice():
    session_key = await new_visitor()
    first = await connect(session_key)
    await first.receive_json_from(TIMEOUT)
    await ask(first, "Where can I get starter code?", "r-1")
    await first.disconnect()

    second = await connect(session_key)
    history = [await second.receive_json_from(TIMEOUT) for _ in range(3)]
    await second.send_json_to(
        {"type": "message", "text": "Where can I get starter code?", "client_id": "r-1"}
    )
    ack = await second.receive_json_from(TIMEOUT)
    assert ack["id"] == history[1]["id"]
    assert await second.receive_nothing(timeout=0.3)
    assert len(await stored_messages(session_key)) == 3
    await second.disconnect()


async def test_reconnecting_replays_the_whole_conversation_oldest_first():
    session_key = await new_visitor()
    first = await connect(session_key)
    greeting = await first.receive_json_from(TIMEOUT)
    ack, reply = await ask(first, "What is isomorphic go?", "h-1")
    await first.disconnect()

    second = await connect(session_key)
    replayed = [await second.receive_json_from(TIMEOUT) for _ in range(3)]
    assert replayed == [greeting, ack, reply]
    assert await second.receive_nothing()
    count = await database_sync_to_async(
        Conversation.objects.filter(session_key=session_key).count
    )()
    assert count == 1
    await second.disconnect()


async def test_a_socket_without_a_session_is_told_why_and_closed():
    communicator = visitor_communicator(None)
    connected, _ = await communicator.connect()
    assert connected
    error = await communicator.receive_json_from(TIMEOUT)
    assert error["code"] == "no_session"
    assert (await communicator.receive_output())["type"] == "websocket.close"
    assert await database_sync_to_async(Conversation.objects.count)() == 0


@pytest.mark.parametrize("kind", ["made_up", "expired"])
async def test_a_cookie_of_no_live_session_is_told_why_and_closed(kind):
    if kind == "made_up":
        session_key = "x" * 32
    else:
        session_key = await new_visitor()
        await database_sync_to_async(Session.objects.filter(session_key=session_key).update)(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
    communicator = visitor_communicator(session_key)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(TIMEOUT))["code"] == "no_session"
    assert (await communicator.receive_output())["type"] == "websocket.close"
    assert await database_sync_to_async(Conversation.objects.count)() == 0


async def test_a_page_on_another_site_cannot_open_the_chat():
    communicator = visitor_communicator(await new_visitor(), origin="https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected
    assert await database_sync_to_async(Conversation.objects.count)() == 0


async def test_a_failing_bot_loses_no_visitor_message(monkeypatch):
    from bots.agents import AgentCase

    def broken_respond(self, question, *, context=None):
        raise RuntimeError("knowledge base on fire")

    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)
    monkeypatch.setattr(AgentCase, "respond", broken_respond)

    await communicator.send_json_to({"type": "message", "text": "Hello?", "client_id": "f-1"})
    ack = await communicator.receive_json_from(TIMEOUT)
    error = await communicator.receive_json_from(TIMEOUT)
    assert ack["client_id"] == "f-1"
    assert error == {
        "type": "error",
        "code": "bot_unavailable",
        "detail": "Your message is saved, but the assistant could not answer just now.",
    }
    assert (await stored_messages(session_key))[-1] == ("visitor", "Hello?")
    await communicator.disconnect()


async def test_an_edit_in_the_knowledge_base_answers_the_next_question():
    communicator = await connect(await new_visitor())
    await communicator.receive_json_from(TIMEOUT)
    _, before = await ask(communicator, "Where can I get starter code?", "k-1")

    @database_sync_to_async
    def edit_answer():
        entry = KnowledgeEntry.objects.get(terms="starter code starter kit")
        entry.answer = "Clone isogoapp and run it."
        entry.save()

    await edit_answer()
    _, after = await ask(communicator, "Where can I get starter code?", "k-2")
    assert before["text"] != after["text"] == "Clone isogoapp and run it."
    await communicator.disconnect()


async def connect_on_page(session_key, page, product_id=None):
    path = f"/ws/chat/?page={page}" + (f"&product={product_id}" if product_id else "")
    communicator = visitor_communicator(session_key, path=path)
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(TIMEOUT))["type"] == "status"
    await communicator.receive_json_from(TIMEOUT)
    return communicator


async def test_the_bot_answers_about_the_product_on_the_page():
    product = await database_sync_to_async(Product.objects.get)(slug="gopher-plush-toy")
    session_key = await new_visitor()
    communicator = await connect_on_page(session_key, "/products/gopher-plush-toy/", product.pk)

    _, reply = await ask(communicator, "how much is this?", "p-1")
    assert reply["text"] == f"Gopher Plush Toy costs ${product.price}."

    @database_sync_to_async
    def sell_out():
        Product.objects.filter(pk=product.pk).update(stock=0)

    await sell_out()
    _, reply = await ask(communicator, "is it in stock?", "p-2")
    assert reply["text"] == "Gopher Plush Toy is out of stock right now, sorry."

    conversation = await database_sync_to_async(Conversation.objects.get)(session_key=session_key)
    assert conversation.current_page == "/products/gopher-plush-toy/"
    assert conversation.current_product_id == product.pk
    await communicator.disconnect()


async def test_a_product_question_on_a_page_without_product_asks_which_one():
    communicator = await connect_on_page(await new_visitor(), "/")
    _, reply = await ask(communicator, "how much is this?", "p-1")
    assert reply["text"].startswith("Which product do you mean?")
    await communicator.disconnect()


async def test_an_unknown_product_id_is_no_product():
    communicator = await connect_on_page(await new_visitor(), "/products/x/", 999999)
    _, reply = await ask(communicator, "how much is this?", "p-1")
    assert reply["text"].startswith("Which product do you mean?")
    await communicator.disconnect()


async def test_a_question_the_bot_cannot_answer_is_recorded_for_staff():
    communicator = await connect_on_page(await new_visitor(), "/products/gopher-hoodie/")
    for n in range(2):
        _, reply = await ask(communicator, "Do you ship to Canada?", f"u-{n}")
        assert reply["text"] == "I don't know the answer to that one."
    _, answered = await ask(communicator, "What is isomorphic go?", "u-3")

    recorded = await database_sync_to_async(list)(UnansweredQuestion.objects.all())
    assert [(q.text, q.count, q.last_page) for q in recorded] == [
        ("Do you ship to Canada?", 2, "/products/gopher-hoodie/")
    ]
    await communicator.disconnect()


async def test_a_closed_box_resumes_the_open_conversation_but_never_starts_one():
    session_key = await new_visitor()
    # No conversation yet: the closed box is told so and stops listening; nothing is started.
    listener = visitor_communicator(session_key, path="/ws/chat/?resume=1")
    connected, _ = await listener.connect()
    assert connected
    closed = await listener.receive_output(TIMEOUT)
    assert closed == {"type": "websocket.close", "code": 4004}
    assert await database_sync_to_async(Conversation.objects.count)() == 0

    # Once the visitor has opened the chat, a closed box on another page hears its replies.
    opened = await connect(session_key)
    await opened.receive_json_from(TIMEOUT)  # the greeting
    listener = visitor_communicator(session_key, path="/ws/chat/?resume=1")
    connected, _ = await listener.connect()
    assert connected
    status = await listener.receive_json_from(TIMEOUT)
    assert status["type"] == "status"
    assert (await listener.receive_json_from(TIMEOUT))["text"].startswith(GREETING_START)
    await ask(opened, "What is isomorphic go?", "resume-1")
    assert (await listener.receive_json_from(TIMEOUT))["client_id"] == "resume-1"
    assert (await listener.receive_json_from(TIMEOUT))["text"] == ISOMORPHIC_GO_ANSWER
    assert await database_sync_to_async(Conversation.objects.count)() == 1
    await listener.disconnect()
    await opened.disconnect()


# --- reading, ending and rating ---------------------------------------------------------------


async def connect_for_status(session_key):
    """A connected chat box and the status frame it opened with."""
    communicator = visitor_communicator(session_key)
    assert (await communicator.connect())[0]
    status = await communicator.receive_json_from(TIMEOUT)
    assert status["type"] == "status"
    return communicator, status


@database_sync_to_async
def read_through_of(session_key):
    conversation = Conversation.objects.select_related("visitor_read_through").get(
        session_key=session_key
    )
    read = conversation.visitor_read_through
    return None if read is None else str(read.uid)


async def test_a_new_conversation_opens_with_its_greeting_read_and_no_rating():
    first, status = await connect_for_status(await new_visitor())
    greeting = await first.receive_json_from(TIMEOUT)
    assert status["read_through"] == greeting["id"]
    assert status["rating"] is None
    await first.disconnect()


async def test_what_one_tab_reads_the_other_tabs_hear_and_a_reload_remembers():
    session_key = await new_visitor()
    first_tab = await connect(session_key)
    greeting = await first_tab.receive_json_from(TIMEOUT)
    second_tab = await connect(session_key)
    await second_tab.receive_json_from(TIMEOUT)  # the greeting, replayed
    ack, reply = await ask(first_tab, "What is isomorphic go?", "t-1")
    assert [await second_tab.receive_json_from(TIMEOUT) for _ in range(2)] == [ack, reply]

    await first_tab.send_json_to({"type": "read", "through": reply["id"]})

    read = {"type": "read", "through": reply["id"]}
    assert await first_tab.receive_json_from(TIMEOUT) == read
    assert await second_tab.receive_json_from(TIMEOUT) == read
    assert await read_through_of(session_key) == reply["id"]
    # Reading an older message again moves nothing back, and nobody hears of it.
    await second_tab.send_json_to({"type": "read", "through": greeting["id"]})
    assert await second_tab.receive_nothing(timeout=0.3)
    assert await first_tab.receive_nothing(timeout=0.1)
    assert await read_through_of(session_key) == reply["id"]

    third_tab, status = await connect_for_status(session_key)
    assert status["read_through"] == reply["id"]
    for tab in (first_tab, second_tab, third_tab):
        await tab.disconnect()


@pytest.mark.parametrize(
    ("through", "code"),
    [
        ("0b6c1e2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b", "unknown_message"),
        ("not-a-message-id", "invalid_message_id"),
        (None, "invalid_message_id"),
    ],
)
async def test_reading_what_is_no_message_of_the_chat_is_refused(through, code):
    session_key = await new_visitor()
    communicator = await connect(session_key)
    greeting = await communicator.receive_json_from(TIMEOUT)

    await communicator.send_json_to({"type": "read", "through": through})

    error = await communicator.receive_json_from(TIMEOUT)
    assert (error["type"], error["code"]) == ("error", code)
    assert error["detail"]
    assert await read_through_of(session_key) == greeting["id"]
    _, reply = await ask(communicator, "What is isomorphic go?", "after-error")
    assert reply["text"] == ISOMORPHIC_GO_ANSWER
    await communicator.disconnect()


async def test_a_message_of_another_visitor_s_chat_cannot_be_read():
    alice = await connect(await new_visitor())
    alice_greeting = await alice.receive_json_from(TIMEOUT)
    bob_key = await new_visitor()
    bob = await connect(bob_key)
    bob_greeting = await bob.receive_json_from(TIMEOUT)
    _, reply = await ask(alice, "What is isomorphic go?", "a-1")

    await bob.send_json_to({"type": "read", "through": reply["id"]})

    assert (await bob.receive_json_from(TIMEOUT))["code"] == "unknown_message"
    assert await alice.receive_nothing(timeout=0.3)
    assert await read_through_of(bob_key) == bob_greeting["id"] != alice_greeting["id"]
    await alice.disconnect()
    await bob.disconnect()


async def test_a_chat_going_on_cannot_be_rated():
    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)

    await communicator.send_json_to({"type": "rate", "score": 5})

    error = await communicator.receive_json_from(TIMEOUT)
    assert (error["type"], error["code"]) == ("error", "not_closed")
    conversation = await database_sync_to_async(Conversation.objects.get)(session_key=session_key)
    assert conversation.rating_score is None
    await communicator.disconnect()


async def test_the_visitor_ends_the_chat_rates_it_once_and_every_tab_hears():
    session_key = await new_visitor()
    first_tab = await connect(session_key)
    greeting = await first_tab.receive_json_from(TIMEOUT)
    second_tab = await connect(session_key)
    await second_tab.receive_json_from(TIMEOUT)

    await first_tab.send_json_to({"type": "end"})

    for tab in (first_tab, second_tab):
        notice = await tab.receive_json_from(TIMEOUT)
        assert notice["sender"] == {"role": "system", "name": "Chat"}
        assert notice["text"].startswith("The visitor ended the chat.")
        status = await tab.receive_json_from(TIMEOUT)
        assert (status["type"], status["state"], status["rating"]) == ("status", "closed", None)
        assert status["read_through"] == greeting["id"]
    # Ending it again changes nothing.
    await second_tab.send_json_to({"type": "end"})
    assert await second_tab.receive_nothing(timeout=0.3)
    assert await first_tab.receive_nothing(timeout=0.1)

    await second_tab.send_json_to({"type": "rate", "score": 4, "comment": " Quick and kind. "})

    for tab in (first_tab, second_tab):
        status = await tab.receive_json_from(TIMEOUT)
        assert status["type"] == "status"
        assert status["state"] == "closed"
        assert status["rating"] == {"score": 4, "comment": "Quick and kind."}
    # Once: the other tab's rating, sent before it heard, is refused, and the first is kept.
    await first_tab.send_json_to({"type": "rate", "score": 1})
    error = await first_tab.receive_json_from(TIMEOUT)
    assert (error["type"], error["code"]) == ("error", "already_rated")
    assert await second_tab.receive_nothing(timeout=0.3)
    conversation = await database_sync_to_async(Conversation.objects.get)(session_key=session_key)
    assert (conversation.state, conversation.rating_score) == ("closed", 4)
    assert conversation.rating_comment == "Quick and kind."

    # Writing after the end goes to a new chat, as after staff close one.
    await first_tab.send_json_to({"type": "message", "text": "One more thing", "client_id": "m"})
    assert (await first_tab.receive_json_from(TIMEOUT))["code"] == "conversation_closed"
    assert await first_tab.receive_output(TIMEOUT) == {"type": "websocket.close", "code": 4002}
    again, status = await connect_for_status(session_key)
    new_greeting = await again.receive_json_from(TIMEOUT)
    assert new_greeting["text"].startswith(GREETING_START)
    assert (status["state"], status["rating"]) == ("bot", None)
    assert status["read_through"] == new_greeting["id"]
    await second_tab.send_json_to({"type": "rate", "score": 5})  # still on the ended chat
    assert (await second_tab.receive_json_from(TIMEOUT))["code"] == "already_rated"
    await again.send_json_to({"type": "rate", "score": 5})
    assert (await again.receive_json_from(TIMEOUT))["code"] == "not_closed"
    for tab in (second_tab, again):
        await tab.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "rate", "score": 0}, "invalid_score"),
        ({"type": "rate", "score": "5"}, "invalid_score"),
        ({"type": "rate", "score": 5, "comment": "x" * 1001}, "comment_too_long"),
        ({"type": "rate", "score": 5, "comment": 42}, "invalid_comment"),
    ],
)
async def test_a_bad_rating_is_refused_and_a_good_one_is_kept_after_it(frame, code):
    session_key = await new_visitor()
    communicator = await connect(session_key)
    await communicator.receive_json_from(TIMEOUT)
    await communicator.send_json_to({"type": "end"})
    await communicator.receive_json_from(TIMEOUT)  # the notice
    await communicator.receive_json_from(TIMEOUT)  # the status

    await communicator.send_json_to(frame)
    error = await communicator.receive_json_from(TIMEOUT)
    assert (error["type"], error["code"]) == ("error", code)

    await communicator.send_json_to({"type": "rate", "score": 3})
    assert (await communicator.receive_json_from(TIMEOUT))["rating"] == {"score": 3, "comment": ""}
    await communicator.disconnect()


# --- a chat box on another site: its visitor token ---------------------------------------------

SHOP = "https://shop.example.org"


@database_sync_to_async
def allow_origins(*origins):
    from chat.models import ChatSettings

    ChatSettings.objects.update_or_create(pk=1, defaults={"allowed_origins": "\n".join(origins)})


def token_communicator(token, *, origin=SHOP, cookie_key=None):
    from channels.testing import WebsocketCommunicator

    from chatsite.asgi import application

    headers = [(b"origin", origin.encode())]
    if cookie_key:
        headers.append((b"cookie", f"sessionid={cookie_key}".encode()))
    query = urlencode({"page": "/products/", "token": token})
    return WebsocketCommunicator(application, f"/ws/chat/?{query}", headers=headers)


async def connect_with_token(token, **kwargs):
    communicator = token_communicator(token, **kwargs)
    connected, _ = await communicator.connect()
    assert connected
    status = await communicator.receive_json_from(TIMEOUT)
    assert status["type"] == "status", status
    return communicator


async def test_a_token_opens_its_visitor_s_conversation_from_a_listed_site():
    await allow_origins(SHOP)
    session_key = await new_visitor()
    token = visitor_tokens.token_issue(session_key=session_key)
    communicator = await connect_with_token(token)
    greeting = await communicator.receive_json_from(TIMEOUT)
    assert greeting["text"].startswith(GREETING_START)
    ack, reply = await ask(communicator, "What is Isomorphic Go?", "t-1")
    assert reply["text"] == ISOMORPHIC_GO_ANSWER
    await communicator.disconnect()
    conversation = await database_sync_to_async(Conversation.objects.get)()
    assert conversation.session_key == session_key
    assert conversation.current_page == "/products/"


async def test_two_visitors_tokens_each_see_only_their_own_messages():
    await allow_origins(SHOP)
    anne, bob = await new_visitor(), await new_visitor()
    anne_token = visitor_tokens.token_issue(session_key=anne)
    bob_token = visitor_tokens.token_issue(session_key=bob)
    question = "What is Isomorphic Go?"

    first = await connect_with_token(anne_token)
    await first.receive_json_from(TIMEOUT)  # her greeting
    _, reply = await ask(first, question, "a-1")
    await first.disconnect()

    # Bob's token: his own new conversation, his greeting alone.
    second = await connect_with_token(bob_token)
    greeting = await second.receive_json_from(TIMEOUT)
    assert greeting["text"].startswith(GREETING_START)
    assert await second.receive_nothing()
    await second.disconnect()

    # Anne's token again: her conversation, as she left it.
    again = await connect_with_token(anne_token)
    texts = [(await again.receive_json_from(TIMEOUT))["text"] for _ in range(3)]
    assert texts[1:] == [question, reply["text"]]
    assert await again.receive_nothing()
    await again.disconnect()


@pytest.mark.parametrize(
    "tamper",
    [
        # Bob's key with Anne's signature: the swap a visitor could try.
        lambda anne, bob: anne.replace(anne.split(":")[0], bob.split(":")[0]),
        lambda anne, bob: anne[:-3] + "abc",
        lambda anne, bob: anne.split(":")[0],  # the bare session key
        lambda anne, bob: "",
        lambda anne, bob: "made-up",
    ],
    ids=["key-swapped", "signature-altered", "bare-key", "empty", "made-up"],
)
async def test_a_forged_token_is_told_invalid_token_and_closed_4003(tamper):
    await allow_origins(SHOP)
    anne, bob = await new_visitor(), await new_visitor()
    token = tamper(
        visitor_tokens.token_issue(session_key=anne), visitor_tokens.token_issue(session_key=bob)
    )
    communicator = token_communicator(token)
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from(TIMEOUT) == {
        "type": "error",
        "code": "invalid_token",
        "detail": "This chat's visitor token is not valid (altered, or expired): start again "
        "without it.",
    }
    assert await communicator.receive_output(TIMEOUT) == {
        "type": "websocket.close",
        "code": INVALID_TOKEN_CLOSE_CODE,
    }
    assert await database_sync_to_async(Conversation.objects.count)() == 0


async def test_an_expired_token_is_closed_4003(settings, monkeypatch):
    from django.core import signing

    await allow_origins(SHOP)
    token = visitor_tokens.token_issue(session_key=await new_visitor())
    later = time.time() + settings.SESSION_COOKIE_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    communicator = token_communicator(token)
    await communicator.connect()
    assert (await communicator.receive_json_from(TIMEOUT))["code"] == "invalid_token"
    assert (await communicator.receive_output(TIMEOUT))["code"] == INVALID_TOKEN_CLOSE_CODE


async def test_the_token_is_followed_over_the_cookie():
    # A browser with a cookie of ours on a listed site's page: the box's token names the
    # visitor (the cookie's session may be somebody else's chat, or a staff member's login).
    await allow_origins(SHOP)
    cookie_visitor, token_visitor = await new_visitor(), await new_visitor()
    token = visitor_tokens.token_issue(session_key=token_visitor)
    communicator = await connect_with_token(token, cookie_key=cookie_visitor)
    await communicator.disconnect()
    keys = await database_sync_to_async(
        lambda: list(Conversation.objects.values_list("session_key", flat=True))
    )()
    assert keys == [token_visitor]


async def test_a_valid_token_of_an_ended_session_is_told_no_session():
    await allow_origins(SHOP)
    session_key = await new_visitor()
    await database_sync_to_async(Session.objects.filter(session_key=session_key).delete)()
    communicator = token_communicator(visitor_tokens.token_issue(session_key=session_key))
    await communicator.connect()
    assert (await communicator.receive_json_from(TIMEOUT))["code"] == "no_session"
    assert (await communicator.receive_output(TIMEOUT))["code"] == NO_SESSION_CLOSE_CODE


async def test_a_token_from_a_site_nobody_listed_is_refused_at_the_handshake():
    await allow_origins(SHOP)
    token = visitor_tokens.token_issue(session_key=await new_visitor())
    communicator = token_communicator(token, origin="https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected
    assert await database_sync_to_async(Conversation.objects.count)() == 0


# --- business hours and auto-assignment ---------------------------------------------------------


async def frames_until(communicator, done, *, seconds: float = TIMEOUT) -> list[dict]:
    """Frames as they come, up to and including the first that ``done`` accepts."""
    frames = []
    deadline = time.monotonic() + seconds
    while not frames or not done(frames[-1]):
        frames.append(await communicator.receive_json_from(max(0.1, deadline - time.monotonic())))
    return frames


async def test_out_of_hours_a_visitor_asking_for_a_person_is_offered_to_leave_a_message():
    def setup():
        make_agent("anna", first_name="Anna")  # present and accepting, but the hours are over
        set_business_hours(away_text="We're back on Monday at 9.")
        return new_session_key()

    session_key = await database_sync_to_async(setup)()
    communicator, status = await connect_for_status(session_key)
    assert (status["online"], status["out_of_hours"]) == (True, True)  # the bot answers
    await communicator.receive_json_from(TIMEOUT)  # the greeting
    await communicator.send_json_to(
        {"type": "message", "text": "I want to talk to a human", "client_id": "p1"}
    )
    frames = await frames_until(communicator, lambda frame: frame.get("leave_message"))
    notices = [frame["text"] for frame in frames if frame.get("sender", {}).get("role") == "system"]
    assert notices == ["We're back on Monday at 9."]
    assert frames[-1] == {"type": "status", "leave_message": True}
    assert await communicator.receive_nothing(timeout=0.3)
    conversation = await database_sync_to_async(Conversation.objects.get)(session_key=session_key)
    assert (conversation.state, conversation.assigned_agent_id) == ("bot", None)
    await communicator.disconnect()


async def test_within_hours_with_auto_assignment_a_visitor_asking_for_a_person_gets_one():
    def setup():
        anna = make_agent("anna", first_name="Anna")
        set_business_hours(*ALWAYS_OPEN, time_zone="Europe/Berlin")
        set_auto_assign(True)
        return anna, new_session_key()

    anna, session_key = await database_sync_to_async(setup)()
    communicator, status = await connect_for_status(session_key)
    assert status["out_of_hours"] is False
    await communicator.receive_json_from(TIMEOUT)  # the greeting
    await communicator.send_json_to(
        {"type": "message", "text": "I want to talk to a human", "client_id": "p1"}
    )
    frames = await frames_until(
        communicator, lambda frame: frame["type"] == "status" and frame.get("state") == "agent"
    )
    notices = [frame["text"] for frame in frames if frame.get("sender", {}).get("role") == "system"]
    assert notices == [
        "I've asked someone from the team to join. They will be with you shortly.",
        "Anna (Support) joined and is answering now.",
    ]
    assert frames[-1]["answering"] == {"role": "agent", "name": "Anna", "title": "Support"}
    conversation = await database_sync_to_async(Conversation.objects.get)(session_key=session_key)
    assert (conversation.state, conversation.assigned_agent_id) == ("agent", anna.pk)
    await communicator.disconnect()
