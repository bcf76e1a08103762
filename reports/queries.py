"""The reports' SQL: three statements.

- ``stale_statement`` finds the period's conversations whose stored figures
  (``models.ConversationFigures``) are missing or stale, and ``compute_statement`` computes
  theirs from their messages, read once in their order, and stores them (an upsert);
- ``report_statement`` groups every figure of the report from those rows and the
  conversations' own columns, in one reading.

Why SQL of our own rather than the ORM: a reply's wait depends on the messages before it in
its conversation (window functions over them, then aggregates of those), and the report
takes percentiles of groups of those: the ORM can do neither in one query. Django's own
operations give each database's way of taking a date in the site's time zone, ``percentiles``
its percentiles: PostgreSQL (production, CI) and SQLite (development) run the same
statements.

The words, as the reports use them:

- a **reply** is a message of the site's bot, a bot app or a person (role ``bot`` or
  ``agent``); the chat's own notices (role ``system``) are no one's reply and are left out;
- a **person** is staff: a message of role ``agent`` whose sender is not a bot app's user
  (``chat.answerers``);
- the visitor **waits** from the first of their messages since the last reply (or since the
  start) until the next reply: that reply's **wait**;
- the **first reply** of a conversation is the first reply after the visitor's first message
  (the bot's greeting comes before it, and answers nothing); its wait starts at that message;
- the **first human reply** is the first message a person wrote in the conversation; its
  wait is counted when the visitor was waiting for it, and not when the person wrote first;
- the **outcome** of a conversation: ``person`` if a person wrote in it, else ``bots`` if a
  bot (the site's or a bot app) replied to the visitor, else ``unanswered`` if the visitor
  asked and nobody replied, else ``no_question``;
- its **length**, of a conversation in which the visitor asked something: its messages
  (notices left out), and its **duration**, from its start to its last message;
- a **rating** is of whoever held the conversation at the end (its agent, a person or a bot
  app), else of the site's bot if it replied: the rule of ``chat.selectors.ratings_report``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from chat.models import Conversation, Message, Rating

from .models import ConversationFigures
from .percentiles import percentile_sql

#: The ratings a visitor may give (chat.models.Rating).
SCORES = tuple(rating.value for rating in Rating)

#: The report's columns: a row of one grouping leaves the columns it has no figure for NULL.
COLUMNS = (
    "grouping",
    "day",
    "number_key",
    "text_key",
    "conversations",
    "alone",
    "first_reply_count",
    "first_reply_median",
    "first_reply_p90",
    "human_reply_count",
    "human_reply_median",
    "human_reply_p90",
    "messages_count",
    "messages_median",
    "messages_p90",
    "duration_count",
    "duration_median",
    "duration_p90",
    "rated",
    "rating_total",
    *(f"score_{score}" for score in SCORES),
)

MEDIAN, P90 = 0.5, 0.9


def _word(value: str) -> str:
    """One of our own words (a role, a grouping), as an SQL string: never text from outside."""
    if not value.replace("_", "").isalpha():
        raise ValueError(f"Not a word of ours: {value!r}")
    return f"'{value}'"


VISITOR = _word(Message.Role.VISITOR)
BOT = _word(Message.Role.BOT)
AGENT = _word(Message.Role.AGENT)
SYSTEM = _word(Message.Role.SYSTEM)
Outcome, Replier = ConversationFigures.Outcome, ConversationFigures.Replier


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _seconds(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS double precision)"
    # Django's own function on its SQLite connections: the microseconds between two of its
    # timestamps.
    return f"(django_timestamp_diff({later}, {earlier}) / 1000000.0)"


#: The conversations started in a period: both ends are parameters (``_bounds``).
IN_PERIOD = "{0}.created_at >= %s AND {0}.created_at < %s"


def _bounds(start_at: datetime, end_at: datetime) -> list[Any]:
    """The period's ends as the database stores times (SQLite: text in UTC, which compares
    with the stored text only in that form)."""
    adapt = connection.ops.adapt_datetimefield_value
    return [adapt(start_at), adapt(end_at)]


def stale_statement(
    *, start_at: datetime, end_at: datetime, answerers: str
) -> tuple[str, list[Any]]:
    """The ids of the conversations started in the period whose stored figures are missing,
    or older than their last message or than the list of bot apps."""
    sql = f"""
SELECT c.id
FROM {_table(Conversation)} c LEFT JOIN {_table(ConversationFigures)} kept
    ON kept.conversation_id = c.id
WHERE {IN_PERIOD.format("c")} AND (kept.conversation_id IS NULL
    OR kept.last_message_at <> c.last_message_at OR kept.answerers <> %s)
