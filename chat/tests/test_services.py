import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from chat import selectors, services
from chat.models import AgentClient, Conversation, Message, Suggestion
from shop.models import Product
from testsupport.harness import require_concurrent_writers, run_at_once

from .conftest import console_open, make_agent, set_bot_enabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Real-time events the services emit to visitors, captured instead of sent."""
    events = []

    def capture(group, event):
        if not group.startswith("chat.staff") and not group.endswith(".staff"):
            events.append((group, event))

    monkeypatch.setattr("chat.realtime._group_send", capture)
    return events


def test_conversation_open_creates_one_conversation_with_a_greeting(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = services.conversation_open(session_key="s" * 32)
    again = services.conversation_open(session_key="s" * 32)
    assert again == conversation
    assert Conversation.objects.count() == 1
    greeting = conversation.messages.get()
    assert greeting.sender_role == "bot"
    assert greeting.text.startswith("Hi there! I'm Case.")
    # The opening socket reads the greeting from the history: nothing to broadcast.
    assert sent == []


def test_every_socket_opened_on_a_conversation_is_counted_until_it_closes(sent):
    conversation = services.conversation_open(session_key="s" * 32)
    services.conversation_open(session_key="s" * 32)
    assert Conversation.objects.get(pk=conversation.pk).open_sockets == 2
    for _ in range(3):
        services.conversation_socket_close(conversation_id=conversation.pk)
    # Never below zero, whatever closes twice.
    assert Conversation.objects.get(pk=conversation.pk).open_sockets == 0


def test_a_closed_conversation_is_not_reopened(sent):
    first = services.conversation_open(session_key="k" * 32)
    Conversation.objects.filter(pk=first.pk).update(closed_at="2026-01-01T00:00Z")
    assert services.conversation_open(session_key="k" * 32) != first


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


# --- the human agents -------------------------------------------------------------------------

ANSWERABLE = "What is isomorphic go?"
UNANSWERABLE = "qwertyuiop zxcvbnm"
ASKS_FOR_A_PERSON = "I want to talk to a human"
JOINED = "Anna (Support) joined and is answering now."
ASKED_SOMEONE = "I've asked someone from the team to join. They will be with you shortly."


def visitor_says(conversation, text, client_id=None, **kwargs):
    return services.visitor_message_post(
        conversation_id=conversation.pk,
        text=text,
        client_id=client_id,
        channel_name="visitor!chan",
        **kwargs,
    )


def messages_of(conversation):
    return list(
        Message.objects.filter(conversation_id=conversation.pk).values_list("sender_role", "text")
    )


def state_of(conversation):
    return Conversation.objects.get(pk=conversation.pk)


@pytest.fixture
def conversation(db):
    return services.conversation_open(session_key="c" * 32)


@pytest.fixture
def taken(conversation, anna):
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    return conversation


@pytest.fixture
def respond_calls(monkeypatch):
    """Every question the bot is asked (the real bot still answers)."""
    from bots.agents import AgentCase

    calls = []
    real_respond = AgentCase.respond

    def counting_respond(self, question, *, context=None):
        calls.append(question)
        return real_respond(self, question, context=context)

    monkeypatch.setattr(AgentCase, "respond", counting_respond)
    return calls


# take


def test_an_agent_takes_a_conversation_from_the_bot(events, conversation, anna):
    taken = events.run(services.conversation_take, conversation_id=conversation.pk, user=anna)
    assert taken.state == "agent"
    assert taken.assigned_agent_id == anna.pk
    assert taken.bot_misses == 0
    assert messages_of(conversation)[-1] == ("system", JOINED)

    [joined, status] = events.to_visitor(conversation.pk)
    assert joined["sender"] == {"role": "system", "name": "Chat"}
    assert joined["text"] == JOINED
    assert status == {
        "type": "status",
        "state": "agent",
        "online": True,
        "answering": {"role": "agent", "name": "Anna", "title": "Support"},
    }
    assert events.to_staff(conversation.pk) == [{**joined, "conversation": conversation.pk}]
    summary = events.to_inbox()[-1]
    assert summary["type"] == "conversation"
    assert summary["id"] == conversation.pk
    assert summary["state"] == "agent"
    assert summary["agent"] == {"id": anna.pk, "name": "Anna", "title": "Support", "is_bot": False}


def test_an_agent_takes_a_waiting_conversation(conversation, anna):
    assert services.conversation_request_person(conversation_id=conversation.pk)
    assert state_of(conversation).state == "waiting"
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    assert state_of(conversation).state == "agent"
    assert messages_of(conversation)[-2:] == [("system", ASKED_SOMEONE), ("system", JOINED)]


def test_a_conversation_another_agent_has_cannot_be_taken(events, taken, ben):
    before = messages_of(taken)
    with pytest.raises(services.ConversationTaken) as caught:
        events.run(services.conversation_take, conversation_id=taken.pk, user=ben)
    assert caught.value.code == "taken"
    assert "Someone else joined this conversation first" in caught.value.detail
    assert state_of(taken).assigned_agent_id != ben.pk
    assert messages_of(taken) == before
    assert events == []


def test_taking_ones_own_conversation_again_changes_nothing(taken, anna):
    before = messages_of(taken)
    assert services.conversation_take(conversation_id=taken.pk, user=anna).pk == taken.pk
    assert messages_of(taken) == before


@pytest.mark.parametrize("closer", ["anna", "ben"])
def test_a_closed_conversation_cannot_be_taken(conversation, anna, ben, closer):
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    services.conversation_close(conversation_id=conversation.pk, user=anna)
    with pytest.raises(services.ConversationNotOpen) as caught:
        services.conversation_take(
            conversation_id=conversation.pk, user=anna if closer == "anna" else ben
        )
    assert caught.value.code == "closed"
    assert state_of(conversation).state == "closed"


def test_taking_an_unknown_conversation_is_not_found(anna):
    with pytest.raises(services.ConversationNotFound):
        services.conversation_take(conversation_id=987654, user=anna)


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


# the agent writes


def test_an_agent_writes_to_the_visitor_with_name_and_title(events, taken, anna, respond_calls):
    post = events.run(
        services.agent_message_post,
        conversation_id=taken.pk,
        user=anna,
        text="Hello, I'm Anna.",
        client_id="a-1",
    )
    assert not post.duplicate
    message = post.message
    assert (message.sender_role, message.sender_name, message.sender_title) == (
        "agent",
        "Anna",
        "Support",
    )
    [to_visitor] = events.to_visitor(taken.pk)
    assert to_visitor["sender"] == {"role": "agent", "name": "Anna", "title": "Support"}
    assert to_visitor["text"] == "Hello, I'm Anna."
    # The visitor has no use for the console's own ids.
    assert to_visitor["client_id"] is None
    [to_staff] = events.to_staff(taken.pk)
    assert to_staff == {**to_visitor, "client_id": "a-1", "conversation": taken.pk}
    # The bot reacts to visitors only.
    assert respond_calls == []
    assert messages_of(taken)[-1] == ("agent", "Hello, I'm Anna.")


def test_only_the_assigned_agent_writes(conversation, anna, ben):
    with pytest.raises(services.NotYourConversation) as caught:
        services.agent_message_post(conversation_id=conversation.pk, user=anna, text="hi")
    assert caught.value.code == "not_yours"
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    with pytest.raises(services.NotYourConversation):
        services.agent_message_post(conversation_id=conversation.pk, user=ben, text="hi")
    with pytest.raises(services.ConversationNotFound):
        services.agent_message_post(conversation_id=987654, user=anna, text="hi")
    assert ("agent", "hi") not in messages_of(conversation)


def test_an_agents_resend_stores_nothing_and_answers_the_console_only(events, taken, anna):
    first = services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="One moment.", client_id="a-1"
    )
    again = events.run(
        services.agent_message_post,
        conversation_id=taken.pk,
        user=anna,
        text="One moment.",
        client_id="a-1",
    )
    assert again.duplicate
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(conversation=taken, sender_role="agent").count() == 1
    # The console that resent is answered by its consumer; nobody else hears of it.
    assert list(events) == []


def test_an_agents_resend_is_acknowledged_even_after_the_conversation_moved_on(taken, anna, ben):
    first = services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="Ben will help.", client_id="a-1"
    )
    services.conversation_transfer(conversation_id=taken.pk, user=anna, to_user_id=ben.pk)
    again = services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="Ben will help.", client_id="a-1"
    )
    assert again.duplicate and again.message.pk == first.message.pk


def test_an_agent_cannot_reuse_a_visitors_client_id(taken, anna):
    visitor_says(taken, "hello", "same-id")
    with pytest.raises(services.ChatActionError):
        services.agent_message_post(
            conversation_id=taken.pk, user=anna, text="hi", client_id="same-id"
        )
    assert Message.objects.filter(conversation=taken, client_id="same-id").count() == 1


def test_the_agent_typing_is_shown_to_the_visitor_only_by_their_agent(events, taken, anna, ben):
    events.run(services.agent_typing, conversation_id=taken.pk, user=anna, active=True)
    assert events.to_visitor(taken.pk) == [
        {
            "type": "typing",
            "active": True,
            "sender": {"role": "agent", "name": "Anna", "title": "Support"},
        }
    ]
    with pytest.raises(services.NotYourConversation):
        services.agent_typing(conversation_id=taken.pk, user=ben, active=True)


def test_the_visitor_typing_is_shown_to_staff(events, conversation):
    events.run(services.visitor_typing, conversation_id=conversation.pk, active=True)
    assert events == [
        (
            f"chat.conversation.{conversation.pk}.staff",
            {
                "type": "chat.send",
                "frame": {"type": "typing", "active": True, "conversation": conversation.pk},
            },
        )
    ]


# side-kick


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


def test_sending_a_suggestion_marks_it_sent(taken, anna):
    services.conversation_set_sidekick(conversation_id=taken.pk, user=anna, active=True)
    visitor_says(taken, ANSWERABLE, "v1")
    suggestion = Suggestion.objects.get(conversation=taken)
    frames = selectors.conversation_staff_frames(conversation_id=taken.pk)
    assert frames[-1]["type"] == "suggestion"

    post = services.agent_message_post(
        conversation_id=taken.pk,
        user=anna,
        text="Edited: " + suggestion.text,
        client_id="a-1",
        suggestion=str(suggestion.uid),
    )
    suggestion.refresh_from_db()
    assert suggestion.sent_message == post.message
    assert post.message.sender_role == "agent"
    assert post.message.text.startswith("Edited: ")
    frames = selectors.conversation_staff_frames(conversation_id=taken.pk)
    assert [frame["type"] for frame in frames][-1] == "message"


def test_a_suggestion_of_another_conversation_is_not_marked(taken, anna):
    other = services.conversation_open(session_key="o" * 32)
    services.conversation_set_sidekick(conversation_id=other.pk, user=anna, active=True)
    visitor_says(other, ANSWERABLE, "v1")
    suggestion = Suggestion.objects.get(conversation=other)
    services.agent_message_post(
        conversation_id=taken.pk, user=anna, text="hi", suggestion=str(suggestion.uid)
    )
    suggestion.refresh_from_db()
    assert suggestion.sent_message is None


def test_side_kick_cannot_be_set_on_a_closed_conversation(taken, anna):
    services.conversation_close(conversation_id=taken.pk, user=anna)
    with pytest.raises(services.ConversationNotFound):
        services.conversation_set_sidekick(conversation_id=taken.pk, user=anna, active=True)


# the bot switched off


def test_with_the_bot_off_there_is_no_greeting_and_visitors_wait_for_a_person(
    events, bot_off, anna, respond_calls
):
    conversation = events.run(services.conversation_open, session_key="b" * 32)
    assert messages_of(conversation) == []
    events.run(visitor_says, conversation=conversation, text=ANSWERABLE, client_id="v1")
    assert state_of(conversation).state == "waiting"
    assert messages_of(conversation) == [("visitor", ANSWERABLE), ("system", ASKED_SOMEONE)]
    assert respond_calls == []
    assert events.to_visitor(conversation.pk)[-1] == {
        "type": "status",
        "state": "waiting",
        "online": True,
        "answering": None,
    }


def test_with_the_bot_off_and_nobody_there_the_visitor_is_offered_to_leave_a_message(
    events, bot_off
):
    conversation = services.conversation_open(session_key="b" * 32)
    events.run(visitor_says, conversation=conversation, text=ANSWERABLE, client_id="v1")
    assert state_of(conversation).state == "bot"
    assert messages_of(conversation) == [
        ("visitor", ANSWERABLE),
        ("system", services.NOBODY_AVAILABLE),
    ]
    assert events.to_visitor(conversation.pk)[-1] == {"type": "status", "leave_message": True}


# asking for a person


def test_asking_for_a_person_makes_the_conversation_wait_and_tells_the_staff(
    events, conversation, anna
):
    assert events.run(services.conversation_request_person, conversation_id=conversation.pk)
    assert state_of(conversation).state == "waiting"
    assert messages_of(conversation)[-1] == ("system", ASKED_SOMEONE)
    assert events.to_visitor(conversation.pk)[-1] == {
        "type": "status",
        "state": "waiting",
        "online": True,
        "answering": None,
    }
    assert events.to_inbox()[-1]["state"] == "waiting"
    assert events.to_inbox()[-1]["id"] == conversation.pk


@pytest.mark.parametrize("absence", ["nobody", "not_accepting", "expired", "absent"])
def test_with_nobody_available_the_visitor_is_offered_to_leave_a_message(
    events, conversation, absence
):
    if absence == "not_accepting":
        make_agent("anna", accepting=False)
    elif absence == "expired":
        console_open(make_agent("anna", present=False), seconds=-1)
    elif absence == "absent":
        make_agent("anna", present=False)
    assert not events.run(services.conversation_request_person, conversation_id=conversation.pk)
    assert state_of(conversation).state == "bot"
    assert messages_of(conversation)[-1] == ("system", services.NOBODY_AVAILABLE)
    assert events.to_visitor(conversation.pk)[-1] == {"type": "status", "leave_message": True}


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


# hand back, transfer, close


def test_handing_back_gives_the_conversation_to_the_bot(events, taken, anna):
    events.run(services.conversation_hand_back, conversation_id=taken.pk, user=anna)
    conversation = state_of(taken)
    assert (conversation.state, conversation.assigned_agent_id) == ("bot", None)
    text = "Anna handed the chat back to Case, who is answering again."
    assert messages_of(taken)[-1] == ("system", text)
    assert events.to_visitor(taken.pk)[-1]["answering"] == {
        "role": "bot",
        "name": "Case",
        "title": "Resident Isomorphic Gopher Agent",
    }
    visitor_says(taken, ANSWERABLE, "v1")
    assert messages_of(taken)[-1][0] == "bot"


@pytest.mark.parametrize("why", ["bot_off", "sidekick"])
def test_handing_back_without_a_bot_to_answer_puts_the_conversation_back_in_the_queue(
    events, taken, anna, ben, why
):
    if why == "bot_off":
        set_bot_enabled(False)
    else:
        services.conversation_set_sidekick(conversation_id=taken.pk, user=anna, active=True)
    events.run(services.conversation_hand_back, conversation_id=taken.pk, user=anna)
    assert state_of(taken).state == "waiting"
    assert state_of(taken).assigned_agent is None
    assert messages_of(taken)[-1] == (
        "system",
        "Anna left the chat. Someone else from the team will answer.",
    )
    assert events.to_visitor(taken.pk)[-1]["state"] == "waiting"


def test_handing_back_with_nobody_else_there_says_so(events, taken, anna, bot_off):
    events.run(services.conversation_hand_back, conversation_id=taken.pk, user=anna)
    assert state_of(taken).state == "waiting"
    assert messages_of(taken)[-1] == (
        "system",
        f"Anna left the chat. {services.NOBODY_AVAILABLE}",
    )
    assert events.to_visitor(taken.pk)[-1] == {"type": "status", "leave_message": True}


def test_only_the_answering_agent_hands_back(conversation, taken, ben):
    with pytest.raises(services.NotYourConversation):
        services.conversation_hand_back(conversation_id=taken.pk, user=ben)
    other = services.conversation_open(session_key="o" * 32)
    with pytest.raises(services.NotYourConversation):
        services.conversation_hand_back(conversation_id=other.pk, user=ben)
    with pytest.raises(services.ConversationNotFound):
        services.conversation_hand_back(conversation_id=987654, user=ben)
    assert state_of(taken).state == "agent"


def test_a_transfer_passes_the_conversation_to_another_present_agent(events, taken, anna, ben):
    events.run(
        services.conversation_transfer, conversation_id=taken.pk, user=anna, to_user_id=ben.pk
    )
    assert state_of(taken).assigned_agent_id == ben.pk
    assert state_of(taken).state == "agent"
    assert messages_of(taken)[-1] == (
        "system",
        "Anna passed the chat to Ben (Sales), who is answering now.",
    )
    assert events.to_visitor(taken.pk)[-1]["answering"] == {
        "role": "agent",
        "name": "Ben",
        "title": "Sales",
    }
    # Now Ben writes, and Anna does not.
    services.agent_message_post(conversation_id=taken.pk, user=ben, text="Ben here.")
    with pytest.raises(services.NotYourConversation):
        services.agent_message_post(conversation_id=taken.pk, user=anna, text="Anna here.")


def test_a_transfer_to_a_present_agent_not_accepting_new_chats_is_allowed(taken, anna):
    busy = make_agent("carl", accepting=False)
    services.conversation_transfer(conversation_id=taken.pk, user=anna, to_user_id=busy.pk)
    assert state_of(taken).assigned_agent_id == busy.pk


@pytest.mark.parametrize(
    "target", ["self", "absent", "expired", "no_permission", "not_staff", "unknown"]
)
def test_a_transfer_goes_only_to_another_present_agent_who_may_chat(taken, anna, target):
    if target == "self":
        to_user_id = anna.pk
    elif target == "unknown":
        to_user_id = 987654
    elif target == "absent":
        to_user_id = make_agent("carl", present=False).pk
    elif target == "expired":
        carl = make_agent("carl", present=False)
        console_open(carl, seconds=-5)
        to_user_id = carl.pk
    elif target == "no_permission":
        to_user_id = make_agent("carl", permission=False).pk
    else:
        to_user_id = make_agent("carl", staff=False).pk
    before = messages_of(taken)
    with pytest.raises(services.AgentUnavailable) as caught:
        services.conversation_transfer(conversation_id=taken.pk, user=anna, to_user_id=to_user_id)
    assert caught.value.code == "agent_unavailable"
    assert state_of(taken).assigned_agent_id == anna.pk
    assert messages_of(taken) == before


def test_only_the_answering_agent_transfers(taken, anna, ben):
    carl = make_agent("carl", first_name="Carl")
    with pytest.raises(services.NotYourConversation):
        services.conversation_transfer(conversation_id=taken.pk, user=ben, to_user_id=carl.pk)
    assert state_of(taken).assigned_agent_id == anna.pk


def test_closing_ends_the_conversation_and_the_next_message_starts_a_new_one(events, taken, anna):
    events.run(services.conversation_close, conversation_id=taken.pk, user=anna)
    closed = state_of(taken)
    assert closed.state == "closed"
    assert closed.closed_at is not None
    text = "Anna closed this chat. Write again any time to start a new one."
    assert messages_of(taken)[-1] == ("system", text)
    assert events.to_visitor(taken.pk)[-1] == {
        "type": "status",
        "state": "closed",
        "online": True,
        "answering": None,
    }

    before = messages_of(taken)
    with pytest.raises(services.ConversationClosed):
        visitor_says(taken, "Are you still there?", "v9")
    assert messages_of(taken) == before

    new = services.conversation_open(session_key=taken.session_key)
    assert new.pk != taken.pk
    assert new.state == "bot"
    assert [role for role, _ in messages_of(new)] == ["bot"]
    assert not visitor_says(new, "Are you still there?", "v9").duplicate


def test_any_agent_closes_a_conversation_nobody_answers(conversation, ben):
    services.conversation_close(conversation_id=conversation.pk, user=ben)
    assert state_of(conversation).state == "closed"
    assert messages_of(conversation)[-1][1].startswith("Ben closed this chat.")


def test_an_agent_cannot_close_another_agents_conversation(taken, ben):
    with pytest.raises(services.NotYourConversation):
        services.conversation_close(conversation_id=taken.pk, user=ben)
    assert state_of(taken).state == "agent"


def test_closing_twice_says_it_once(taken, anna):
    services.conversation_close(conversation_id=taken.pk, user=anna)
    before = messages_of(taken)
    services.conversation_close(conversation_id=taken.pk, user=anna)
    assert messages_of(taken) == before
    with pytest.raises(services.ConversationNotFound):
        services.conversation_close(conversation_id=987654, user=anna)


def test_reopening_records_where_the_visitor_is(conversation):
    product = Product.objects.first()
    again = services.conversation_open(
        session_key=conversation.session_key, page="/products/x/", product_id=product.pk
    )
    assert again.pk == conversation.pk
    assert state_of(conversation).current_page == "/products/x/"
    assert state_of(conversation).current_product_id == product.pk
    # A product the catalog does not have is kept as the page gave it, and shown as none.
    services.conversation_open(session_key=conversation.session_key, product_id=987654)
    assert selectors.conversation_summary_get(conversation_id=conversation.pk)["product"] is None


def test_a_left_message_belongs_to_the_visitors_open_conversation(conversation):
    left = services.left_message_create(
        name="Vi", email="vi@example.com", text="Call me.", session_key=conversation.session_key
    )
    assert left.conversation_id == conversation.pk
    assert (
        services.left_message_create(name="X", email="x@example.com", text="t").conversation is None
    )


# presence


@pytest.fixture
def clock(monkeypatch):
    """timezone.now, frozen; ``clock.shift(seconds)`` moves it."""
    from django.utils import timezone

    class Clock:
        now = timezone.now()

        def shift(self, seconds):
            self.now += timedelta(seconds=seconds)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def test_a_console_makes_its_agent_present_until_it_expires(events, clock, settings):
    settings.CHAT_PRESENCE_EXPIRES_IN = 30
    anna = make_agent("anna", first_name="Anna", present=False)
    set_bot_enabled(False)
    assert selectors.present_agent_ids() == set()
    assert not selectors.chat_online()

    client = events.run(services.agent_client_renew, user=anna, key="console-1")
    assert client.expires_at == clock.now + timedelta(seconds=30)
    assert selectors.present_agent_ids() == {anna.pk}
    assert selectors.available_agent_ids() == {anna.pk}
    assert selectors.chat_online()
    assert events.to_inbox() == [
        {
            "type": "presence",
            "agents": [{"id": anna.pk, "name": "Anna", "title": "Support", "accepting": True}],
        }
    ]
    assert events.to_visitors() == [{"type": "online", "online": True}]

    clock.shift(29)
    assert selectors.present_agent_ids() == {anna.pk}
    events.clear()
    # A heartbeat renews it; an agent already present is not announced again.
    events.run(services.agent_client_renew, user=anna, key="console-1")
    assert events == []
    assert AgentClient.objects.get(key="console-1").expires_at == clock.now + timedelta(seconds=30)

    clock.shift(30)
    assert selectors.present_agent_ids() == set()
    assert selectors.available_agent_ids() == set()
    assert not selectors.chat_online()
    # A heartbeat after expiry makes the agent present again, and says so.
    events.run(services.agent_client_renew, user=anna, key="console-1")
    assert events.to_visitors() == [{"type": "online", "online": True}]
    assert AgentClient.objects.count() == 1


def test_closing_a_console_removes_presence_once_no_console_is_left(events, bot_off):
    anna = make_agent("anna", present=False)
    services.agent_client_renew(user=anna, key="tab-1")
    services.agent_client_renew(user=anna, key="tab-2")
    stale = console_open(make_agent("ben", present=False), seconds=-1)

    events.run(services.agent_client_remove, key="tab-1")
    assert selectors.present_agent_ids() == {anna.pk}
    assert events.to_visitors() == [{"type": "online", "online": True}]
    assert not AgentClient.objects.filter(pk=stale.pk).exists()

    events.clear()
    events.run(services.agent_client_remove, key="tab-2")
    assert selectors.present_agent_ids() == set()
    assert events.to_inbox() == [{"type": "presence", "agents": []}]
    assert events.to_visitors() == [{"type": "online", "online": False}]


def test_an_agent_not_accepting_chats_is_present_but_not_available(events, anna, bot_off):
    events.run(services.agent_accepting_set, user=anna, accepting=False)
    assert selectors.present_agent_ids() == {anna.pk}
    assert selectors.available_agent_ids() == set()
    assert not selectors.chat_online()
    assert not selectors.agent_accepting(user=anna)
    assert events.to_inbox() == [
        {
            "type": "presence",
            "agents": [{"id": anna.pk, "name": "Anna", "title": "Support", "accepting": False}],
        }
    ]
    assert events.to_visitors() == [{"type": "online", "online": False}]
    services.agent_accepting_set(user=anna, accepting=True)
    assert selectors.chat_online()


@pytest.mark.parametrize(
    ("bot", "agent", "online"),
    [
        (True, None, True),
        (True, "accepting", True),
        (False, None, False),
        (False, "accepting", True),
        (False, "declining", False),
        (False, "expired", False),
    ],
)
def test_the_chat_is_online_when_the_bot_or_an_accepting_agent_answers(bot, agent, online):
    set_bot_enabled(bot)
    if agent == "accepting":
        make_agent("anna")
    elif agent == "declining":
        make_agent("anna", accepting=False)
    elif agent == "expired":
        console_open(make_agent("anna", present=False), seconds=-1)
    assert selectors.chat_online() is online


# the take-over race, decided by the database


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_takers_of_one_waiting_conversation_one_wins():
    """Agents (threads, each with its own database connection) take one conversation at once."""
    require_concurrent_writers()
    takers = 8
    agents = [make_agent(f"agent{n}", first_name=f"Agent{n}") for n in range(takers)]
    conversation = services.conversation_open(session_key="r" * 32)
    assert services.conversation_request_person(conversation_id=conversation.pk)
    won: list[int] = []

    def take(agent) -> None:
        services.conversation_take(conversation_id=conversation.pk, user=agent)
        won.append(agent.pk)

    lost = run_at_once(take, agents)
    assert [exc for exc in lost if not isinstance(exc, services.ConversationTaken)] == []
    assert len(won) == 1
    assert len(lost) == takers - 1
    assert all(exc.code == "taken" for exc in lost)
    final = Conversation.objects.get(pk=conversation.pk)
    assert (final.state, final.assigned_agent_id) == ("agent", won[0])
    joined = Message.objects.filter(conversation=conversation, text__endswith="is answering now.")
    assert joined.count() == 1
    winner = next(agent for agent in agents if agent.pk == won[0])
    assert joined.get().text == f"{winner.first_name} (Support) joined and is answering now."


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


def test_a_heartbeat_sweeps_away_consoles_that_expired_without_closing(events, bot_off):
    anna = make_agent("anna", first_name="Anna")
    crashed = console_open(make_agent("ben", present=False), seconds=-1)
    events.run(services.agent_client_renew, user=anna, key="anna-console")
    assert not AgentClient.objects.filter(pk=crashed.pk).exists()
    assert events.to_inbox() == [
        {
            "type": "presence",
            "agents": [{"id": anna.pk, "name": "Anna", "title": "Support", "accepting": True}],
        }
    ]


def test_switching_the_bot_off_in_admin_tells_open_chat_boxes_at_once(
    monkeypatch, django_capture_on_commit_callbacks
):
    from bots.models import BotProfile

    events = []
    monkeypatch.setattr("chat.realtime._group_send", lambda g, e: events.append((g, e)))
    agent = BotProfile.objects.get(slug="case")
    agent.is_online_enabled = False
    with django_capture_on_commit_callbacks(execute=True):
        agent.save()
    assert (
        "chat.visitors",
        {"type": "chat.send", "frame": {"type": "online", "online": False}},
    ) in events
