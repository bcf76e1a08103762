import pytest

from chat import selectors, services

pytestmark = pytest.mark.django_db


def test_conversation_frames_are_oldest_first_and_capped_to_the_newest(settings, monkeypatch):
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)
    conversation = services.conversation_open(session_key="h" * 32)
    questions = ["What is isomorphic go?", "What is kick?", "Where is the starter code?"]
    for n, question in enumerate(questions):
        services.visitor_message_post(
            conversation_id=conversation.pk, text=question, client_id=f"c{n}", channel_name="x"
        )
    frames = selectors.conversation_frames(conversation_id=conversation.pk)
    assert [frame["text"] for frame in frames[1::2]] == questions

    settings.CHAT_HISTORY_LIMIT = 2
    frames = selectors.conversation_frames(conversation_id=conversation.pk)
    assert [frame["text"] for frame in frames][0] == questions[-1]
    assert len(frames) == 2
