"""Each figure of the report against the made-up week (conftest.history), whose answers are
worked out by hand; on whichever database the suite runs (CI: PostgreSQL's percentile_cont;
SQLite: the same function, ours)."""

from datetime import date, datetime, timedelta

import pytest
from django.test import override_settings

from bots.models import BotProfile, UnansweredQuestion
from chat.models import Message
from reports import selectors
from reports.periods import Period

from .conftest import (
    MONDAY,
    WEEK,
    conversation,
    make_bot_app,
    make_staff,
    message_add,
    report_of,
)

pytestmark = pytest.mark.django_db


def test_conversations_per_day_by_outcome(history):
    report = report_of()
    assert [day.day for day in report.days] == [date(2025, 3, 10) + timedelta(n) for n in range(7)]
    assert [day.conversations for day in report.days] == [3, 3, 1, 0, 0, 0, 0]
    monday, tuesday, wednesday = report.days[:3]
    assert monday.outcomes == {"bots": 1, "person": 1, "unanswered": 0, "no_question": 1}
    assert tuesday.outcomes == {"bots": 1, "person": 1, "unanswered": 1, "no_question": 0}
    assert wednesday.outcomes == {"bots": 0, "person": 1, "unanswered": 0, "no_question": 0}
    assert report.conversations == 7


def test_the_share_answered_by_bots_alone_and_handed_to_a_person(history):
    assert report_of().outcomes == {"bots": 2, "person": 3, "unanswered": 1, "no_question": 1}


def test_first_reply_median_and_90th_percentile(history):
    # 1, 1, 2, 30 and 60 s: the 90th percentile lies 0.6 of the way from 30 to 60.
    assert report_of().first_reply == selectors.Spread(count=5, median=2.0, p90=48.0)


def test_time_to_first_human_reply_counts_only_a_visitor_who_waited(history):
    # c2's visitor waited 120 s (from their first message since the bot's answer), c4's 60 s;
    # Anna wrote in c7 with nobody waiting.
    assert report_of().first_human_reply == selectors.Spread(count=2, median=90.0, p90=114.0)


def test_length_in_messages_and_duration_of_conversations_with_a_question(history):
    report = report_of()
    # 1, 3, 3, 3, 4, 6 messages (c2's notice is not counted; c3 asked nothing).
    assert report.messages == selectors.Spread(count=6, median=3.0, p90=5.0)
    # 0, 12, 40, 90, 140, 300 s.
    assert report.duration == selectors.Spread(count=6, median=65.0, p90=220.0)


def test_ratings_average_and_distribution(history):
    report = report_of()
    assert report.ratings.count == 4
    assert report.ratings.average == 3.5
    assert report.scores == {1: 0, 2: 1, 3: 1, 4: 1, 5: 1}


def test_per_person_first_replies_and_ratings(history):
    people = {person.name: person for person in report_of().people}
    assert list(people) == ["Anna", "Bob"]
    anna, bob = people["Anna"], people["Bob"]
    assert (anna.id, anna.conversations) == (history.anna.pk, 2)
    assert anna.first_human_reply == selectors.Spread(count=1, median=120.0, p90=120.0)
    assert (anna.ratings.count, anna.ratings.average) == (1, 4.0)
    assert bob.conversations == 1
    assert bob.first_human_reply == selectors.Spread(count=1, median=60.0, p90=60.0)
    assert (bob.ratings.count, bob.ratings.average) == (1, 2.0)


def test_per_bot_first_replies_alone_and_ratings(history):
    BotProfile.objects.update_or_create(slug="case", defaults={"name": "Casey"})
    bots = {bot.name: bot for bot in report_of().bots}
    assert list(bots) == ["Casey", "Helper"]
    site_bot, helper = bots["Casey"], bots["Helper"]
    assert (site_bot.kind, site_bot.conversations, site_bot.alone) == ("the site's bot", 3, 1)
    # 1, 1 and 2 s.
    assert site_bot.first_reply == selectors.Spread(count=3, median=1.0, p90=1.8)
    # c1's rating: nobody held it at the end, and the bot had answered.
    assert (site_bot.ratings.count, site_bot.ratings.average) == (1, 5.0)
    assert (helper.kind, helper.id, helper.conversations, helper.alone) == (
        "bot app",
        history.helper.pk,
        1,
        1,
    )
    assert helper.first_reply == selectors.Spread(count=1, median=30.0, p90=30.0)
    assert (helper.ratings.count, helper.ratings.average) == (1, 3.0)


