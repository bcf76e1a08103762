"""Questions of many visitors stored and answered together while the database is busy."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from chat import batching, services
from chat.models import Conversation, Message

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

QUESTIONS = ["What is isomorphic go?", "Where can I get starter code?"]


def open_conversations(count: int) -> list[int]:
    return [services.conversation_open(session_key=f"{n:032d}").pk for n in range(count)]


@pytest.fixture
def batches(monkeypatch):
    """The batches the queue hands to the service, recorded on their way."""
    seen: list[list[int]] = []
    real = services.visitor_messages_post

    def recording(questions):
        seen.append([q.conversation_id for q in questions])
        return real(questions)

    monkeypatch.setattr(services, "visitor_messages_post", recording)
    return seen


def question(conversation_id: int, n: int = 0) -> services.VisitorQuestion:
    return services.VisitorQuestion(
        conversation_id=conversation_id,
        text=QUESTIONS[n % len(QUESTIONS)],
        client_id=f"c{conversation_id}-{n}",
        channel_name=f"chan!{conversation_id}",
    )


async def test_questions_that_queue_go_in_together_and_each_gets_its_own_answer(batches):
    ids = await database_sync_to_async(open_conversations)(12)
    posts = await asyncio.gather(*(batching.visitor_message_post(question(i)) for i in ids))
    # Queued together, they went in together: fewer transactions than questions.
    assert sorted(sum(batches, [])) == sorted(ids)
    assert len(batches) < len(ids)
    for conversation_id, post in zip(ids, posts, strict=True):
        assert post.message.conversation_id == post.reply.conversation_id == conversation_id
        assert post.message.client_id == f"c{conversation_id}-0"
        assert "Isomorphic Go is the methodology" in post.reply.text
    stored = await database_sync_to_async(
        lambda: list(Message.objects.filter(conversation_id__in=ids).values_list("sender_role"))
    )()
    # Greeting, question and answer in each conversation, once.
    assert sorted(stored) == sorted([("bot",), ("visitor",), ("bot",)] * len(ids))


async def test_one_conversations_questions_are_answered_in_the_order_they_came(batches):
    (conversation_id,) = await database_sync_to_async(open_conversations)(1)
    posts = await asyncio.gather(
        *(batching.visitor_message_post(question(conversation_id, n)) for n in range(4))
    )
    assert all(len(batch) == 1 for batch in batches)
    texts = await database_sync_to_async(
        lambda: list(
            Message.objects.filter(conversation_id=conversation_id, sender_role="visitor")
            .order_by("id")
            .values_list("client_id", flat=True)
        )
    )()
    assert texts == [f"c{conversation_id}-{n}" for n in range(4)]
    assert [post.message.client_id for post in posts] == texts


async def test_a_resend_or_a_closed_conversation_in_a_batch_spoils_nothing_else():
    def setup():
        ids = open_conversations(3)
        services.visitor_message_post(**vars(question(ids[0])))
        Conversation.objects.filter(pk=ids[2]).update(state="closed")
        return ids

    ids = await database_sync_to_async(setup)()
    results = await database_sync_to_async(services.visitor_messages_post)(
        [question(i) for i in ids]
    )
    resent, fresh, closed = results
    assert resent.duplicate and resent.reply is None
    assert not fresh.duplicate and fresh.reply is not None
    assert isinstance(closed, services.ConversationClosed)
    counts = await database_sync_to_async(
        lambda: [Message.objects.filter(conversation_id=i).count() for i in ids]
    )()
    assert counts == [3, 3, 1]


async def test_a_question_alone_goes_at_once(batches):
    (conversation_id,) = await database_sync_to_async(open_conversations)(1)
    post = await asyncio.wait_for(batching.visitor_message_post(question(conversation_id)), 5)
    assert batches == [[conversation_id]] and post.reply is not None


async def test_a_failing_batch_fails_each_of_its_questions_and_the_queue_goes_on(monkeypatch):
    ids = await database_sync_to_async(open_conversations)(3)
    real = services.visitor_messages_post
    calls = []

    def failing_once(questions):
        calls.append(len(questions))
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        return real(questions)

    monkeypatch.setattr(services, "visitor_messages_post", failing_once)
    first = await asyncio.gather(
        batching.visitor_message_post(question(ids[0])), return_exceptions=True
    )
    assert isinstance(first[0], ConnectionError)
    post = await batching.visitor_message_post(question(ids[1]))
    assert post.reply is not None


async def test_a_follow_up_that_fails_costs_no_other_visitor_the_reply(monkeypatch):
    ids = await database_sync_to_async(open_conversations)(2)

    def broken(*, conversation_id):
        raise RuntimeError("no agents table today")

    # Where the batch looks it up: the questions module.
    monkeypatch.setattr("chat.services.questions.conversation_request_person", broken)
    asks_for_a_person = services.VisitorQuestion(
        conversation_id=ids[0], text="I want to talk to a human", client_id="p", channel_name="a!b"
    )
    person, other = await database_sync_to_async(services.visitor_messages_post)(
        [asks_for_a_person, question(ids[1])]
    )
    assert person.message.client_id == "p" and not person.duplicate
    assert "Isomorphic Go is the methodology" in other.reply.text