"""
    return sql, [*_bounds(start_at, end_at), answerers]


def compute_statement(
    *, conversation_ids: Sequence[int], bot_app_ids: Sequence[int], answerers: str
) -> tuple[str, list[Any]]:
    """Compute and store the figures of these conversations, from their messages.

    The ids are given, not a subquery: PostgreSQL then knows how few they usually are (those
    a message changed since the last report), and reads their messages through the index,
    not every message of the period."""
    conversations, messages = _table(Conversation), _table(Message)
    figures = _table(ConversationFigures)
    if bot_app_ids:
        is_bot_app = f"m.sender_user_id IN ({', '.join(['%s'] * len(bot_app_ids))})"
    else:
        is_bot_app = "1 = 0"
    # The statement starts with its INSERT (then its WITH): SQLite counts the rows written
    # only of a statement that starts so.
    sql = f"""
INSERT INTO {figures} (conversation_id, last_message_at, answerers, messages, asked, outcome,
    first_reply_by, first_reply_app, first_reply_seconds, first_person, human_reply_seconds,
    duration_seconds, bot_answered)
WITH stale AS (
    SELECT c.id, c.created_at, c.last_message_at
    FROM {conversations} c
    WHERE c.id IN ({", ".join(["%s"] * len(conversation_ids))})
), msg AS (
    SELECT m.conversation_id, m.id, m.sent_at, m.sender_role AS role, m.sender_user_id AS user_id,
        CASE WHEN m.sender_role = {AGENT} AND {is_bot_app} THEN 1 ELSE 0 END AS bot_app
    FROM {messages} m JOIN stale ON stale.id = m.conversation_id
    WHERE m.sender_role <> {SYSTEM}
), kinds AS (
    SELECT msg.*, CASE WHEN role = {AGENT} AND bot_app = 0 THEN 1 ELSE 0 END AS person
    FROM msg
), ordered AS (
    SELECT kinds.*,
        COUNT(CASE WHEN role = {VISITOR} THEN 1 END) OVER w AS asked,
        SUM(person) OVER w AS people,
        SUM(bot_app) OVER w AS apps,
        LAG(role) OVER w AS previous_role
    FROM kinds
    WINDOW w AS (PARTITION BY conversation_id ORDER BY id ROWS UNBOUNDED PRECEDING)
), facts AS (
    SELECT conversation_id AS id,
        COUNT(*) AS messages,
        MIN(CASE WHEN role = {VISITOR} THEN sent_at END) AS asked_at,
        MIN(CASE WHEN role <> {VISITOR} AND asked > 0 THEN sent_at END) AS answered_at,
        MIN(CASE WHEN role = {BOT} AND asked > 0 THEN sent_at END) AS bot_answered_at,
        MIN(CASE WHEN bot_app = 1 AND asked > 0 THEN sent_at END) AS app_answered_at,
        MIN(CASE WHEN bot_app = 1 AND apps = 1 THEN user_id END) AS app_id,
        MIN(CASE WHEN person = 1 THEN sent_at END) AS person_at,
        MIN(CASE WHEN person = 1 AND people = 1 THEN user_id END) AS person_id,
        MAX(CASE WHEN role = {VISITOR} AND people = 0
            AND (previous_role IS NULL OR previous_role <> {VISITOR}) THEN id END) AS waiting_id,
        MAX(CASE WHEN role = {VISITOR} AND people = 0
            AND (previous_role IS NULL OR previous_role <> {VISITOR}) THEN sent_at END)
            AS waiting_since,
        MAX(CASE WHEN role <> {VISITOR} AND people = 0 THEN id END) AS replied_id
    FROM ordered
    GROUP BY conversation_id
)
SELECT stale.id, stale.last_message_at, %s, COALESCE(f.messages, 0),
    CASE WHEN f.asked_at IS NOT NULL THEN TRUE ELSE FALSE END,
    CASE WHEN f.person_at IS NOT NULL THEN {_word(Outcome.PERSON)}
        WHEN f.answered_at IS NOT NULL THEN {_word(Outcome.BOTS)}
        WHEN f.asked_at IS NOT NULL THEN {_word(Outcome.UNANSWERED)}
        ELSE {_word(Outcome.NO_QUESTION)} END,
    CASE WHEN f.answered_at IS NULL THEN ''
        WHEN f.answered_at = f.bot_answered_at THEN {_word(Replier.BOT)}
        WHEN f.answered_at = f.app_answered_at THEN {_word(Replier.APP)}
        ELSE {_word(Replier.PERSON)} END,
    CASE WHEN f.answered_at = f.app_answered_at THEN f.app_id END,
    {_seconds("f.answered_at", "f.asked_at")},
    f.person_id,
    CASE WHEN f.waiting_id > COALESCE(f.replied_id, 0)
        THEN {_seconds("f.person_at", "f.waiting_since")} END,
    CASE WHEN f.asked_at IS NOT NULL
        THEN {_seconds("stale.last_message_at", "stale.created_at")} END,
    CASE WHEN f.bot_answered_at IS NOT NULL THEN TRUE ELSE FALSE END
FROM stale LEFT JOIN facts f ON f.id = stale.id
WHERE TRUE
ON CONFLICT (conversation_id) DO UPDATE SET last_message_at = excluded.last_message_at,
    answerers = excluded.answerers, messages = excluded.messages, asked = excluded.asked,
    outcome = excluded.outcome, first_reply_by = excluded.first_reply_by,
    first_reply_app = excluded.first_reply_app,
    first_reply_seconds = excluded.first_reply_seconds, first_person = excluded.first_person,
    human_reply_seconds = excluded.human_reply_seconds,
    duration_seconds = excluded.duration_seconds, bot_answered = excluded.bot_answered
