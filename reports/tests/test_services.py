"""The figures the reports keep of each conversation: computed once, again after a message or
a change of bot apps, and never for a conversation outside the period asked."""

from datetime import timedelta

import pytest

from botapps.models import BotApp
from chat.models import Message
from reports import services
from reports.models import ConversationFigures

from .conftest import MONDAY, WEEK, conversation, make_staff, message_add

pytestmark = pytest.mark.django_db


def stored(made) -> ConversationFigures:
    return ConversationFigures.objects.get(conversation=made)


def test_the_period_s_conversations_get_their_figures(history):
    services.figures_refresh(period=WEEK)
    made = history.conversations
    assert ConversationFigures.objects.count() == 7
    assert not ConversationFigures.objects.filter(conversation=made["before"]).exists()
    c2 = stored(made["c2"])
    assert (c2.messages, c2.asked, c2.outcome) == (6, True, "person")
    assert (c2.first_reply_by, c2.first_reply_seconds, c2.first_reply_app) == ("bot", 1.0, None)
    assert (c2.first_person, c2.human_reply_seconds, c2.bot_answered) == (
        history.anna.pk,
        120.0,
        True,
    )
    c6 = stored(made["c6"])
    assert (c6.outcome, c6.first_reply_by, c6.first_reply_app) == ("bots", "app", history.helper.pk)
    c3 = stored(made["c3"])
    assert (c3.messages, c3.asked, c3.outcome, c3.first_reply_by) == (1, False, "no_question", "")


def test_a_conversation_without_messages_has_figures_too(db):
    made = conversation(MONDAY)
    services.figures_refresh(period=WEEK)
    assert (stored(made).messages, stored(made).outcome) == (0, "no_question")


def test_stored_figures_are_kept_until_a_message_changes_them(history):
    services.figures_refresh(period=WEEK)
    c5 = history.conversations["c5"]
    ConversationFigures.objects.filter(conversation=c5).update(messages=99)
    services.figures_refresh(period=WEEK)
    assert stored(c5).messages == 99  # nothing new: not computed again
    message_add(c5, Message.Role.BOT, 3)
    services.figures_refresh(period=WEEK)
    figures = stored(c5)
    assert (figures.messages, figures.outcome, figures.first_reply_seconds) == (2, "bots", 3.0)


def test_a_change_of_bot_apps_has_every_figure_computed_again(db):
    robo = make_staff("robo")
    made = conversation(MONDAY, ("visitor", 0), ("agent", 5, robo))
    services.figures_refresh(period=WEEK)
    assert stored(made).outcome == "person"
    # Robo's user turns out to be a bot app's: no new message, and yet its figures change.
    BotApp.objects.create(
        name="Robo", user=robo, webhook_url="http://127.0.0.1:9/hook", signing_secret="s" * 32
    )
    services.figures_refresh(period=WEEK)
    figures = stored(made)
    assert (figures.outcome, figures.first_reply_by, figures.first_person) == ("bots", "app", None)


def test_the_list_of_bot_apps_is_kept_as_a_digest():
    assert services.answerers_digest([3, 1]) == services.answerers_digest([1, 3])
    assert services.answerers_digest([1]) != services.answerers_digest([])
    assert len(services.answerers_digest(list(range(100)))) == 16


def test_a_conversation_outside_the_period_is_left_alone(history):
    services.figures_refresh(period=WEEK)
    outside = conversation(MONDAY + timedelta(days=30), ("visitor", 0))
    services.figures_refresh(period=WEEK)
    assert not ConversationFigures.objects.filter(conversation=outside).exists()


def test_many_stale_conversations_are_computed_a_batch_at_a_time(history, monkeypatch):
    monkeypatch.setattr(services, "COMPUTED_AT_ONCE", 2)
    assert services.figures_refresh(period=WEEK) == 7
    assert ConversationFigures.objects.count() == 7
    assert stored(history.conversations["c2"]).human_reply_seconds == 120.0
    assert services.figures_refresh(period=WEEK) == 0
