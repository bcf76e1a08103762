"""chat/services/ratings.py: the visitor's rating of a closed chat."""

import pytest
from django.db import IntegrityError, transaction

from chat import services
from chat.models import Conversation
from testsupport.harness import require_concurrent_writers, run_at_once

from .conftest import greeting_of, state_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended(conversation):
    services.conversation_end(conversation_id=conversation.pk)
    return conversation


def rating_of(conversation):
    row = state_of(conversation)
    return row.rating_score, row.rating_comment, row.rated_at


def test_a_chat_going_on_cannot_be_rated(events, conversation):
    with pytest.raises(services.ConversationNotClosed) as caught:
        events.run(
            services.conversation_rate, conversation_id=conversation.pk, score=5, comment="Nice"
        )
    assert caught.value.code == "not_closed"
    assert rating_of(conversation) == (None, "", None)
    assert events == []


def test_a_closed_chat_is_rated_and_every_tab_and_console_hears_of_it(events, ended):
    events.clear()
    events.run(
        services.conversation_rate, conversation_id=ended.pk, score=4, comment="Quick and kind."
    )

    score, comment, rated_at = rating_of(ended)
    assert (score, comment) == (4, "Quick and kind.")
    assert rated_at is not None
    [status] = events.to_visitor(ended.pk)
    assert status == {
        "type": "status",
        "state": "closed",
        "online": True,
        "out_of_hours": False,
        "answering": None,
        "read_through": greeting_of(ended),
        "rating": {"score": 4, "comment": "Quick and kind."},
    }
    [row] = events.to_inbox()
    assert row["id"] == ended.pk
    assert row["rating"] == {
        "score": 4,
        "comment": "Quick and kind.",
        "rated_at": rated_at.isoformat(),
    }
    # Nothing new to show inside the conversation itself.
    assert events.to_staff(ended.pk) == []


def test_a_chat_is_rated_once(events, ended):
    services.conversation_rate(conversation_id=ended.pk, score=2)
    first = rating_of(ended)
    events.clear()

    with pytest.raises(services.AlreadyRated) as caught:
        events.run(services.conversation_rate, conversation_id=ended.pk, score=5, comment="Oops")

    assert caught.value.code == "already_rated"
    assert rating_of(ended) == first
    assert first[:2] == (2, "")
    assert events == []


def test_there_is_no_rating_a_conversation_that_is_not(db):
    with pytest.raises(services.ConversationNotFound):
        services.conversation_rate(conversation_id=987654, score=3)


@pytest.mark.parametrize("score", [0, 6])
def test_the_database_keeps_scores_from_1_to_5(ended, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.filter(pk=ended.pk).update(rating_score=score)
    assert rating_of(ended)[0] is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tabs_rating_at_once_keep_one_rating(monkeypatch):
    """The visitor's tabs (threads, each with its own database connection) rate at once."""
    require_concurrent_writers()
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)
    conversation = services.conversation_open(session_key="r" * 32)
    services.conversation_end(conversation_id=conversation.pk)
    kept: list[int] = []

    def rate(score) -> None:
        services.conversation_rate(conversation_id=conversation.pk, score=score)
        kept.append(score)

    lost = run_at_once(rate, [1, 2, 3, 4, 5])
    assert [exc for exc in lost if not isinstance(exc, services.AlreadyRated)] == []
    assert len(kept) == 1 and len(lost) == 4
    assert rating_of(conversation)[0] == kept[0]
