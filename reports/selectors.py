"""Reads of the reports: how the chat went over a period (``queries`` says what each word
means)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from bots.loading import bot_class
from bots.models import BotProfile, UnansweredQuestion
from chat import answerers
from chat import selectors as chat_selectors

from . import conf, queries
from .models import ConversationFigures
from .periods import Period

#: The outcomes of a conversation, in the order the report shows them, with their labels.
OUTCOMES = {
    outcome.value: outcome.label[0].upper() + outcome.label[1:]
    for outcome in ConversationFigures.Outcome
}


@dataclass(frozen=True)
class Spread:
    """How long (or how many) for a number of conversations: the median and the 90th
    percentile, None when there are none."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class Ratings:
    count: int = 0
    total: int = 0

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class Day:
    day: date
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    @property
    def conversations(self) -> int:
        return sum(self.outcomes.values())


@dataclass(frozen=True)
class PersonFigures:
    """A person's figures: the conversations in which they were the first person to write,
    the waits of those first human replies, and the ratings of the conversations they held
    at the end."""

    id: int | None
    name: str
    conversations: int
    first_human_reply: Spread
    ratings: Ratings


@dataclass(frozen=True)
class BotFigures:
    """A bot's figures (the site's bot, or a bot app): the conversations whose first reply
    it gave, those no person wrote in (``alone``), the waits of those first replies, and the
    ratings of the conversations it held at the end."""

    id: int | None
    name: str
    kind: str
    conversations: int
    alone: int
    first_reply: Spread
    ratings: Ratings


@dataclass(frozen=True)
class Question:
    text: str
    bot: str
    times_asked: int
    first_asked: datetime
    last_asked: datetime


@dataclass(frozen=True)
class Report:
    period: Period
    days: list[Day]
    first_reply: Spread
    first_human_reply: Spread
    messages: Spread
    duration: Spread
    ratings: Ratings
    scores: dict[int, int]
    people: list[PersonFigures]
    bots: list[BotFigures]
    questions: list[Question]

    @property
    def conversations(self) -> int:
        return sum(day.conversations for day in self.days)

    @property
    def outcomes(self) -> dict[str, int]:
        return {name: sum(day.outcomes[name] for day in self.days) for name in OUTCOMES}

    @property
    def labelled_outcomes(self) -> list[tuple[str, int]]:
        outcomes = self.outcomes
        return [(label, outcomes[name]) for name, label in OUTCOMES.items()]


def bot_app_ids() -> set[int]:
    """The users of the bot apps (``chat.answerers``): they write as agents, as people do."""
    return set(
        get_user_model().objects.filter(answerers.users_q("pk")).values_list("pk", flat=True)
    )


def report(*, period: Period) -> Report:
    """How the chat went over the period, from its conversations' stored figures (up to date
    after ``services.figures_refresh``) in one query, with the names of the staff and bots
    they name, and the bots' most asked unanswered questions."""
    start_at, end_at = period.bounds()
    sql, params = queries.report_statement(
        start_at=start_at, end_at=end_at, tzname=timezone.get_current_timezone_name()
    )
    rows = [dict(zip(queries.COLUMNS, row, strict=True)) for row in queries.run(sql, params)]
    bot_apps = bot_app_ids()
    by_grouping: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_grouping.setdefault(row["grouping"], []).append(row)
    overall = by_grouping["all"][0]

    days = {day: Day(day) for day in period.days()}
    for row in by_grouping.get("day", []):
        # SQLite's dates are text.
        day = date.fromisoformat(row["day"]) if isinstance(row["day"], str) else row["day"]
        days[day].outcomes[row["text_key"]] = row["conversations"]

    holders = by_grouping.get("holder", [])
    ratings_of = {
        (row["number_key"], row["text_key"]): Ratings(row["rated"], row["rating_total"])
        for row in holders
    }
    names = _names(
        {row["number_key"] for row in rows if row["grouping"] in {"person", "first_reply"}}
        | {row["number_key"] for row in holders}
    )
    return Report(
        period=period,
        days=list(days.values()),
        first_reply=_spread(overall, "first_reply"),
        first_human_reply=_spread(overall, "human_reply"),
        messages=_spread(overall, "messages"),
        duration=_spread(overall, "duration"),
        ratings=Ratings(overall["rated"], overall["rating_total"] or 0),
        scores={score: overall[f"score_{score}"] for score in queries.SCORES},
        people=_people(by_grouping.get("person", []), ratings_of, bot_apps, names),
        bots=_bots(by_grouping.get("first_reply", []), ratings_of, bot_apps, names),
        questions=unanswered_questions(
            period=period, limit=conf.get("REPORTS_UNANSWERED_QUESTIONS")
        ),
    )


