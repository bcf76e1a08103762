"""chat/services/assignment.py: auto-assignment, giving waiting conversations to the agents
with most room, longest waiting first; and when it runs."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from chat import events as chat_events
from chat import services
from chat.models import AgentStatus, ChatSettings, Conversation, Message
from chat.tests.conftest import (
    ALWAYS_OPEN,
    make_agent,
    set_auto_assign,
    set_business_hours,
)
from testsupport.harness import require_concurrent_writers, run_at_once

from .conftest import ASKED_SOMEONE, ASKS_FOR_A_PERSON, messages_of, state_of, visitor_says

pytestmark = pytest.mark.django_db


def joined(name: str, title: str = "Support") -> str:
    return f"{name} ({title}) joined and is answering now."


_sessions = iter(range(10_000))


def waiting(**fields) -> Conversation:
    """A conversation waiting for a person since now (unless ``fields`` say otherwise), that
    nobody was given yet."""
    conversation = services.conversation_open(session_key=f"w{next(_sessions):031d}")
    Conversation.objects.filter(pk=conversation.pk).update(
        **{"state": "waiting", "waiting_since": timezone.now(), **fields}
    )
    return state_of(conversation)


def answering(agent, count: int) -> list[Conversation]:
    """``count`` conversations ``agent`` took by hand."""
    taken = []
    for _ in range(count):
        conversation = services.conversation_open(session_key=f"t{next(_sessions):031d}")
        services.conversation_take(conversation_id=conversation.pk, user=agent)
        taken.append(conversation)
    return taken


def assignee(conversation) -> int | None:
    current = state_of(conversation)
    return current.assigned_agent_id if current.state == "agent" else None


def capacity(agent, value: int) -> None:
    AgentStatus.objects.filter(user=agent).update(capacity=value)


@pytest.fixture
def auto_assign(db):
    set_auto_assign(True)


def test_off_by_default_a_waiting_conversation_waits_for_a_take(anna):
    conversation = waiting()
    assert services.conversations_assign() == []
    assert state_of(conversation).state == "waiting"


def test_a_waiting_conversation_goes_to_the_agent_answering_the_fewest(auto_assign, anna, ben):
    answering(anna, 2)
    answering(ben, 1)
    conversation = waiting()
    assert services.conversations_assign() == [(conversation.pk, ben.pk)]
    assert assignee(conversation) == ben.pk
    assert messages_of(conversation)[-1] == ("system", joined("Ben", "Sales"))
    assert AgentStatus.objects.get(user=ben).last_assigned_at is not None
    assert AgentStatus.objects.get(user=anna).last_assigned_at is None


def test_of_agents_answering_as_many_the_one_given_none_for_longest_gets_it(auto_assign, anna, ben):
    # Never given one counts as longest; then the lower id (Anna).
    first, second, third = waiting(), waiting(), waiting()
    assert services.conversations_assign() == [
        (first.pk, anna.pk),
        (second.pk, ben.pk),
        (third.pk, anna.pk),
    ]
    # Both answer two; Ben was given one after Anna was, but Anna just now: Ben is next.
    fourth = waiting()
    assert services.conversations_assign() == [(fourth.pk, ben.pk)]
    # Equal loads again (3 and 3), and Anna has waited longer since her last one.
    AgentStatus.objects.filter(user=anna).update(
        last_assigned_at=timezone.now() - timedelta(minutes=5)
    )
    fifth = waiting()
    assert services.conversations_assign() == [(fifth.pk, anna.pk)]


def test_the_longest_waiting_conversation_goes_first(auto_assign, anna):
    now = timezone.now()
    later = waiting(waiting_since=now - timedelta(minutes=1))
    # Created after the other, but handed back to the queue earlier: it waited longer.
    earlier = waiting(waiting_since=now - timedelta(minutes=9))
    capacity(anna, 1)
    assert services.conversations_assign() == [(earlier.pk, anna.pk)]
    assert state_of(later).state == "waiting"


def test_when_everyone_is_at_capacity_it_waits(auto_assign, anna, ben):
    capacity(anna, 2)
    capacity(ben, 1)
    answering(anna, 2)
    answering(ben, 1)
    conversation = waiting()
    assert services.conversations_assign() == []
    assert state_of(conversation).state == "waiting"
    assert not Message.objects.filter(conversation=conversation, sender_role="system").exists()


def test_the_default_capacity_is_three(auto_assign, anna):
    assert AgentStatus.objects.get(user=anna).capacity == 3
    conversations = [waiting() for _ in range(4)]
    assert [agent for _, agent in services.conversations_assign()] == [anna.pk] * 3
    assert state_of(conversations[3]).state == "waiting"


def test_only_agents_present_and_accepting_chats_are_given_conversations(auto_assign):
    make_agent("absent", present=False)
    make_agent("busy", accepting=False)
    conversation = waiting()
    assert services.conversations_assign() == []
    assert state_of(conversation).state == "waiting"


def test_a_conversation_taken_by_hand_meanwhile_is_passed_over(auto_assign, anna, ben, monkeypatch):
    taken_meanwhile, next_one = waiting(), waiting()
    services.conversation_take(conversation_id=taken_meanwhile.pk, user=ben)
    # Read as waiting just before Ben's take committed.
    monkeypatch.setattr(
        "chat.selectors.waiting_conversations",
        lambda limit: [(taken_meanwhile.pk, None), (next_one.pk, None)][:limit],
    )
    assert services.conversations_assign()[0] == (next_one.pk, anna.pk)
    assert assignee(taken_meanwhile) == ben.pk
    assert messages_of(taken_meanwhile).count(("system", joined("Anna"))) == 0


def test_it_is_announced_as_a_take(auto_assign, events, anna):
    heard = []
    chat_events.subscribe(heard.append)
    try:
        conversation = waiting()
        events.clear()
        events.run(services.conversations_assign)
    finally:
        chat_events.unsubscribe(heard.append)
    joined_frame, status = events.to_visitor(conversation.pk)
    assert joined_frame["text"] == joined("Anna")
    assert status["state"] == "agent"
    assert status["answering"] == {"role": "agent", "name": "Anna", "title": "Support"}
    row = events.to_inbox()[-1]
    assert (row["id"], row["state"], row["agent"]["id"]) == (conversation.pk, "agent", anna.pk)
    taken = [e for change in heard for e in change if isinstance(e, chat_events.ConversationTaken)]
    # A take, marked as given rather than taken (the audit log tells the two apart).
    assert taken == [
        chat_events.ConversationTaken(conversation.pk, agent_id=anna.pk, assigned=True)
    ]


def test_asking_for_a_person_gets_one_at_once(auto_assign, events, anna):
    conversation = services.conversation_open(session_key="a" * 32)
    events.run(visitor_says, conversation=conversation, text=ASKS_FOR_A_PERSON, client_id="v1")
    assert assignee(conversation) == anna.pk
    assert messages_of(conversation)[-2:] == [("system", ASKED_SOMEONE), ("system", joined("Anna"))]
    assert events.to_visitor(conversation.pk)[-1]["answering"]["name"] == "Anna"


def test_closing_a_conversation_gives_the_agent_the_longest_waiting_one(auto_assign, events, anna):
    capacity(anna, 1)
    [mine] = answering(anna, 1)
    first = waiting(waiting_since=timezone.now() - timedelta(minutes=3))
    second = waiting()
    events.run(services.conversation_close, conversation_id=mine.pk, user=anna)
    assert assignee(first) == anna.pk
    assert state_of(second).state == "waiting"


@pytest.mark.parametrize("how", ["hand_back", "transfer", "visitor_ends"])
def test_freeing_capacity_any_way_assigns_the_next(auto_assign, events, anna, ben, how):
    capacity(anna, 1)
    capacity(ben, 1)
    [annas] = answering(anna, 1)
    answering(ben, 1)
    another = waiting()
    assert services.conversations_assign() == []
    if how == "hand_back":
        events.run(services.conversation_hand_back, conversation_id=annas.pk, user=anna)
    elif how == "transfer":
        # Anna passes hers to Ben (beyond his capacity: a person's choice): Anna has room.
        events.run(
            services.conversation_transfer,
            conversation_id=annas.pk,
            user=anna,
            to_user_id=ben.pk,
        )
    else:
        events.run(services.conversation_end, conversation_id=annas.pk)
    assert assignee(another) == anna.pk


def test_an_agent_coming_online_is_given_the_waiting_conversations(auto_assign, events):
    conversation = waiting()
    carla = make_agent("carla", first_name="Carla", present=False)
    events.run(services.agent_client_renew, user=carla, key="console-1")
    assert assignee(conversation) == carla.pk


def test_accepting_chats_again_is_given_the_waiting_conversations(auto_assign, events):
    carla = make_agent("carla", first_name="Carla", accepting=False)
    conversation = waiting()
    events.run(services.agent_accepting_set, user=carla, accepting=True)
    assert assignee(conversation) == carla.pk


def test_a_capacity_raised_gives_room_at_once(
    auto_assign, anna, django_capture_on_commit_callbacks
):
    capacity(anna, 1)
    answering(anna, 1)
    conversation = waiting()
    assert services.conversations_assign() == []
    status = AgentStatus.objects.get(user=anna)
    status.capacity = 2
    with django_capture_on_commit_callbacks(execute=True):
        status.save()
    assert assignee(conversation) == anna.pk


def test_switching_auto_assignment_on_assigns_those_waiting(
    anna, django_capture_on_commit_callbacks
):
    conversation = waiting()
    with django_capture_on_commit_callbacks(execute=True):
        set_auto_assign(True)
    assert assignee(conversation) == anna.pk


def test_out_of_hours_nothing_is_given_and_what_waits_is_given_when_they_open(
    auto_assign, anna, django_capture_on_commit_callbacks
):
    conversation = waiting()
    set_business_hours()  # closed all week from now: people are away
    assert services.conversations_assign() == []
    assert state_of(conversation).state == "waiting"
    # Saving the hours announces the change, which assigns.
    with django_capture_on_commit_callbacks(execute=True):
        set_business_hours(*ALWAYS_OPEN)
    assert assignee(conversation) == anna.pk


def test_a_conversation_handed_back_never_goes_back_to_who_handed_it_back(
    auto_assign, events, bot_off, anna
):
    [mine] = answering(anna, 1)
    events.run(services.conversation_hand_back, conversation_id=mine.pk, user=anna)
    assert (state_of(mine).state, state_of(mine).handed_back_by_id) == ("waiting", anna.pk)
    # Anna has room, and is the only one there: it waits for someone else.
    assert services.conversations_assign() == []
    # A conversation waiting behind it can go to Anna all the same.
    behind = waiting()
    assert services.conversations_assign() == [(behind.pk, anna.pk)]
    carla = make_agent("carla", first_name="Carla", present=False)
    events.run(services.agent_client_renew, user=carla, key="console-1")
    assert assignee(mine) == carla.pk


def test_asking_again_after_a_hand_back_may_go_to_anyone(auto_assign, events, anna):
    [mine] = answering(anna, 1)
    services.conversation_set_sidekick(conversation_id=mine.pk, user=anna, active=True)
    services.conversation_hand_back(conversation_id=mine.pk, user=anna)
    assert state_of(mine).handed_back_by_id == anna.pk
    # Taken, and back with the bot: a new wait starts clean.
    services.conversation_take(conversation_id=mine.pk, user=anna)
    services.conversation_set_sidekick(conversation_id=mine.pk, user=anna, active=False)
    services.conversation_hand_back(conversation_id=mine.pk, user=anna)
    assert state_of(mine).state == "bot"
    events.run(services.conversation_request_person, conversation_id=mine.pk)
    assert assignee(mine) == anna.pk


def test_a_failing_assignment_does_not_undo_the_change_that_called_it(
    auto_assign, events, anna, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("chat.selectors.agent_loads", broken)
    conversation = services.conversation_open(session_key="f" * 32)
    assert events.run(services.conversation_request_person, conversation_id=conversation.pk)
    assert state_of(conversation).state == "waiting"


# --- races, decided by the database ---------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_conversations_arriving_at_once_never_exceed_an_agent_s_capacity():
    """Visitors (threads, each with its own database connection) ask for a person at once;
    each request assigns after its commit, as in production. One agent with room for two."""
    require_concurrent_writers()
    set_auto_assign(True)
    anna = make_agent("anna", first_name="Anna")
    capacity(anna, 2)
    arrivals = [services.conversation_open(session_key=f"r{n:031d}").pk for n in range(8)]

    assert (
        run_at_once(
            lambda conversation_id: services.conversation_request_person(
                conversation_id=conversation_id
            ),
            arrivals,
        )
        == []
    )

    states = dict(Conversation.objects.filter(pk__in=arrivals).values_list("pk", "state"))
    assert sorted(states.values()) == ["agent"] * 2 + ["waiting"] * 6
    assert Conversation.objects.filter(state="agent", assigned_agent=anna).count() == 2
    announced = Message.objects.filter(conversation__in=arrivals, text=joined("Anna"))
    assert announced.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_assigning_at_once_never_give_one_conversation_twice():
    """Workers (threads) run assignment at once over the same waiting conversations, with
    agents enough for each: every conversation is given once, to one agent."""
    require_concurrent_writers()
    agents = [make_agent(f"agent{n}", first_name=f"Agent{n}") for n in range(4)]
    queued = [waiting().pk for _ in range(3)]
    # Switched on without the announcement that saving the row makes (which would assign
    # them all before the race).
    set_auto_assign(False)
    ChatSettings.objects.update(auto_assign=True)
    given: list[tuple[int, int]] = []

    assert run_at_once(lambda _: given.extend(services.conversations_assign()), range(6)) == []

    assert sorted(conversation for conversation, _ in given) == sorted(queued)
    final = Conversation.objects.filter(pk__in=queued)
    assert set(final.values_list("state", flat=True)) == {"agent"}
    assert {agent for _, agent in given} <= {agent.pk for agent in agents}
    # Each once: one notice each, and three agents with one each (the fewest first).
    notices = (
        Message.objects.filter(conversation__in=queued, text__endswith="is answering now.")
        .values("conversation")
        .annotate(n=Count("pk"))
    )
    assert sorted(row["n"] for row in notices) == [1, 1, 1]
    assert sorted(
        Conversation.objects.filter(pk__in=queued)
        .values("assigned_agent")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    ) == [1, 1, 1]
