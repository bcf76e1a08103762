"""chat/services/presence.py: consoles, accepting chats, and telling everyone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import selectors, services
from chat.models import AgentClient
from chat.tests.conftest import console_open, make_agent, set_bot_enabled, set_business_hours

pytestmark = pytest.mark.django_db


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
    assert events.to_visitors() == [{"type": "online", "online": True, "out_of_hours": False}]

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
    assert events.to_visitors() == [{"type": "online", "online": True, "out_of_hours": False}]
    assert AgentClient.objects.count() == 1


def test_closing_a_console_removes_presence_once_no_console_is_left(events, bot_off):
    anna = make_agent("anna", present=False)
    services.agent_client_renew(user=anna, key="tab-1")
    services.agent_client_renew(user=anna, key="tab-2")
    stale = console_open(make_agent("ben", present=False), seconds=-1)

    events.run(services.agent_client_remove, key="tab-1")
    assert selectors.present_agent_ids() == {anna.pk}
    assert events.to_visitors() == [{"type": "online", "online": True, "out_of_hours": False}]
    assert not AgentClient.objects.filter(pk=stale.pk).exists()

    events.clear()
    events.run(services.agent_client_remove, key="tab-2")
    assert selectors.present_agent_ids() == set()
    assert events.to_inbox() == [{"type": "presence", "agents": []}]
    assert events.to_visitors() == [{"type": "online", "online": False, "out_of_hours": False}]


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
    assert events.to_visitors() == [{"type": "online", "online": False, "out_of_hours": False}]
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
        {"type": "chat.send", "frame": {"type": "online", "online": False, "out_of_hours": False}},
    ) in events


def test_the_hours_opening_or_closing_is_announced_once_whichever_process_saw_it(events, anna):
    set_business_hours()  # closed now
    at = timezone.now().replace(microsecond=0)
    assert events.run(services.business_hours_turned, at=at) is True
    assert events.to_visitors() == [{"type": "online", "online": True, "out_of_hours": True}]
    # Another process's clock, a moment later: told already.
    events.clear()
    assert events.run(services.business_hours_turned, at=at) is False
    assert events == []
