"""Staff's private notes never leave the staff's side: not to the visitor's socket (live or in
the history it replays), not in the transcript the visitor has emailed to them. The staff
console that has the conversation open gets each note, so that nothing here passes by a
note never being sent at all. (The bot apps' two exits, webhooks and the HTTP API, are
tested with the bot apps: botapps/tests/test_notes_privacy.py.)"""

import uuid

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat import services
from chat.models import Conversation, Note

from .conftest import make_agent, staff_communicator
from .test_consumers import TIMEOUT, connect, new_visitor

SECRET = "Private: the visitor was rude, refund refused by Ben"


async def agent_console_on(conversation_id: int, username: str = "anna"):
    """A staff console of a new agent with the conversation open, past its history."""
    agent = await database_sync_to_async(make_agent)(username, first_name=username.title())
    console = await database_sync_to_async(staff_communicator)(agent)
    connected, _ = await console.connect()
    assert connected
    for expected in ("hello", "presence", "conversations"):
        assert (await console.receive_json_from(TIMEOUT))["type"] == expected
    await console.send_json_to({"type": "open", "conversation": conversation_id})
    while (frame := await console.receive_json_from(TIMEOUT))["type"] != "opened":
        pass
    return agent, console, frame


@database_sync_to_async
def conversation_of(session_key: str) -> int:
    return Conversation.objects.get(session_key=session_key).pk


@database_sync_to_async
def write_note(conversation_id: int, agent, text: str = SECRET) -> Note:
    return services.note_create(conversation_id=conversation_id, user=agent, text=text).note


@pytest.mark.asyncio
# Consumers reach the database from worker threads, so the test commits for real.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_note_reaches_the_console_but_never_the_visitor_s_socket_live_or_replayed():
    session_key = await new_visitor()
    visitor = await connect(session_key)
    await visitor.receive_json_from(TIMEOUT)  # the greeting
    conversation_id = await conversation_of(session_key)
    agent, console, _ = await agent_console_on(conversation_id)
    # A second tab of the visitor's, listening through the conversation's group.
    other_tab = await connect(session_key)
    await other_tab.receive_json_from(TIMEOUT)  # the history: the greeting

    note = await write_note(conversation_id, agent)

    while (frame := await console.receive_json_from(TIMEOUT))["type"] != "note":
        assert frame["type"] == "conversation"  # the list's row, as the second tab opened
    assert frame["text"] == SECRET
    assert frame["id"] == str(note.uid)
    assert await visitor.receive_nothing(0.5)
    assert await other_tab.receive_nothing(0.1)

    # The visitor comes back: the history holds the greeting, not the note.
    await visitor.disconnect()
    again = await connect(session_key)
    replayed = [await again.receive_json_from(TIMEOUT)]
    assert await again.receive_nothing(0.5)
    assert [f["type"] for f in replayed] == ["message"]
    assert SECRET not in str(replayed)
    for communicator in (again, other_tab, console):
        await communicator.disconnect()


@pytest.mark.django_db
def test_the_transcript_email_holds_the_messages_not_the_notes(smtp_server):
    # A visitor as the chat box makes one: its opening starts the session.
    client = Client()
    client.get("/restapi/get-agent-info")
    conversation = services.conversation_open(session_key=client.session.session_key)
    agent = make_agent("anna", first_name="Anna")
    services.note_create(conversation_id=conversation.pk, user=agent, text=SECRET)

    to = f"v-{uuid.uuid4().hex[:10]}@example.org"
    assert client.post("/restapi/transcript", {"email": to}).status_code == 201
    [received] = smtp_server.received
    assert "Hi there! I'm Case." in received.text  # the messages are there
    assert SECRET not in received.text
    assert SECRET not in received.html
