"""chat/services/questions.py: visitors' questions and the bot's answers, misses and suggestions."""

import threading
import time

import pytest
from django.db import connection

from chat import services
from chat.models import Message, Suggestion
from chat.tests.conftest import make_agent
from testsupport.harness import require_concurrent_writers, run_at_once

from .conftest import (
    ANSWERABLE,
    ASKED_SOMEONE,
    ASKS_FOR_A_PERSON,
    JOINED,
    UNANSWERABLE,
    messages_of,
    state_of,
    visitor_says,
)

pytestmark = pytest.mark.django_db


def test_visitor_message_post_stores_question_and_answer(sent, django_capture_on_commit_callbacks):
    conversation = services.conversation_open(session_key="v" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.visitor_message_post(
            conversation_id=conversation.pk,
            text="Where can I find a talk on this topic?",
            client_id="c1",
            channel_name="test!chan",
        )
    assert not post.duplicate
    roles_and_texts = list(conversation.messages.values_list("sender_role", "client_id"))
    assert roles_and_texts[1:] == [("visitor", "c1"), ("bot", None)]
    assert "GopherCon India" in conversation.messages.last().text
    # The asking socket shows both from what the service returns ...
    assert (post.message.sender_role, post.reply.sender_role) == ("visitor", "bot")
    assert post.reply == conversation.messages.last()
    # ... and, with no other tab and no console open, nothing crosses the channel layer.
    assert sent == []


def test_another_tab_gets_question_and_answer_live_and_the_asker_drops_its_copy(
    sent, django_capture_on_commit_callbacks
):
    conversation = services.conversation_open(session_key="v" * 32)
    services.conversation_open(session_key="v" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        services.visitor_message_post(
            conversation_id=conversation.pk,
            text="Where can I find a talk on this topic?",
            client_id="c1",
            channel_name="test!chan",
        )
    assert [event["frame"]["sender"]["role"] for _, event in sent] == ["visitor", "bot"]
    assert {event["shown_by"] for _, event in sent} == {"test!chan"}


def test_a_bot_that_fails_loses_no_question(sent, monkeypatch):
    conversation = services.conversation_open(session_key="f" * 32)

    def broken(self, question, context=None):
        raise RuntimeError("knowledge base on fire")

    monkeypatch.setattr("bots.agents.AgentCase.respond", broken)
    post = services.visitor_message_post(
        conversation_id=conversation.pk, text="hi", client_id="c1", channel_name="x"
    )
    assert post.bot_failed and post.reply is None
    assert conversation.messages.filter(sender_role="visitor", client_id="c1").exists()


def test_a_duplicate_is_answered_to_the_sending_connection_only(
    sent, django_capture_on_commit_callbacks
):
    conversation = services.conversation_open(session_key="d" * 32)
    services.conversation_open(session_key="d" * 32)  # a second tab listens
    first = services.visitor_message_post(
        conversation_id=conversation.pk, text="hi", client_id="c1", channel_name="a!b"
    )
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post = services.visitor_message_post(
            conversation_id=conversation.pk, text="hi", client_id="c1", channel_name="a!b"
        )
    assert post.duplicate and post.message == first.message and post.reply is None
    assert Message.objects.filter(conversation=conversation).count() == 3
    assert sent == []


def test_the_same_client_id_in_another_conversation_is_a_different_message(sent):
    one = services.conversation_open(session_key="1" * 32)
    two = services.conversation_open(session_key="2" * 32)
    for conversation in (one, two):
        post = services.visitor_message_post(
            conversation_id=conversation.pk, text="hi", client_id="same", channel_name="x"
        )
        assert not post.duplicate


def test_messages_without_client_id_are_all_kept(sent):
    conversation = services.conversation_open(session_key="n" * 32)
    for _ in range(2):
        services.visitor_message_post(
            conversation_id=conversation.pk, text="hi", client_id=None, channel_name="x"
        )
    assert conversation.messages.filter(sender_role="visitor").count() == 2


def test_the_bot_is_silent_once_an_agent_took_the_conversation(taken, respond_calls):
    post = visitor_says(taken, ANSWERABLE, "v1")
    assert not post.duplicate
    assert messages_of(taken)[-1] == ("visitor", ANSWERABLE)
    assert respond_calls == []


def test_the_bots_answer_is_dropped_when_an_agent_takes_over_while_it_thinks(
    monkeypatch, conversation, anna
):
    from bots.agents import AgentCase

    real_respond = AgentCase.respond

    def slow_respond(self, question, *, context=None):
        # The agent takes over between the visitor's message and the bot's answer.
        services.conversation_take(conversation_id=conversation.pk, user=anna)
        return real_respond(self, question, context=context)

    monkeypatch.setattr(AgentCase, "respond", slow_respond)
    post = visitor_says(conversation, ANSWERABLE, "v1")
    # (Only code in the same transaction can get in between like this: see the next test.)
    assert post.reply is None
    assert sorted(role for role, _ in messages_of(conversation)) == ["bot", "system", "visitor"]
    assert state_of(conversation).state == "agent"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_agent_taking_over_while_the_bot_thinks_waits_for_its_answer(monkeypatch):
    """The visitor's message and the bot's answer are one transaction under the
    conversation's lock: a take from another connection comes after both."""
    require_concurrent_writers()
    from bots.agents import AgentCase

    conversation = services.conversation_open(session_key="t" * 32)
    anna = make_agent("anna", first_name="Anna")
    thinking = threading.Event()
    real_respond = AgentCase.respond

    def slow_respond(self, question, *, context=None):
        thinking.set()
        time.sleep(0.5)
        return real_respond(self, question, context=context)

    monkeypatch.setattr(AgentCase, "respond", slow_respond)

    def take_while_it_thinks():
        try:
            assert thinking.wait(10)
            services.conversation_take(conversation_id=conversation.pk, user=anna)
        finally:
            connection.close()

    taker = threading.Thread(target=take_while_it_thinks)
    taker.start()
    post = visitor_says(conversation, ANSWERABLE, "v1")
    taker.join(20)
    assert post.reply is not None
    assert [role for role, _ in messages_of(conversation)] == ["bot", "visitor", "bot", "system"]
    assert state_of(conversation).state == "agent"


def test_a_handoff_asked_while_an_agent_takes_over_is_not_offered_a_left_message(
    monkeypatch, conversation, anna
):
    from bots.agents import AgentCase

    real_respond = AgentCase.respond

    def respond_then_leave(self, question, *, context=None):
        services.conversation_take(conversation_id=conversation.pk, user=anna)
        # ... and Anna stops accepting chats: nobody is "available", but Anna answers.
        services.agent_accepting_set(user=anna, accepting=False)
        return real_respond(self, question, context=context)

    monkeypatch.setattr(AgentCase, "respond", respond_then_leave)
    visitor_says(conversation, ASKS_FOR_A_PERSON, "v1")
    # (The take runs inside the visitor's transaction here, so its message is stored first.)
    assert sorted(messages_of(conversation)[1:]) == [
        ("system", JOINED),
        ("visitor", ASKS_FOR_A_PERSON),
    ]
    assert state_of(conversation).state == "agent"


def test_side_kick_by_default_means_no_greeting_and_suggestions_only_staff_see(
    events, sidekick_default, anna
):
    conversation = events.run(services.conversation_open, session_key="k" * 32)
    assert conversation.sidekick
    assert messages_of(conversation) == []

    events.run(visitor_says, conversation=conversation, text=ANSWERABLE, client_id="v1")
    # Nobody answers yet: the visitor waits for a person, and the bot only suggests.
    assert state_of(conversation).state == "waiting"
    assert messages_of(conversation) == [("visitor", ANSWERABLE), ("system", ASKED_SOMEONE)]
    suggestion = Suggestion.objects.get(conversation=conversation)
    assert suggestion.text.startswith("Isomorphic Go is the methodology")
    assert suggestion.question.text == ANSWERABLE
    assert suggestion.sent_message is None
    [frame] = [f for f in events.to_staff(conversation.pk) if f["type"] == "suggestion"]
    assert frame == {
        "type": "suggestion",
        "conversation": conversation.pk,
        "id": str(suggestion.uid),
        "text": suggestion.text,
        "question": str(suggestion.question.uid),
    }
    # Not to the visitor, in no form, by no group.
    for group, event in events:
        if not group.endswith(".staff"):
            assert suggestion.text not in str(event)


def test_side_kick_in_a_taken_conversation_suggests_and_never_answers(events, taken, anna):
    events.run(services.conversation_set_sidekick, conversation_id=taken.pk, user=anna, active=True)
    assert state_of(taken).sidekick
    visitor_says(taken, ANSWERABLE, "v1")
    visitor_says(taken, UNANSWERABLE, "v2")
    assert [role for role, _ in messages_of(taken)][-2:] == ["visitor", "visitor"]
    # A question the bot cannot answer gets no suggestion.
    assert [s.question.text for s in Suggestion.objects.filter(conversation=taken)] == [ANSWERABLE]


def test_a_handoff_question_asks_for_a_person(conversation, anna):
    visitor_says(conversation, ASKS_FOR_A_PERSON, "v1")
    assert state_of(conversation).state == "waiting"
    assert messages_of(conversation)[1:] == [
        ("visitor", ASKS_FOR_A_PERSON),
        ("system", ASKED_SOMEONE),
    ]


def test_two_unanswered_questions_in_a_row_ask_for_a_person(conversation, anna):
    visitor_says(conversation, UNANSWERABLE, "v1")
    assert state_of(conversation).state == "bot"
    assert state_of(conversation).bot_misses == 1
    visitor_says(conversation, UNANSWERABLE + " again", "v2")
    assert state_of(conversation).state == "waiting"
    assert messages_of(conversation)[-1] == ("system", ASKED_SOMEONE)
    assert state_of(conversation).bot_misses == 0


def test_an_answer_in_between_resets_the_misses(conversation, anna):
    visitor_says(conversation, UNANSWERABLE, "v1")
    visitor_says(conversation, ANSWERABLE, "v2")
    visitor_says(conversation, UNANSWERABLE, "v3")
    assert state_of(conversation).state == "bot"
    assert state_of(conversation).bot_misses == 1


def test_two_misses_with_nobody_there_offer_a_left_message_and_the_bot_goes_on(conversation):
    visitor_says(conversation, UNANSWERABLE, "v1")
    visitor_says(conversation, UNANSWERABLE, "v2")
    assert state_of(conversation).state == "bot"
    assert state_of(conversation).bot_misses == 0
    assert messages_of(conversation)[-1] == ("system", services.NOBODY_AVAILABLE)
    visitor_says(conversation, ANSWERABLE, "v3")
    assert messages_of(conversation)[-1][0] == "bot"


def test_the_bot_is_silent_while_the_visitor_waits(conversation, anna, respond_calls):
    services.conversation_request_person(conversation_id=conversation.pk)
    before = messages_of(conversation)
    visitor_says(conversation, ANSWERABLE, "v1")
    visitor_says(conversation, ASKS_FOR_A_PERSON, "v2")
    assert messages_of(conversation) == [
        *before,
        ("visitor", ANSWERABLE),
        ("visitor", ASKS_FOR_A_PERSON),
    ]
    assert respond_calls == []


def test_the_bot_reacts_to_visitor_messages_only(conversation, anna, respond_calls):
    visitor_says(conversation, ANSWERABLE, "v1")
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    services.agent_message_post(conversation_id=conversation.pk, user=anna, text=ANSWERABLE)
    services.conversation_hand_back(conversation_id=conversation.pk, user=anna)
    assert respond_calls == [ANSWERABLE]
    visitor_says(conversation, "What is kick?", "v2")
    assert respond_calls == [ANSWERABLE, "What is kick?"]
    assert messages_of(conversation)[-1][0] == "bot"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_visitor_message_sent_from_two_tabs_at_once_is_stored_once():
    require_concurrent_writers()
    tabs = 4
    conversation = services.conversation_open(session_key="t" * 32)
    posts: list[services.VisitorPost] = []

    def send(n: int) -> None:
        posts.append(
            services.visitor_message_post(
                conversation_id=conversation.pk,
                text="Hello from both tabs",
                client_id="same-message",
                channel_name=f"tab!{n}",
            )
        )

    assert run_at_once(send, range(tabs)) == []
    assert sorted(post.duplicate for post in posts) == [False] + [True] * (tabs - 1)
    assert len({post.message.pk for post in posts}) == 1
    assert Message.objects.filter(conversation=conversation, sender_role="visitor").count() == 1
    # ... and answered once.
    assert Message.objects.filter(conversation=conversation, sender_role="bot").count() == 2


def test_one_batch_answers_each_visitor_in_their_own_language():
    german = services.conversation_open(session_key="d" * 32, language="de")
    spanish = services.conversation_open(session_key="e" * 32, language="de")
    english = services.conversation_open(session_key="f" * 32)
    results = services.visitor_messages_post(
        [
            # The conversation's language, when the question does not say...
            services.VisitorQuestion(german.pk, UNANSWERABLE, "g1", "a!chan"),
            # ... and the page's, when it does.
            services.VisitorQuestion(spanish.pk, UNANSWERABLE, "s1", "b!chan", language="es"),
            services.VisitorQuestion(english.pk, UNANSWERABLE, "e1", "c!chan"),
        ]
    )
    assert [(post.message.sender_name, post.reply.text) for post in results] == [
        ("Besucher", "Darauf weiß ich leider keine Antwort."),
        ("Visitante", "Lo siento, no sé la respuesta a eso."),
        ("Visitor", "I don't know the answer to that one."),
    ]
    assert messages_of(spanish)[-1] == ("bot", "Lo siento, no sé la respuesta a eso.")


def test_the_call_for_a_person_is_in_the_visitor_s_language(anna):
    conversation = services.conversation_open(session_key="h" * 32, language="es")
    visitor_says(conversation, ASKS_FOR_A_PERSON, "v1")
    assert messages_of(conversation)[-2:] == [
        ("visitor", ASKS_FOR_A_PERSON),
        ("system", "He pedido a alguien del equipo que se una. Le atenderá en breve."),
    ]
