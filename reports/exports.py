"""A report as CSV: one table of four columns, ``section, item, figure, value``, a figure a
row, so that a spreadsheet filters or pivots it by section (``summary``, ``day``, ``person``,
``bot``, ``rating``, ``unanswered_question``). Times are in seconds, with the unit in the
figure's name; a figure nobody has (no reply yet) is an empty cell."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from .models import ConversationFigures
from .selectors import Report, Spread

HEADER = ("section", "item", "figure", "value")

#: The outcomes as figures: their labels on the page, in one word each.
OUTCOME_FIGURES = {
    outcome.value: outcome.label.replace(",", "").replace(" ", "_")
    for outcome in ConversationFigures.Outcome
}

#: What a spreadsheet takes for the start of a formula (and tab and carriage return, which
#: some read past): a cell of text starting with one is written after an apostrophe, the
#: spreadsheets' mark for "this is text" (OWASP's advice on CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _spread(section: str, item: str, name: str, spread: Spread, unit: str = "_seconds"):
    yield section, item, f"{name}_count", spread.count
    yield section, item, f"{name}_median{unit}", _number(spread.median)
    yield section, item, f"{name}_p90{unit}", _number(spread.p90)


def _number(value: float | None) -> float | str:
    return "" if value is None else round(value, 3)


def rows(report: Report) -> Iterator[tuple[Any, ...]]:
    """The report's rows, header first."""
    yield HEADER
    yield "period", "", "start", report.period.start.isoformat()
    yield "period", "", "end", report.period.end.isoformat()
    yield "summary", "", "conversations", report.conversations
    for outcome, count in report.outcomes.items():
        yield "summary", "", OUTCOME_FIGURES[outcome], count
    yield from _spread("summary", "", "first_reply", report.first_reply)
    yield from _spread("summary", "", "first_human_reply", report.first_human_reply)
    yield from _spread("summary", "", "messages", report.messages, unit="")
    yield from _spread("summary", "", "duration", report.duration)
    yield "summary", "", "ratings", report.ratings.count
    yield "summary", "", "rating_average", _number(report.ratings.average)
    for score, count in report.scores.items():
        yield "rating", str(score), "conversations", count
    for day in report.days:
        item = day.day.isoformat()
        yield "day", item, "conversations", day.conversations
        for outcome, count in day.outcomes.items():
            yield "day", item, OUTCOME_FIGURES[outcome], count
    for person in report.people:
        yield "person", person.name, "conversations", person.conversations
        yield from _spread("person", person.name, "first_human_reply", person.first_human_reply)
        yield "person", person.name, "ratings", person.ratings.count
        yield "person", person.name, "rating_average", _number(person.ratings.average)
    for bot in report.bots:
        yield "bot", bot.name, "kind", bot.kind
        yield "bot", bot.name, "conversations", bot.conversations
        yield "bot", bot.name, "alone", bot.alone
        yield from _spread("bot", bot.name, "first_reply", bot.first_reply)
        yield "bot", bot.name, "ratings", bot.ratings.count
        yield "bot", bot.name, "rating_average", _number(bot.ratings.average)
    for question in report.questions:
        yield "unanswered_question", question.text, "bot", question.bot
        yield "unanswered_question", question.text, "times_asked", question.times_asked
        yield "unanswered_question", question.text, "last_asked", question.last_asked.isoformat()


class _Line:
    """Where csv.writer writes a row: handed straight back, to stream it."""

    def write(self, text: str) -> str:
        return text


def csv_lines(report: Report) -> Iterator[str]:
    """The report as CSV text, a row at a time, every cell formula-safe."""
    writer = csv.writer(_Line())
    for row in rows(report):
        yield writer.writerow([safe_cell(cell) for cell in row])


def filename(report: Report) -> str:
    return f"chat-report-{report.period.start.isoformat()}-to-{report.period.end.isoformat()}.csv"
