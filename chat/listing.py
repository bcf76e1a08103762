"""What staff ask of the console's conversation list: a filter (labels, state, agent, a
period of last activity, words), and where a page of it starts (a cursor).

The list is ordered by last activity, newest first, ties by id. A page ends at a cursor, its
last row's place in that order, and the next page is what comes after it (keyset paging).
New conversations and new messages only ever go to the top: paging on through older ones
neither repeats nor skips a row, however busy the chat; a conversation that moves to the top
meanwhile reaches the consoles live (console.consumers).

The period is of last activity, the time every row shows and the list is ordered by: "from
Monday to Wednesday" is the conversations whose rows say a time from Monday to Wednesday, and
the period is a stretch of the list's own index (chat.models.Conversation's indexes).

Plain values: chat.protocol decodes them from a frame, chat.selectors makes the query, and
``ConversationFilter.matches_row`` tells whether a conversation's row (as consoles get it)
matches all but the words, without the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .models import Conversation

#: The agent filter's value for conversations nobody holds.
NO_AGENT = "none"
#: The most labels one filter names (a conversation must carry every one).
MAX_LABELS = 10
#: The most characters of a search, and the most words of it that count.
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_TERMS = 8
STATES = frozenset(Conversation.State.values)

# A term must hold a letter or a digit to be looked for; what stands around one is left off
# ("refund?", "(hoodie)").
_WORD_CHARACTER = re.compile(r"[^\W_]")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def search_terms(search: str) -> tuple[str, ...]:
    """The words of a search, each looked for on its own: every one must be in the
    conversation, in any of its messages. Words are what white space separates."""
    terms: dict[str, str] = {}
    for word in search.split():
        term = _EDGES.sub("", word)
        if _WORD_CHARACTER.search(term):
            terms.setdefault(term.casefold(), term)
    return tuple(terms.values())[:MAX_SEARCH_TERMS]


@dataclass(frozen=True)
class ConversationFilter:
    """Which conversations the console lists: all of what is given must hold.

    ``labels``: it carries every one of them; ``state``: one of Conversation.State;
    ``agent``: the user who holds it, or NO_AGENT; ``since`` (inclusive) and ``until``
    (exclusive): its last activity; ``search``: words of its messages (``search_terms``).
    """

    labels: tuple[int, ...] = ()
    state: str | None = None
    agent: int | Literal["none"] | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""

    @property
    def terms(self) -> tuple[str, ...]:
        return search_terms(self.search)

    def as_frame(self) -> dict[str, Any]:
        """The filter as frames carry it: only what is set."""
        frame: dict[str, Any] = {}
        if self.labels:
            frame["labels"] = list(self.labels)
        if self.state:
            frame["state"] = self.state
        if self.agent is not None:
            frame["agent"] = self.agent
        if self.since:
            frame["since"] = self.since.isoformat()
        if self.until:
            frame["until"] = self.until.isoformat()
        if self.search:
            frame["search"] = self.search
        return frame

    def matches_row(self, row: dict[str, Any]) -> bool:
        """Whether a conversation's row (chat.selectors.conversation_summary) passes the
        labels, state, agent and period; the words need the database."""
        if self.state and row.get("state") != self.state:
            return False
        agent = row.get("agent")
        if self.agent == NO_AGENT and agent is not None:
            return False
        if isinstance(self.agent, int) and (agent is None or agent.get("id") != self.agent):
            return False
        if self.labels and not set(self.labels) <= {label["id"] for label in row["labels"]}:
            return False
        if self.since or self.until:
            last = datetime.fromisoformat(row["last_message_at"])
            if (self.since and last < self.since) or (self.until and last >= self.until):
                return False
        return True


#: No filter: every conversation.
EVERYTHING = ConversationFilter()

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CURSOR = re.compile(r"(-?[0-9]{1,20})\.([1-9][0-9]{0,18})")


@dataclass(frozen=True)
class Cursor:
    """A row's place in the list's order: its last activity, then its id. As text,
    "<microseconds since 1970>.<id>": exact, whatever the database's own time format."""

    last_message_at: datetime
    id: int

    @classmethod
    def of(cls, conversation: Conversation) -> Cursor:
        return cls(conversation.last_message_at, conversation.pk)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor ``str(cursor)`` wrote; ValueError for anything else."""
        match = _CURSOR.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a cursor: {str(text)[:40]!r}")
        try:
            at = _EPOCH + int(match[1]) * _MICROSECOND
        except OverflowError:
            at = None
        if at is None or int(match[2]) >= 2**63:
            raise ValueError(f"not a cursor: {text[:40]!r}")
        return cls(at, int(match[2]))

    def __str__(self) -> str:
        return f"{(self.last_message_at - _EPOCH) // _MICROSECOND}.{self.id}"
