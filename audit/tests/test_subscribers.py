"""Staff's actions reach the audit log through the chat's events, in the transaction of the
change: nothing in the chat calls the audit log."""

import pytest

from audit import subscribers
from audit.models import Entry
from chat import events as chat_events
from chat import services
from chat.models import Conversation
from chat.tests.conftest import make_agent, new_session_key

pytestmark = pytest.mark.django_db

Action = Entry.Action


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    # Nobody listens in these tests; the channel layer is not what they are about.
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)


def logged() -> list[tuple]:
    return list(
        Entry.objects.order_by("id").values_list(
            "action", "actor_name", "conversation_id", "detail"
        )
    )


def test_the_audit_log_hears_the_chat_s_events():
    assert subscribers.announce in chat_events._subscribers


def test_take_transfer_hand_back_and_close_are_written_with_who_and_what():
    anna = make_agent("anna", first_name="Anna")
    ben = make_agent("ben", first_name="Ben")
    conversation = services.conversation_open(session_key=new_session_key())
    pk = conversation.pk

    services.conversation_take(conversation_id=pk, user=anna)
    services.conversation_transfer(conversation_id=pk, user=anna, to_user_id=ben.pk)
    services.conversation_hand_back(conversation_id=pk, user=ben)
    services.conversation_close(conversation_id=pk, user=anna)

    assert logged() == [
        (Action.TAKEN, "anna", pk, {}),
        (Action.TRANSFERRED, "anna", pk, {"to_user_id": ben.pk, "to_name": "ben"}),
        (Action.HANDED_BACK, "ben", pk, {}),
        (Action.CLOSED, "anna", pk, {}),
    ]
    assert list(Entry.objects.values_list("actor_user_id", flat=True).order_by("id")) == [
        anna.pk,
        anna.pk,
        ben.pk,
        anna.pk,
    ]


def test_what_is_refused_or_changes_nothing_is_not_written():
    anna = make_agent("anna")
    ben = make_agent("ben")
    conversation = services.conversation_open(session_key=new_session_key())
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    with pytest.raises(services.ConversationTaken):
        services.conversation_take(conversation_id=conversation.pk, user=ben)
    with pytest.raises(services.NotYourConversation):
        services.conversation_hand_back(conversation_id=conversation.pk, user=ben)
    services.conversation_take(conversation_id=conversation.pk, user=anna)  # hers already
    assert [row[0] for row in logged()] == [Action.TAKEN]


def test_the_visitor_ending_the_chat_is_not_staff_s_action():
    conversation = services.conversation_open(session_key=new_session_key())
    services.conversation_end(conversation_id=conversation.pk)
    assert Conversation.objects.get().state == Conversation.State.CLOSED
    assert logged() == []


def test_an_entry_that_cannot_be_written_undoes_the_action(monkeypatch):
    anna = make_agent("anna")
    conversation = services.conversation_open(session_key=new_session_key())

    def broken(**kwargs):
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(subscribers, "entry_record", broken)
    with pytest.raises(RuntimeError):
        services.conversation_take(conversation_id=conversation.pk, user=anna)
    conversation.refresh_from_db()
    assert (conversation.state, conversation.assigned_agent_id) == ("bot", None)
    assert not conversation.messages.filter(sender_role="system").exists()


def test_an_auto_assignment_is_written_as_the_site_s_not_as_the_agent_s_take():
    from django.utils import timezone

    from chat.tests.conftest import set_auto_assign

    anna = make_agent("anna", first_name="Anna")
    set_auto_assign(True)
    conversation = services.conversation_open(session_key=new_session_key())
    Conversation.objects.filter(pk=conversation.pk).update(
        state="waiting", waiting_since=timezone.now()
    )

    assert services.conversations_assign() == [(conversation.pk, anna.pk)]

    [(action, actor, pk, detail)] = logged()
    assert (action, pk, detail) == (
        Action.AUTO_ASSIGNED,
        conversation.pk,
        {"to_user_id": anna.pk, "to_name": "anna"},
    )
    assert Entry.objects.get().actor_user_id is None  # the site, not anna