"""
    # ``WHERE TRUE``: SQLite reads "SELECT ... FROM ... ON CONFLICT" as a join's ON otherwise.
    return sql, [*conversation_ids, *bot_app_ids, answerers]


def _spread(name: str, expression: str) -> dict[str, str]:
    vendor = connection.vendor
    return {
        f"{name}_count": f"COUNT({expression})",
        f"{name}_median": percentile_sql(vendor, MEDIAN, expression),
        f"{name}_p90": percentile_sql(vendor, P90, expression),
    }


def _null(column: str) -> str:
    """No figure, of the column's type: PostgreSQL takes a bare NULL in the first rows of a
    UNION for text, which the next rows' numbers or dates then cannot join."""
    if column == "day":
        return "CAST(NULL AS date)"
    if column == "text_key":
        return "CAST(NULL AS varchar)"
    if column.endswith(("_median", "_p90")):
        return "CAST(NULL AS double precision)"
    return "CAST(NULL AS bigint)"


def _branch(grouping: str, figures: dict[str, str], rest: str = "") -> str:
    unknown = set(figures) - set(COLUMNS)
    if unknown:
        raise ValueError(f"No such columns: {sorted(unknown)}")
    values = ", ".join(figures.get(column, _null(column)) for column in COLUMNS[1:])
    return f"SELECT {_word(grouping)}, {values} FROM per {rest}"


def report_statement(*, start_at: datetime, end_at: datetime, tzname: str) -> tuple[str, list]:
    """Every figure of the period's conversations (their stored figures up to date): a row
    per grouping and group, COLUMNS."""
    day, day_params = connection.ops.datetime_cast_date_sql("c.created_at", (), tzname)
    sql = f"""
WITH per AS (
    SELECT c.id, {day} AS day, c.assigned_agent_id AS holder_id, c.rating_score AS score,
        f.outcome, f.first_reply_by, f.first_reply_app, f.first_person, f.bot_answered,
        f.first_reply_seconds AS first_reply, f.human_reply_seconds AS human_reply,
        CASE WHEN f.asked THEN f.messages END AS messages, f.duration_seconds AS duration
    FROM {_table(Conversation)} c
    JOIN {_table(ConversationFigures)} f ON f.conversation_id = c.id
    WHERE {IN_PERIOD.format("c")}
)
"""
    branches = [
        _branch(
            "all",
            {
                "conversations": "COUNT(*)",
                **_spread("first_reply", "first_reply"),
                **_spread("human_reply", "human_reply"),
                **_spread("messages", "messages"),
                **_spread("duration", "duration"),
                "rated": "COUNT(score)",
                "rating_total": "SUM(score)",
                **{
                    f"score_{score}": f"COUNT(CASE WHEN score = {score:d} THEN 1 END)"
                    for score in SCORES
                },
            },
        ),
        _branch(
            "day",
            {"day": "day", "text_key": "outcome", "conversations": "COUNT(*)"},
            "GROUP BY day, outcome",
        ),
        _branch(
            "first_reply",
            {
                "text_key": "first_reply_by",
                "number_key": "first_reply_app",
                "conversations": "COUNT(*)",
                "alone": f"COUNT(CASE WHEN outcome = {_word(Outcome.BOTS)} THEN 1 END)",
                **_spread("first_reply", "first_reply"),
            },
            f"WHERE first_reply_by IN ({_word(Replier.BOT)}, {_word(Replier.APP)})"
            " GROUP BY first_reply_by, first_reply_app",
        ),
        _branch(
            "person",
            {
                "number_key": "first_person",
                "conversations": "COUNT(*)",
                **_spread("human_reply", "human_reply"),
            },
            f"WHERE outcome = {_word(Outcome.PERSON)} GROUP BY first_person",
        ),
        _branch(
            "holder",
            {
                "number_key": "holder_id",
                "text_key": f"CASE WHEN holder_id IS NULL AND bot_answered THEN {BOT} END",
                "rated": "COUNT(*)",
                "rating_total": "SUM(score)",
            },
            "WHERE score IS NOT NULL GROUP BY holder_id, bot_answered",
        ),
    ]
    return sql + "\nUNION ALL\n".join(branches), [*day_params, *_bounds(start_at, end_at)]


def run(sql: str, params: Sequence[Any]) -> list[tuple]:
    """Run the report's statement: its rows."""
    with _session() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def write(sql: str, params: Sequence[Any]) -> int:
    """Run the refresh's statement: how many rows it wrote."""
    with _session() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@contextmanager
def _session():
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # These statements cost enough for PostgreSQL to compile them first (JIT), which
            # takes longer than running them; their sorts (the percentiles') fit in memory
            # with this much.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '32MB'")
        yield cursor
