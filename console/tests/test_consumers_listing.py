"""The staff console's socket (console/consumers.py): labels, and the list through a filter,
a search and pages, with the live rows that follow it."""

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat.models import Conversation, ConversationLabel, Label, Message
from chat.tests.conftest import visitor_communicator
from chat.tests.test_consumers import TIMEOUT, new_visitor
from console.tests.test_consumers import (
    act,
    conversation_of,
    drain,
    expect,
    new_agent,
    open_console,
    say,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@database_sync_to_async
def new_label(name, color="#d97706"):
    return Label.objects.create(name=name, color=color)


@database_sync_to_async
def made(minutes_ago, text="Hello", labels=()):
    """A conversation of before, last active ``minutes_ago``, in which the visitor said ``text``."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    conversation = Conversation.objects.create(
        session_key=uuid.uuid4().hex, created_at=at, last_message_at=at, state="closed"
    )
    Message.objects.create(
        conversation=conversation, sender_role="visitor", sender_name="Visitor", text=text
    )
    for label in labels:
        ConversationLabel.objects.create(conversation=conversation, label=label)
    return conversation.pk


async def ask_list(console, client_id="l-1", **fields):
    await console.send_json_to({"type": "list", "client_id": client_id, **fields})
    return await expect(console, "conversations", client_id=client_id)


def ids(page):
    return [row["id"] for row in page["conversations"]]


# The first visitor of a test loads the bot (its knowledge's vectors), which a busy machine
# takes seconds over.
BOT_LOADED = 60


async def visitor_talking():
    """A visitor whose chat is open, and its conversation's id."""
    session_key = await new_visitor()
    visitor = visitor_communicator(session_key)
    assert (await visitor.connect(BOT_LOADED))[0]
    assert (await visitor.receive_json_from(BOT_LOADED))["type"] == "status"
    await visitor.receive_json_from(TIMEOUT)  # the greeting
    return visitor, await conversation_of(session_key)


async def test_a_console_gets_the_first_page_then_what_it_can_filter_by():
    billing = await new_label("Billing")
    older = await made(30, labels=[billing])
    anna = await new_agent("anna")
    console = await open_console(anna)
    assert console.listing == {
        "type": "conversations",
        "filter": {},
        "after": None,
        "next": None,
        "conversations": console.listing["conversations"],
        # How far this agent has seen them: nothing yet (console.SeenConversation).
        "seen": {},
    }
    [row] = console.listing["conversations"]
    assert row["id"] == older
    assert row["labels"] == [{"id": billing.pk, "name": "Billing", "color": "#d97706"}]
    filters = await expect(console, "filters")
    assert filters == {
        "type": "filters",
        "labels": [{"id": billing.pk, "name": "Billing", "color": "#d97706"}],
        "agents": [{"id": anna.pk, "name": "Anna", "is_bot": False}],
    }
    await console.disconnect()


async def test_an_agent_labels_a_conversation_and_every_console_s_row_shows_it():
    billing = await new_label("Billing")
    anna, ben = await new_agent("anna"), await new_agent("ben")
    mine, theirs = await open_console(anna), await open_console(ben)
    visitor, conversation = await visitor_talking()
    await drain(mine)
    await drain(theirs)

    await act(mine, "label", conversation, label=billing.pk, active=True)
    for console in (mine, theirs):
        row = await expect(console, "conversation", id=conversation)
        assert row["labels"] == [{"id": billing.pk, "name": "Billing", "color": "#d97706"}]
        assert row["listed"] is True
    await act(theirs, "label", conversation, label=billing.pk, active=False)
    row = await expect(mine, "conversation", id=conversation)
    assert row["labels"] == []

    # A label that is not there: refused, and the socket stays.
    await act(mine, "label", conversation, label=billing.pk + 99, active=True)
    error = await expect(mine, "error")
    assert (error["code"], error["conversation"]) == ("unknown_label", conversation)
    await act(mine, "label", conversation, label=billing.pk, active=True)
    await expect(mine, "conversation", id=conversation)
    for communicator in (visitor, mine, theirs):
        await communicator.disconnect()


async def test_a_filtered_list_hears_of_every_change_but_lists_only_what_matches():
    billing = await new_label("Billing")
    filed = await made(30, labels=[billing])
    await made(40)
    anna = await new_agent("anna")
    console = await open_console(anna)
    page = await ask_list(console, filter={"labels": [billing.pk]})
    assert ids(page) == [filed]
    assert page["filter"] == {"labels": [billing.pk]}

    # A visitor writes in a conversation without the label: the console hears of it (for its
    # alerts, its open conversation), not as a row of its list.
    visitor, conversation = await visitor_talking()
    await say(visitor, "Where is my parcel?", "v-1")
    row = await expect(console, "conversation", id=conversation)
    assert row["listed"] is False
    # Labelled, it belongs in the list; the label taken off, it leaves it.
    await act(console, "label", conversation, label=billing.pk, active=True)
    assert (await expect(console, "conversation", id=conversation, listed=True))["labels"]
    await act(console, "label", conversation, label=billing.pk, active=False)
    await expect(console, "conversation", id=conversation, listed=False)

    # Back to everything: every row is listed again.
    page = await ask_list(console, "l-2")
    assert page["filter"] == {} and conversation in ids(page)
    await say(visitor, "Hello?", "v-2")
    await expect(console, "conversation", id=conversation, listed=True)
    await visitor.disconnect()
    await console.disconnect()


async def test_a_searching_console_lists_a_conversation_once_its_messages_hold_the_words():
    found = await made(30, "Is the gopher kaleidoscope back?")
    anna = await new_agent("anna")
    console = await open_console(anna)
    page = await ask_list(console, filter={"search": "Kaleidoscope"})
    assert ids(page) == [found]

    visitor, conversation = await visitor_talking()
    await say(visitor, "Do you ship to Germany?", "v-1")
    await expect(console, "conversation", id=conversation, listed=False)
    await say(visitor, "And the kaleidoscope?", "v-2")
    await expect(console, "conversation", id=conversation, listed=True)
    # Its words stay said: it stays listed as the chat goes on.
    await say(visitor, "Thanks", "v-3")
    await expect(console, "conversation", id=conversation, listed=True)
    await visitor.disconnect()
    await console.disconnect()


async def test_a_console_pages_through_older_conversations(settings):
    settings.CHAT_CONSOLE_PAGE_SIZE = 2
    five = [await made(minutes) for minutes in (10, 20, 30, 40, 50)]
    anna = await new_agent("anna")
    console = await open_console(anna)
    assert [row["id"] for row in console.listing["conversations"]] == five[:2]
    seen, after = [], None
    while True:
        fields = {"after": after} if after else {}
        page = await ask_list(console, f"page-{len(seen)}", **fields)
        assert page["after"] == after
        seen += ids(page)
        after = page["next"]
        if after is None:
            break
        # A new conversation meanwhile goes to the top, not onto the next page.
        await made(0)
    assert seen == five
    await console.disconnect()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"filter": {"state": "lost"}}, "invalid_filter"),
        ({"filter": {"search": "?!"}}, "invalid_filter"),
        ({"after": "tomorrow"}, "invalid_cursor"),
    ],
)
async def test_a_bad_list_frame_is_refused_and_the_list_stays_as_it_was(fields, code):
    billing = await new_label("Billing")
    await made(30, labels=[billing])
    anna = await new_agent("anna")
    console = await open_console(anna)
    await ask_list(console, filter={"labels": [billing.pk]})

    await console.send_json_to({"type": "list", "client_id": "bad-1", **fields})
    error = await expect(console, "error")
    assert (error["code"], error["client_id"]) == (code, "bad-1")
    # Still filtered by the label.
    visitor, conversation = await visitor_talking()
    await say(visitor, "Hello", "v-1")
    await expect(console, "conversation", id=conversation, listed=False)
    await visitor.disconnect()
    await console.disconnect()


async def test_a_label_saved_in_admin_reaches_every_open_console():
    anna = await new_agent("anna")
    console = await open_console(anna)
    await expect(console, "filters")
    label = await new_label("Bug", "#dc2626")  # as admin saves it
    filters = await expect(console, "filters")
    assert filters["labels"] == [{"id": label.pk, "name": "Bug", "color": "#dc2626"}]
    await console.disconnect()
