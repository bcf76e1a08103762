"""chat/services/handover.py: asking for a person, take, hand back, transfer, close, the
visitor's end, side-kick."""

import pytest

from chat import services
from chat.models import Conversation, Message
from chat.tests.conftest import (
    ALWAYS_OPEN,
    console_open,
    make_agent,
    set_bot_enabled,
    set_business_hours,
)
from testsupport.harness import require_concurrent_writers, run_at_once

from .conftest import (
    ANSWERABLE,
    ASKED_SOMEONE,
    ASKS_FOR_A_PERSON,
    JOINED,
    greeting_of,
    messages_of,
    state_of,
    visitor_says,
)

pytestmark = pytest.mark.django_db


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
        "out_of_hours": False,
        "answering": {"role": "agent", "name": "Anna", "title": "Support"},
        "read_through": greeting_of(conversation),
        "rating": None,
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


def test_side_kick_cannot_be_set_on_a_closed_conversation(taken, anna):
    services.conversation_close(conversation_id=taken.pk, user=anna)
    with pytest.raises(services.ConversationNotFound):
        services.conversation_set_sidekick(conversation_id=taken.pk, user=anna, active=True)


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
        "out_of_hours": False,
        "answering": None,
        "read_through": None,
        "rating": None,
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
        "out_of_hours": False,
        "answering": None,
        "read_through": greeting_of(conversation),
        "rating": None,
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
        "out_of_hours": False,
        "answering": None,
        "read_through": greeting_of(taken),
        "rating": None,
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


def test_the_visitor_ends_the_chat_as_staff_would_close_it(events, taken, anna):
    events.run(services.conversation_end, conversation_id=taken.pk)

    closed = state_of(taken)
    assert closed.state == "closed"
    assert closed.closed_at is not None
    # Still Anna's: the visitor's rating of the chat is hers.
    assert closed.assigned_agent_id == anna.pk
    assert messages_of(taken)[-1] == ("system", services.VISITOR_ENDED)
    [notice, status] = events.to_visitor(taken.pk)
    assert notice["sender"] == {"role": "system", "name": "Chat"}
    assert notice["text"] == "The visitor ended the chat. Write again any time to start a new one."
    assert status == {
        "type": "status",
        "state": "closed",
        "online": True,
        "out_of_hours": False,
        "answering": None,
        "read_through": greeting_of(taken),
        "rating": None,
    }
    assert events.to_staff(taken.pk) == [{**notice, "conversation": taken.pk}]
    row = events.to_inbox()[-1]
    assert (row["id"], row["state"]) == (taken.pk, "closed")

    with pytest.raises(services.ConversationClosed):
        visitor_says(taken, "Are you still there?", "v9")


def test_the_visitor_ends_a_chat_with_the_bot(events, conversation):
    events.run(services.conversation_end, conversation_id=conversation.pk)
    assert state_of(conversation).state == "closed"
    assert state_of(conversation).assigned_agent_id is None
    assert events.to_visitor(conversation.pk)[-1]["state"] == "closed"


def test_ending_a_closed_chat_changes_nothing_and_says_nothing(events, taken, anna):
    services.conversation_close(conversation_id=taken.pk, user=anna)
    closed_at = state_of(taken).closed_at
    before = messages_of(taken)
    events.clear()

    events.run(services.conversation_end, conversation_id=taken.pk)
    events.run(services.conversation_end, conversation_id=taken.pk)

    assert messages_of(taken) == before
    assert state_of(taken).closed_at == closed_at
    assert events == []


def test_there_is_no_ending_a_conversation_that_is_not(db):
    with pytest.raises(services.ConversationNotFound):
        services.conversation_end(conversation_id=987654)


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


# --- in the visitor's language ------------------------------------------------------------------


def in_language(conversation, language):
    Conversation.objects.filter(pk=conversation.pk).update(language=language)
    return conversation


