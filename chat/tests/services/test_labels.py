"""chat/services/labels.py: agents put labels on conversations and take them off."""

import pytest

from chat import services
from chat.models import ConversationLabel, Label
from chat.tests.conftest import make_agent
from testsupport.harness import require_concurrent_writers, run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(db):
    return Label.objects.create(name="Billing", color="#d97706")


@pytest.fixture
def bug(db):
    return Label.objects.create(name="Bug", color="#dc2626")


def label(events, conversation, label_id, user, active=True):
    return events.run(
        services.conversation_label_set,
        conversation_id=conversation.pk,
        label_id=label_id,
        user=user,
        active=active,
    )


def labels_on(conversation):
    return set(
        ConversationLabel.objects.filter(conversation=conversation).values_list(
            "label__name", flat=True
        )
    )


def test_an_agent_labels_a_conversation_and_every_console_s_row_shows_it(
    events, conversation, anna, billing, bug
):
    events.clear()
    assert label(events, conversation, bug.pk, anna) is True
    assert label(events, conversation, billing.pk, anna) is True

    assert labels_on(conversation) == {"Billing", "Bug"}
    on = ConversationLabel.objects.get(conversation=conversation, label=billing)
    assert on.added_by == anna
    first, second = events.to_inbox()
    assert (first["type"], first["id"]) == ("conversation", conversation.pk)
    assert first["labels"] == [{"id": bug.pk, "name": "Bug", "color": "#dc2626"}]
    # By name, whatever order they were put on in.
    assert [row["name"] for row in second["labels"]] == ["Billing", "Bug"]
    # Staff only: the visitor hears nothing of it.
    assert events.to_visitor(conversation.pk) == []


def test_a_label_is_on_once_and_taking_off_what_is_not_on_changes_nothing(
    events, conversation, anna, ben, billing
):
    assert label(events, conversation, billing.pk, anna) is True
    events.clear()
    assert label(events, conversation, billing.pk, ben) is False
    assert label(events, conversation, billing.pk, ben, active=False) is True
    assert label(events, conversation, billing.pk, ben, active=False) is False
    assert labels_on(conversation) == set()
    # Only the change that happened was announced.
    [row] = events.to_inbox()
    assert row["labels"] == []


def test_any_agent_labels_any_conversation_closed_or_held_by_another(
    events, taken, anna, ben, billing
):
    # Anna holds it; Ben files it, and after she closed it too.
    assert label(events, taken, billing.pk, ben) is True
    services.conversation_close(conversation_id=taken.pk, user=anna)
    assert label(events, taken, billing.pk, ben, active=False) is True


def test_labelling_needs_a_conversation_a_label_and_someone_who_may_chat(
    events, conversation, anna, billing
):
    events.clear()
    with pytest.raises(services.ConversationNotFound):
        label(events, type(conversation)(pk=conversation.pk + 100), billing.pk, anna)
    with pytest.raises(services.LabelNotFound) as caught:
        label(events, conversation, billing.pk + 100, anna)
    assert caught.value.code == "unknown_label"
    visitor_account = make_agent("mallory", permission=False, present=False)
    with pytest.raises(services.ChatActionError) as caught:
        label(events, conversation, billing.pk, visitor_account)
    assert caught.value.code == "not_allowed"
    assert labels_on(conversation) == set()
    assert events == []


def test_a_deleted_label_comes_off_every_conversation(conversation, anna, billing):
    services.conversation_label_set(
        conversation_id=conversation.pk, label_id=billing.pk, user=anna, active=True
    )
    billing.delete()
    assert labels_on(conversation) == set()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_agents_putting_one_label_on_at_once_put_it_on_once(monkeypatch):
    """Agents' consoles (threads, each with its own database connection) at once."""
    require_concurrent_writers()
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)
    conversation = services.conversation_open(session_key="l" * 32)
    billing = Label.objects.create(name="Billing", color="#d97706")
    agents = [make_agent(f"agent{n}", present=False) for n in range(4)]

    def put_on(user):
        services.conversation_label_set(
            conversation_id=conversation.pk, label_id=billing.pk, user=user, active=True
        )

    assert run_at_once(put_on, agents) == []
    assert ConversationLabel.objects.filter(conversation=conversation).count() == 1


def test_labels_publish_sends_consoles_the_labels_and_the_agents(events, anna, billing):
    events.run(services.labels_publish)
    [filters] = events.to_inbox()
    assert filters == {
        "type": "filters",
        "labels": [{"id": billing.pk, "name": "Billing", "color": "#d97706"}],
        "agents": [{"id": anna.pk, "name": "Anna", "is_bot": False}],
    }