def _spread(row: dict[str, Any], name: str) -> Spread:
    median, p90 = row[f"{name}_median"], row[f"{name}_p90"]
    return Spread(
        count=row[f"{name}_count"],
        median=None if median is None else float(median),
        p90=None if p90 is None else float(p90),
    )


def _names(user_ids: set[int | None]) -> dict[int, str]:
    ids = [user_id for user_id in user_ids if user_id is not None]
    return {agent["id"]: agent["name"] for agent in chat_selectors.agent_identities(user_ids=ids)}


#: A person's messages whose user was deleted since.
FORMER_STAFF = "(a deleted user)"


def _people(
    rows: list[dict[str, Any]],
    ratings_of: dict[tuple[int | None, str | None], Ratings],
    bot_app_ids: set[int],
    names: dict[int, str],
) -> list[PersonFigures]:
    """Every person who wrote first in a conversation of the period, or held a rated one at
    its end: most conversations first."""
    people = {row["number_key"]: row for row in rows}
    rated = {key for key, _bot in ratings_of if key is not None and key not in bot_app_ids}
    people = [
        PersonFigures(
            id=user_id,
            name=names.get(user_id, FORMER_STAFF) if user_id is not None else FORMER_STAFF,
            conversations=people[user_id]["conversations"] if user_id in people else 0,
            first_human_reply=_spread(people[user_id], "human_reply")
            if user_id in people
            else Spread(),
            ratings=ratings_of.get((user_id, None), Ratings()),
        )
        for user_id in people.keys() | rated
    ]
    return sorted(people, key=lambda person: (-person.conversations, person.name, person.id or 0))


def _bots(
    rows: list[dict[str, Any]],
    ratings_of: dict[tuple[int | None, str | None], Ratings],
    bot_app_ids: set[int],
    names: dict[int, str],
) -> list[BotFigures]:
    """The site's bot and every bot app that gave a first reply in the period, or held a
    rated conversation at its end: most conversations first."""
    firsts = {
        (row["text_key"], row["number_key"] if row["text_key"] == "app" else None): row
        for row in rows
    }
    keys = set(firsts)
    if (None, "bot") in ratings_of:
        keys.add(("bot", None))
    keys |= {("app", key) for key, _bot in ratings_of if key in bot_app_ids}
    bots = []
    for kind, user_id in keys:
        row = firsts.get((kind, user_id))
        if kind == "bot":
            name, label, ratings = _site_bot_name(), "the site's bot", ratings_of.get((None, "bot"))
        else:
            name, label, ratings = (
                names.get(user_id, ""),
                "bot app",
                ratings_of.get((user_id, None)),
            )
        bots.append(
            BotFigures(
                id=user_id,
                name=name,
                kind=label,
                conversations=row["conversations"] if row else 0,
                alone=row["alone"] if row else 0,
                first_reply=_spread(row, "first_reply") if row else Spread(),
                ratings=ratings or Ratings(),
            )
        )
    return sorted(bots, key=lambda bot: (-bot.conversations, bot.name))


def _site_bot_name() -> str:
    """The site's bot by the name staff gave it (its profile), else its own."""
    cls = bot_class()
    name = BotProfile.objects.filter(slug=cls.slug).values_list("name", flat=True).first()
    return name or cls.default_name


def unanswered_questions(*, period: Period, limit: int) -> list[Question]:
    """The questions the bots could not answer that visitors asked during the period (first
    asked before its end, last asked after its start), most asked first. A question counts
    every time it was asked since it was first asked: the bot keeps one count per question."""
    start_at, end_at = period.bounds()
    questions = (
        UnansweredQuestion.objects.filter(first_asked__lt=end_at, last_asked__gte=start_at)
        .select_related("profile")
        .order_by("-count", "-last_asked", "pk")[:limit]
    )
    return [
        Question(
            text=question.text,
            bot=question.profile.name,
            times_asked=question.count,
            first_asked=question.first_asked,
            last_asked=question.last_asked,
        )
        for question in questions
    ]
