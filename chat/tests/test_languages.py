"""chat/languages.py: the visitor's socket speaks the page's language, chosen at the handshake
and active for everything the socket handles."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import translation

from chat.languages import socket_language
from chat.models import Conversation, Message
from chatsite.asgi import application

from .conftest import new_session_key

# Generous: the first question of a process loads the bot's model, on a busy machine too.
TIMEOUT = 20
UNANSWERABLE = "qwertyuiop zxcvbnm"


# --- choosing the language --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "cookies", "accept_language", "expected"),
    [
        # The page's own language wins over everything the browser says.
        ("de", {"django_language": "es"}, "es-ES,es;q=0.9", "de"),
        ("es", {}, "de", "es"),
        # A regional variant of a language the site has is that language.
        ("de-AT", {}, "", "de"),
        ("DE_at", {}, "", "de"),
        ("es-419", {}, "", "es"),
        # Without the page's word: the language cookie (the footer's switcher), as for pages...
        ("", {"django_language": "es"}, "de", "es"),
        # ... then Accept-Language, in the browser's order of preference...
        ("", {}, "fr-FR,fr;q=0.9,de;q=0.8,es;q=0.7", "de"),
        # ... and a language the site does not have counts as unsaid.
        ("fr", {}, "es", "es"),
        ("", {"django_language": "fr"}, "", "en"),
        ("", {}, "fr, it", "en"),
        ("", {}, "", "en"),
    ],
)
def test_the_socket_speaks_the_page_s_language_else_the_browser_s(
    requested, cookies, accept_language, expected
):
    assert (
        socket_language(requested=requested, cookies=cookies, accept_language=accept_language)
        == expected
    )


# --- the socket in that language ---------------------------------------------------------------


def on_a_socket(test):
    """An async socket test: consumers reach the database from worker threads, so tests
    commit for real; serialized_rollback restores the migrated data after each."""
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return pytest.mark.asyncio(test)


def communicator(session_key, *, query="", accept_language=None):
    headers = [(b"origin", b"http://localhost"), (b"cookie", f"sessionid={session_key}".encode())]
    if accept_language is not None:
        headers.append((b"accept-language", accept_language.encode()))
    return WebsocketCommunicator(application, f"/ws/chat/{query}", headers=headers)


async def connected(session_key, **kwargs):
    socket = communicator(session_key, **kwargs)
    ok, _ = await socket.connect()
    assert ok
    status = await socket.receive_json_from(TIMEOUT)
    assert status["type"] == "status"
    greeting = await socket.receive_json_from(TIMEOUT)
    assert greeting["sender"]["role"] == "bot"
    return socket, greeting


async def ask(socket, text, client_id):
    await socket.send_json_to({"type": "message", "text": text, "client_id": client_id})
    ack = await socket.receive_json_from(TIMEOUT)
    reply = await socket.receive_json_from(TIMEOUT)
    return ack, reply


@database_sync_to_async
def conversation_of(session_key):
    return Conversation.objects.get(session_key=session_key)


@database_sync_to_async
def stored(session_key):
    return list(
        Message.objects.filter(conversation__session_key=session_key).values_list(
            "sender_role", "sender_name", "text"
        )
    )


@on_a_socket
async def test_a_german_visitor_is_answered_in_german():
    session_key = await database_sync_to_async(new_session_key)()
    socket, greeting = await connected(session_key, query="?page=/&lang=de")
    assert greeting["text"].startswith("Hallo! Ich bin Case. Sie können mir eine Frage")

    # The socket's own error details...
    await socket.send_json_to({"type": "message", "text": "   ", "client_id": "m0"})
    error = await socket.receive_json_from(TIMEOUT)
    assert error == {
        "type": "error",
        "code": "empty_text",
        "detail": "Geben Sie eine Nachricht ein, bevor Sie sie senden.",
        "client_id": "m0",
    }
    await socket.send_json_to({"type": "dance"})
    error = await socket.receive_json_from(TIMEOUT)
    assert error["detail"] == (
        "Unbekannter Frame-Typ 'dance': Senden Sie den Typ "
        '"message", "typing", "read", "end" oder "rate".'
    )

    # ... and the bot's fixed phrases, stored as they were said.
    ack, reply = await ask(socket, UNANSWERABLE, "m1")
    assert ack["sender"] == {"role": "visitor", "name": "Besucher"}
    assert reply["text"] == "Darauf weiß ich leider keine Antwort."
    assert (await conversation_of(session_key)).language == "de"
    assert (await stored(session_key))[1:] == [
        ("visitor", "Besucher", UNANSWERABLE),
        ("bot", "Case", "Darauf weiß ich leider keine Antwort."),
    ]
    await socket.disconnect()


@on_a_socket
async def test_a_spanish_browser_is_answered_in_spanish_without_the_page_saying():
    session_key = await database_sync_to_async(new_session_key)()
    socket, greeting = await connected(session_key, accept_language="es-ES,es;q=0.9,en;q=0.5")
    assert greeting["text"].startswith("¡Hola! Soy Case. Puede hacerme una pregunta")

    await socket.send_json_to({"type": "message", "text": "x" * 2001, "client_id": "m0"})
    error = await socket.receive_json_from(TIMEOUT)
    assert error["code"] == "text_too_long"
    assert error["detail"] == (
        "Los mensajes pueden tener como máximo 2000 caracteres; este tiene 2001."
    )
    _ack, reply = await ask(socket, UNANSWERABLE, "m1")
    assert reply["text"] == "Lo siento, no sé la respuesta a eso."
    assert (await conversation_of(session_key)).language == "es"
    await socket.disconnect()


@on_a_socket
async def test_a_visitor_without_a_language_of_the_site_is_answered_in_english():
    session_key = await database_sync_to_async(new_session_key)()
    socket, greeting = await connected(session_key, query="?lang=fr", accept_language="fr-FR")
    assert greeting["text"].startswith("Hi there! I'm Case.")
    _ack, reply = await ask(socket, UNANSWERABLE, "m1")
    assert reply["text"] == "I don't know the answer to that one."
    assert (await conversation_of(session_key)).language == "en"
    await socket.disconnect()


@on_a_socket
async def test_sockets_of_several_languages_at_once_each_keep_their_own():
    german_key = await database_sync_to_async(new_session_key)()
    spanish_key = await database_sync_to_async(new_session_key)()
    german, _ = await connected(german_key, query="?lang=de")
    spanish, _ = await connected(spanish_key, query="?lang=es")
    # Both questions are in flight together: one process's event loop interleaves the two
    # sockets, and their questions may be answered in one batch (chat.batching).
    await german.send_json_to({"type": "message", "text": UNANSWERABLE, "client_id": "g1"})
    await spanish.send_json_to({"type": "message", "text": UNANSWERABLE, "client_id": "s1"})
    german_frames = [await german.receive_json_from(TIMEOUT) for _ in range(2)]
    spanish_frames = [await spanish.receive_json_from(TIMEOUT) for _ in range(2)]
    assert [frame["text"] for frame in german_frames] == [
        UNANSWERABLE,
        "Darauf weiß ich leider keine Antwort.",
    ]
    assert [frame["text"] for frame in spanish_frames] == [
        UNANSWERABLE,
        "Lo siento, no sé la respuesta a eso.",
    ]
    await german.disconnect()
    await spanish.disconnect()
    # The sockets' languages were theirs alone.
    assert translation.get_language() == "en"


@on_a_socket
async def test_reopening_the_chat_on_a_page_in_another_language_switches_the_conversation():
    session_key = await database_sync_to_async(new_session_key)()
    socket, _ = await connected(session_key, query="?lang=de")
    await socket.disconnect()
    socket = communicator(session_key, query="?lang=es")
    assert (await socket.connect())[0]
    await socket.receive_json_from(TIMEOUT)  # status
    await socket.receive_json_from(TIMEOUT)  # the German greeting, replayed as stored
    assert (await conversation_of(session_key)).language == "es"
    _ack, reply = await ask(socket, UNANSWERABLE, "m1")
    assert reply["text"] == "Lo siento, no sé la respuesta a eso."
    await socket.disconnect()


@on_a_socket
async def test_a_socket_without_a_session_is_refused_in_its_language():
    socket = WebsocketCommunicator(
        application, "/ws/chat/?lang=de", headers=[(b"origin", b"http://localhost")]
    )
    assert (await socket.connect())[0]
    error = await socket.receive_json_from(TIMEOUT)
    assert error["code"] == "no_session"
    assert error["detail"].startswith("Öffnen Sie den Chat von einer Seite der Website aus")
    await socket.disconnect()
