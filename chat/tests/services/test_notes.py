"""chat/services/notes.py: staff's private notes, stored apart and shown to staff only."""

import pytest

from chat import events as chat_events
from chat import services
from chat.models import Message, Note

from ..conftest import make_agent

pytestmark = pytest.mark.django_db


def test_a_note_is_stored_with_its_author_and_shown_to_the_staff_s_group_alone(
    events, conversation, anna
):
    written = events.run(
        services.note_create,
        conversation_id=conversation.pk,
        user=anna,
        text="Asked about a refund twice",
        client_id="n-1",
    )
    note = Note.objects.get()
    assert written == services.NotePost(note=note, duplicate=False)
    assert (note.conversation_id, note.author, note.author_name) == (conversation.pk, anna, "Anna")
    assert note.text == "Asked about a refund twice" and note.client_id == "n-1"
    # Not a message: the conversation's messages, and its last activity, are as they were.
    assert not Message.objects.filter(text=note.text).exists()
    assert [name for name, _ in events] == [f"chat.conversation.{conversation.pk}.staff"]
    assert events.to_staff(conversation.pk) == [
        {
            "type": "note",
            "conversation": conversation.pk,
            "id": str(note.uid),
            "author": {"id": anna.pk, "name": "Anna"},
            "text": "Asked about a refund twice",
            "created_at": note.created_at.isoformat(),
            "client_id": "n-1",
        }
    ]


def test_a_note_is_announced_once_as_a_note(conversation, anna):
    heard = []
    chat_events.subscribe(heard.append)
    try:
        post = services.note_create(conversation_id=conversation.pk, user=anna, text="x")
    finally:
        chat_events.unsubscribe(heard.append)
    assert heard == [(chat_events.NoteCreated(post.note),)]


def test_any_agent_writes_notes_whoever_answers_and_in_a_closed_chat(taken, anna, ben):
    services.note_create(conversation_id=taken.pk, user=ben, text="Ben: I know this one")
    services.conversation_close(conversation_id=taken.pk, user=anna)
    services.note_create(conversation_id=taken.pk, user=ben, text="Called them back")
    assert list(Note.objects.values_list("author_name", "text")) == [
        ("Ben", "Ben: I know this one"),
        ("Ben", "Called them back"),
    ]


def test_a_resend_is_stored_once_and_another_text_under_its_id_is_refused(
    events, conversation, anna
):
    first = events.run(
        services.note_create, conversation_id=conversation.pk, user=anna, text="x", client_id="n"
    )
    events.clear()
    again = events.run(
        services.note_create, conversation_id=conversation.pk, user=anna, text="x", client_id="n"
    )
    assert again == services.NotePost(note=first.note, duplicate=True)
    assert events == []  # the sending console shows it as its acknowledgement
    with pytest.raises(services.IdempotencyConflict):
        services.note_create(conversation_id=conversation.pk, user=anna, text="y", client_id="n")
    assert Note.objects.count() == 1


def test_notes_need_a_conversation_and_staff_who_may_chat(conversation):
    carl = make_agent("carl", permission=False)
    with pytest.raises(services.NotStaff) as refused:
        services.note_create(conversation_id=conversation.pk, user=carl, text="x")
    assert refused.value.code == "forbidden"
    anna = make_agent("anna")
    with pytest.raises(services.ConversationNotFound):
        services.note_create(conversation_id=conversation.pk + 1, user=anna, text="x")
    assert not Note.objects.exists()
