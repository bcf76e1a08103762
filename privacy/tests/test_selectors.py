"""Finding one visitor's data, counting what erasing it deletes, and exporting it."""

import json

import pytest
from django.contrib.sessions.models import Session

from chat.models import Conversation
from privacy.selectors import (
    VisitorLookup,
    emails_of_left_messages,
    erasure_counts,
    labelled,
    ratings_count,
    unanswered_questions_of,
    visitor_data,
    visitor_export,
)

from .conftest import conversation, left_message

pytestmark = pytest.mark.django_db


def ids(rows) -> tuple[int, ...]:
    return tuple(sorted(row.pk for row in rows))


def test_a_conversation_finds_every_conversation_of_its_session_and_what_was_left_from_it(
    jane, omar
):
    rated, ongoing, at_work = jane.conversations
    data = visitor_data(lookup=VisitorLookup(conversation_ids=(ongoing.pk,)))
    assert data.conversation_ids == ids([rated, ongoing])
    assert data.left_message_ids == ids(jane.left_messages[:1])
    assert data.session_keys == (jane.sessions[0],)
    assert data.lookup.kind == "conversation"


def test_an_email_address_finds_its_left_messages_in_any_case_and_their_conversations(jane, omar):
    data = visitor_data(lookup=VisitorLookup(emails=("JANE@example.COM",)))
    assert data.conversation_ids == ids(jane.conversations)
    assert data.left_message_ids == ids(jane.left_messages)
    assert data.session_keys == tuple(sorted(jane.sessions))
    assert data.lookup.kind == "email"


def test_an_empty_session_joins_nothing_and_nobody_is_nothing(jane, omar):
    anonymous = omar.left_messages[1]
    assert anonymous.session_key == ""
    conversation("", ("visitor", "a conversation without a session"))
    data = visitor_data(lookup=VisitorLookup(emails=("anon@example.com",)))
    assert (data.conversation_ids, data.left_message_ids, data.session_keys) == (
        (),
        (anonymous.pk,),
        (),
    )
    nobody = visitor_data(lookup=VisitorLookup(emails=("nobody@example.com",)))
    assert not nobody
    assert not visitor_data(lookup=VisitorLookup(conversation_ids=(987654,)))


def test_a_session_that_expired_and_went_is_not_counted(jane):
    Session.objects.filter(pk=jane.sessions[0]).delete()
    data = visitor_data(lookup=VisitorLookup(conversation_ids=(jane.conversations[0].pk,)))
    assert data.session_keys == ()
    assert data.conversation_ids  # the conversations are still there, found by the session


def test_the_left_messages_addresses_each_once():
    first = left_message("Jane@Example.com")
    second = left_message("jane@example.com")
    third = left_message("omar@example.com")
    assert emails_of_left_messages(left_message_ids=[first.pk, second.pk, third.pk]) == (
        "jane@example.com",
        "omar@example.com",
    )


def test_the_counts_are_what_deleting_takes_cascades_included(jane, omar):
    data = visitor_data(lookup=VisitorLookup(emails=("jane@example.com",)))
    assert labelled(erasure_counts(data=data)) == {
        "conversations": 3,
        "messages": 5,
        "left messages": 2,
        "sessions": 2,
        "botapp-conversation relationships": 1,
        "memberships": 1,
        "webhook deliveries": 1,
        "suggestions": 1,
        "unanswered questions": 1,
    }
    assert ratings_count(data=data) == 1
    # Only the question she alone asked is hers; one many asked is nobody's in particular.
    assert [q.text for q in unanswered_questions_of(data=data)] == ["Do you ship gophers to Mars?"]


def test_the_export_is_what_the_visitor_gave_and_saw_and_nothing_only_staff_see(jane, omar):
    data = visitor_data(lookup=VisitorLookup(emails=("jane@example.com",)))
    export = visitor_export(data=data)
    text = json.dumps(export)
    rated = export["conversations"][0]
    assert [c["id"] for c in export["conversations"]] == [c.pk for c in jane.conversations]
    assert rated["rating"]["score"] == 5 and rated["rating"]["comment"] == "Lovely"
    assert [(m["from"], m["text"]) for m in rated["messages"]] == [
        ("bot", "Hi! I'm Case."),
        ("visitor", "Do you ship gophers to Mars?"),
        ("agent", "Not yet, sorry!"),
    ]
    assert export["conversations"][1]["rating"] is None
    assert sorted(left["email"] for left in export["left_messages"]) == [
        "Jane@Example.com",
        "jane@example.com",
    ]
    # Staff's suggestions, the session keys and anyone else's words are not in it.
    assert "Try Venus" not in text
    assert not any(key in text for key in jane.sessions)
    assert "Oslo" not in text and "omar" not in text
    assert set(rated) == {
        "id",
        "started_at",
        "last_activity_at",
        "closed_at",
        "page",
        "language",
        "rating",
        "messages",
    }


def test_conversations_of_other_visitors_are_never_found(jane, omar):
    data = visitor_data(lookup=VisitorLookup(conversation_ids=(omar.conversations[0].pk,)))
    assert set(data.conversation_ids) == {omar.conversations[0].pk}
    assert Conversation.objects.count() == 4