def test_staff_s_actions_tell_the_visitor_in_the_visitor_s_language(
    events, conversation, anna, ben
):
    # Staff's console and requests speak English; the visitor reads German.
    in_language(conversation, "de")
    events.run(services.conversation_take, conversation_id=conversation.pk, user=anna)
    services.conversation_transfer(conversation_id=conversation.pk, user=anna, to_user_id=ben.pk)
    services.conversation_hand_back(conversation_id=conversation.pk, user=ben)
    services.conversation_request_person(conversation_id=conversation.pk)
    services.conversation_close(conversation_id=conversation.pk, user=anna)
    assert [text for role, text in messages_of(conversation) if role == "system"] == [
        "Anna (Support) ist dem Chat beigetreten und antwortet jetzt.",
        "Anna hat den Chat an Ben (Sales) übergeben; Ben antwortet jetzt.",
        "Ben hat den Chat an Case zurückgegeben; Case antwortet jetzt wieder.",
        "Ich habe jemanden aus dem Team gebeten, dazuzukommen. Gleich ist jemand für Sie da.",
        "Anna hat diesen Chat beendet. Schreiben Sie jederzeit wieder, um einen neuen zu beginnen.",
    ]
    assert events.to_visitor(conversation.pk)[0]["text"] == (
        "Anna (Support) ist dem Chat beigetreten und antwortet jetzt."
    )
    # The refusals staff see stay English.
    with pytest.raises(services.NotYourConversation) as caught:
        services.conversation_hand_back(conversation_id=conversation.pk, user=ben)
    assert caught.value.detail.startswith("Only the agent answering")


def test_with_nobody_there_the_visitor_is_told_so_in_their_language(conversation, anna, bot_off):
    in_language(conversation, "es")
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    services.conversation_hand_back(conversation_id=conversation.pk, user=anna)
    assert messages_of(conversation)[-1] == (
        "system",
        "Anna ha salido del chat. En este momento no hay nadie del equipo disponible para "
        "chatear. Déjenos su correo electrónico y un mensaje, y le responderemos.",
    )


# --- outside business hours -------------------------------------------------------------------

AWAY = (
    "We are away right now. Leave your email and a message, and we will get back to you "
    "when we are back."
)


def test_out_of_hours_asking_for_a_person_offers_to_leave_a_message_with_the_away_text(
    events, conversation, anna
):
    set_business_hours()  # closed all week
    events.run(visitor_says, conversation=conversation, text=ASKS_FOR_A_PERSON, client_id="v1")
    # The bot goes on answering; nobody is called.
    assert state_of(conversation).state == "bot"
    assert messages_of(conversation)[-1] == ("system", AWAY)
    assert events.to_visitor(conversation.pk)[-1] == {"type": "status", "leave_message": True}
    assert events.to_inbox()[-1]["state"] == "bot"


def test_out_of_hours_the_visitor_reads_staff_s_away_text_or_the_chat_s_in_their_language(
    events, conversation, anna
):
    in_language(conversation, "de")
    set_business_hours()
    events.run(services.conversation_request_person, conversation_id=conversation.pk)
    assert messages_of(conversation)[-1] == (
        "system",
        "Wir sind gerade nicht da. Hinterlassen Sie uns Ihre E-Mail-Adresse und eine "
        "Nachricht, dann melden wir uns bei Ihnen, sobald wir zurück sind.",
    )
    set_business_hours(away_text="Back on Monday at 9.")
    events.run(services.conversation_request_person, conversation_id=conversation.pk)
    assert messages_of(conversation)[-1] == ("system", "Back on Monday at 9.")


def test_within_business_hours_asking_for_a_person_makes_the_conversation_wait(
    events, conversation, anna
):
    set_business_hours(*ALWAYS_OPEN, time_zone="Europe/Berlin")
    events.run(visitor_says, conversation=conversation, text=ASKS_FOR_A_PERSON, client_id="v1")
    waiting = state_of(conversation)
    assert waiting.state == "waiting"
    assert waiting.waiting_since is not None
    assert messages_of(conversation)[-1] == ("system", ASKED_SOMEONE)


def test_handed_back_out_of_hours_the_visitor_reads_the_away_text(
    events, conversation, anna, bot_off
):
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    set_business_hours()
    events.run(services.conversation_hand_back, conversation_id=conversation.pk, user=anna)
    assert state_of(conversation).state == "waiting"
    assert messages_of(conversation)[-1] == ("system", f"Anna left the chat. {AWAY}")
    assert {"type": "status", "leave_message": True} in events.to_visitor(conversation.pk)
