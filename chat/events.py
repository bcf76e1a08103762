"""The one choke point through which the chat announces what it recorded.

Services record a fact, then announce it once: ``publish(event, ...)`` with every event of
that one change. Nothing else announces. Who hears of it subscribes, from its app's
``ready()``:

- ``chat.realtime`` shows it to the sockets that may be listening, after the commit;
- ``botapps.webhooks`` records webhook deliveries for the bot apps, in the same transaction;
- ``chat.notifications`` emails the team of a left message, after the commit;
- ``audit.subscribers`` writes staff's actions (take, transfer, hand back, close) into the
  audit log, in the same transaction.

A subscriber gets all the events of one announcement together, so it can send one
conversation's row to the consoles once however many of its events change it, and ask
once whether any bot app listens for a whole batch of visitors' questions. An error in a
subscriber reaches the service: a delivery that cannot be recorded undoes the change, as
it would if the service recorded it itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .models import LeftMessage, Message, Note, Suggestion


@dataclass(frozen=True)
class Audience:
    """Who may be listening to a conversation besides the connection being answered.

    ``answered`` is that connection's channel name: it shows the frames itself, so it
    drops its copy of a broadcast. ``other_tabs`` is whether the visitor may have
    another socket on the conversation, ``staff`` whether any console is open. When
    in doubt, True: a needless broadcast costs time, a missing one a stale screen.
    """

    answered: str | None = None
    other_tabs: bool = True
    staff: bool = True


EVERYONE = Audience()


class Event:
    """Something the chat recorded."""


@dataclass(frozen=True)
class ConversationStarted(Event):
    """A visitor's new conversation."""

    conversation_id: int
    audience: Audience = EVERYONE


@dataclass(frozen=True)
class ConversationUpdated(Event):
    """What staff see of the conversation in their list changed (the visitor's page, say)."""

    conversation_id: int
    audience: Audience = EVERYONE


@dataclass(frozen=True)
class ConversationChanged(Event):
    """Who answers the conversation changed: its state, its agent, or side-kick mode."""

    conversation_id: int


@dataclass(frozen=True)
class ConversationTaken(ConversationChanged):
    """Someone took the conversation: it is theirs to answer now. ``assigned``: nobody took
    it, auto-assignment gave it to them."""

    agent_id: int
    assigned: bool = False


@dataclass(frozen=True)
class ConversationTransferred(ConversationChanged):
    """The agent ``agent_id`` passed the conversation to the agent ``to_agent_id``."""

    agent_id: int
    to_agent_id: int


@dataclass(frozen=True)
class ConversationHandedBack(ConversationChanged):
    """The agent ``agent_id`` gave the conversation back (to the bot, or to the queue)."""

    agent_id: int


@dataclass(frozen=True)
class ConversationClosed(ConversationChanged):
    """The conversation closed: staff closed it (``agent_id``, who), or the visitor ended it
    (``agent_id`` None)."""

    agent_id: int | None = None


@dataclass(frozen=True)
class ConversationLabelled(Event):
    """An agent put a label on the conversation, or took one off."""

    conversation_id: int


@dataclass(frozen=True)
class LabelsChanged(Event):
    """Staff added, renamed, recoloured or deleted a label (admin): what the consoles offer
    to label and filter by."""


@dataclass(frozen=True)
class ConversationRated(Event):
    """The visitor rated the closed conversation."""

    conversation_id: int


@dataclass(frozen=True)
class VisitorRead(Event):
    """What the visitor has read moved forward, to the message ``through`` (its id, as
    frames carry it): their other tabs stop counting it unread."""

    conversation_id: int
    through: str
    audience: Audience = EVERYONE


@dataclass(frozen=True)
class ConversationPending(Event):
    """The conversation waits for someone to join, and a bot app may be that someone."""

    conversation_id: int


@dataclass(frozen=True)
class NobodyAvailable(Event):
    """Nobody can answer the visitor now: they may leave a message instead."""

    conversation_id: int


@dataclass(frozen=True)
class MessagesCreated(Event):
    """New messages of one conversation, oldest first."""

    messages: tuple[Message, ...]
    audience: Audience = EVERYONE

    @property
    def conversation_id(self) -> int:
        return self.messages[0].conversation_id


@dataclass(frozen=True)
class LeftMessageCreated(Event):
    """A visitor left a message for the team while nobody could chat."""

    left_message: LeftMessage


@dataclass(frozen=True)
class SuggestionCreated(Event):
    """The bot suggested an answer in side-kick mode: for staff only."""

    suggestion: Suggestion


@dataclass(frozen=True)
class NoteCreated(Event):
    """A staff member wrote a private note in a conversation: for staff only. Whoever
    subscribes to events and serves visitors or bot apps has no business with it."""

    note: Note


@dataclass(frozen=True)
class Typing(Event):
    """A typing indicator: the visitor's, to staff; an agent's, to the visitor."""

    conversation_id: int
    to_staff: bool
    frame: dict[str, Any]


@dataclass(frozen=True)
class PresenceChanged(Event):
    """Who of the staff is present, or whether the chat is online, may have changed."""


Subscriber = Callable[[Sequence[Event]], None]

_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Hear of every announcement from now on; subscribing twice changes nothing."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def publish(*events: Event) -> None:
    """Announce the events of one change to every subscriber, in the order they subscribed."""
    if not events:
        return
    for subscriber in list(_subscribers):
        subscriber(events)