def test_a_person_whose_user_was_deleted_keeps_their_figures(history):
    history.bob.delete()
    people = {person.name: person for person in report_of().people}
    assert people[selectors.FORMER_STAFF].conversations == 1
    assert people[selectors.FORMER_STAFF].first_human_reply.median == 60.0


def test_a_person_held_a_rated_conversation_without_writing_in_it(history):
    carl = make_staff("carl", first_name="Carl")
    conversation(MONDAY + timedelta(days=3), ("visitor", 0), ("bot", 1), agent=carl, rating=1)
    carl_figures = next(person for person in report_of().people if person.name == "Carl")
    assert carl_figures.conversations == 0
    assert carl_figures.first_human_reply == selectors.Spread()
    assert (carl_figures.ratings.count, carl_figures.ratings.average) == (1, 1.0)


def test_the_most_asked_unanswered_questions_of_the_period(history):
    profile, _ = BotProfile.objects.get_or_create(slug="case", defaults={"name": "Case"})

    def asked(text: str, count: int, first: datetime, last: datetime) -> None:
        UnansweredQuestion.objects.create(
            profile=profile,
            text=text,
            key=UnansweredQuestion.key_for(text),
            count=count,
            first_asked=first,
            last_asked=last,
        )

    asked("Do you ship to Mars?", 5, MONDAY - timedelta(days=30), MONDAY + timedelta(days=2))
    asked("Gift wrapping?", 9, MONDAY - timedelta(days=30), MONDAY - timedelta(days=1))
    asked("Is there a discount for students?", 2, MONDAY, MONDAY + timedelta(hours=1))
    asked(
        "Will you open a shop in Rome?", 7, MONDAY + timedelta(days=8), MONDAY + timedelta(days=8)
    )
    questions = report_of().questions
    assert [(q.text, q.bot, q.times_asked) for q in questions] == [
        ("Do you ship to Mars?", "Case", 5),
        ("Is there a discount for students?", "Case", 2),
    ]
    assert selectors.unanswered_questions(period=WEEK, limit=1)[0].text == "Do you ship to Mars?"


def test_a_period_without_conversations(db):
    report = report_of(Period(start=date(2024, 1, 1), end=date(2024, 1, 2)))
    assert report.conversations == 0
    assert [day.conversations for day in report.days] == [0, 0]
    assert report.first_reply == selectors.Spread()
    assert report.first_human_reply == selectors.Spread()
    assert report.messages == selectors.Spread()
    assert report.ratings.average is None
    assert report.scores == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert (report.people, report.bots, report.questions) == ([], [], [])


@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_conversation_counts_on_its_day_in_the_site_s_time_zone(db):
    # 23:30 UTC on Sunday is 00:30 on Monday in Berlin.
    conversation(MONDAY.replace(hour=0) - timedelta(minutes=30), ("visitor", 0), ("bot", 1))
    report = report_of(Period(start=date(2025, 3, 9), end=date(2025, 3, 10)))
    assert [day.conversations for day in report.days] == [0, 1]


def test_a_conversation_s_figures_follow_its_new_messages(history):
    c5 = history.conversations["c5"]
    assert report_of().outcomes["unanswered"] == 1
    message_add(c5, Message.Role.AGENT, 45, history.bob)
    report = report_of()
    assert report.outcomes["unanswered"] == 0
    assert report.first_human_reply.count == 3
    bob = next(person for person in report.people if person.name == "Bob")
    assert bob.first_human_reply == selectors.Spread(count=2, median=52.5, p90=58.5)


def test_of_two_bot_apps_the_first_to_answer_gave_the_first_reply(db):
    # Alpha's user is made first: the smaller id, yet the second to answer.
    second, first = make_bot_app("Alpha"), make_bot_app("Zeta")
    conversation(MONDAY, ("visitor", 0), ("agent", 4, first), ("visitor", 5), ("agent", 9, second))
    bots = {bot.name: bot for bot in report_of().bots}
    assert (bots["Zeta"].conversations, bots["Zeta"].first_reply.median) == (1, 4.0)
    assert "Alpha" not in bots
