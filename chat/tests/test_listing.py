"""chat/listing.py: the console list's filter and cursor, as plain values."""

from datetime import UTC, datetime, timedelta

import pytest

from chat.listing import EVERYTHING, NO_AGENT, ConversationFilter, Cursor, search_terms

MONDAY = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)


def row(**fields):
    """A conversation's row as consoles get it (chat.selectors.conversation_summary)."""
    return {
        "id": 12,
        "state": "agent",
        "agent": {"id": 7, "name": "Anna", "title": "Support", "is_bot": False},
        "last_message_at": MONDAY.isoformat(),
        "labels": [{"id": 3, "name": "Billing", "color": "#d97706"}],
    } | fields


@pytest.mark.parametrize(
    ("search", "terms"),
    [
        ("refund", ("refund",)),
        ("  refund   hoodie ", ("refund", "hoodie")),
        # What stands around a word is left off; a word is kept as written inside.
        ("refund? (hoodie) «envío»", ("refund", "hoodie", "envío")),
        ("anna@example.com e-mail GG-123456", ("anna@example.com", "e-mail", "GG-123456")),
        # Once each, whatever the case; what holds no letter or digit is not a word.
        ("Mug mug MUG -- ?! ...", ("Mug",)),
        ("___", ()),
        ("", ()),
        # Eight words at most count.
        ("a b c d e f g h i j", ("a", "b", "c", "d", "e", "f", "g", "h")),
    ],
)
def test_a_search_is_its_words(search, terms):
    assert search_terms(search) == terms


def test_a_cursor_is_exact_to_the_microsecond_and_reads_back():
    cursor = Cursor(MONDAY, 4821)
    assert str(cursor) == f"{int(MONDAY.timestamp()) * 1_000_000 + 123456}.4821"
    assert Cursor.parse(str(cursor)) == cursor
    before_1970 = Cursor(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), 1)
    assert str(before_1970) == "-1.1"
    assert Cursor.parse("-1.1") == before_1970


@pytest.mark.parametrize(
    "text",
    ["", "12", "12.", ".5", "12.0", "12.05", "1.5.6", "abc.5", "12,5", " 12.5", "9" * 21 + ".5",
     "5." + "9" * 19, "5.9223372036854775808", "99999999999999999999.1", None, 12.5],
)  # fmt: skip
def test_anything_but_a_cursor_is_refused(text):
    with pytest.raises(ValueError):
        Cursor.parse(text)


def test_a_filter_says_only_what_is_set():
    assert EVERYTHING.as_frame() == {}
    wanted = ConversationFilter(
        labels=(3, 5),
        state="waiting",
        agent=NO_AGENT,
        since=MONDAY,
        until=MONDAY + timedelta(days=1),
        search="hoodie",
    )
    assert wanted.as_frame() == {
        "labels": [3, 5],
        "state": "waiting",
        "agent": "none",
        "since": MONDAY.isoformat(),
        "until": (MONDAY + timedelta(days=1)).isoformat(),
        "search": "hoodie",
    }
    assert wanted.terms == ("hoodie",)


@pytest.mark.parametrize(
    ("wanted", "admitted"),
    [
        (EVERYTHING, True),
        (ConversationFilter(state="agent"), True),
        (ConversationFilter(state="waiting"), False),
        (ConversationFilter(agent=7), True),
        (ConversationFilter(agent=8), False),
        (ConversationFilter(agent=NO_AGENT), False),
        (ConversationFilter(labels=(3,)), True),
        (ConversationFilter(labels=(3, 5)), False),
        (ConversationFilter(since=MONDAY), True),
        (ConversationFilter(since=MONDAY + timedelta(microseconds=1)), False),
        (ConversationFilter(until=MONDAY), False),
        (ConversationFilter(until=MONDAY + timedelta(microseconds=1)), True),
        # Words need the database: a row passes on the rest.
        (ConversationFilter(state="agent", search="no such word"), True),
    ],
)
def test_a_row_matches_on_all_but_the_words(wanted, admitted):
    assert wanted.matches_row(row()) is admitted


def test_a_row_nobody_holds_matches_nobody_and_no_agent():
    nobody = row(agent=None, labels=[])
    assert ConversationFilter(agent=NO_AGENT).matches_row(nobody)
    assert not ConversationFilter(agent=7).matches_row(nobody)
    assert not ConversationFilter(labels=(3,)).matches_row(nobody)
