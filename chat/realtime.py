"""The one place real-time events leave from: a subscriber of ``chat.events``.

Events are sent after the database transaction that caused them commits, so a
client is never told about a message that is not stored; a rolled-back
transaction sends nothing. Sending is best effort: the change is stored by
then, a failing channel layer is logged, and a client that missed an event
finds the change in the history when it reconnects. Each event carries one
ready frame; the consumers' ``chat_send`` handlers pass it on as it is.

Nothing crosses the channel layer that nobody else would receive: the connection
a service answers gets its own frames from its consumer, directly, and an
``Audience`` tells whether anybody else may be listening (another tab of the
visitor, a staff console). With Redis, that keeps a visitor's question and the
bot's answer off Redis entirely unless someone else watches the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from . import events, groups, protocol, selectors
from .events import EVERYONE, Audience
from .models import Conversation, Message, Note, Suggestion


def _group_send(group: str, event: dict[str, Any]) -> None:
    async_to_sync(get_channel_layer().group_send)(group, event)


def _send_after_commit(group: str, frame: dict[str, Any], *, shown_by: str | None = None) -> None:
    event: dict[str, Any] = {"type": "chat.send", "frame": frame}
    if shown_by:
        event["shown_by"] = shown_by
    # robust: a failing layer must not fail the service whose change is already stored.
    transaction.on_commit(lambda: _group_send(group, event), robust=True)


def publish_message(message: Message, audience: Audience = EVERYONE) -> None:
    """Show a new message to the visitor's tabs and to the staff who have it open."""
    if audience.other_tabs:
        _send_after_commit(
            groups.conversation_group(message.conversation_id),
            protocol.message_frame(message, for_visitor=True),
            shown_by=audience.answered,
        )
    if audience.staff:
        _send_after_commit(
            groups.conversation_staff_group(message.conversation_id),
            {**protocol.message_frame(message), "conversation": message.conversation_id},
        )


def publish_suggestion(suggestion: Suggestion) -> None:
    """Offer the bot's suggested answer to the staff who have the conversation open."""
    _send_after_commit(
        groups.conversation_staff_group(suggestion.conversation_id),
        protocol.suggestion_frame(suggestion),
    )


def publish_note(note: Note) -> None:
    """Show a private note to the staff who have its conversation open, and to nobody else:
    the visitor's group never hears of notes."""
    _send_after_commit(
        groups.conversation_staff_group(note.conversation_id), protocol.note_frame(note)
    )


def publish_conversation(summary: dict[str, Any]) -> None:
    """Update one row of every staff console's conversation list."""
    _send_after_commit(groups.staff_inbox_group(), {"type": "conversation", **summary})


def publish_filter_choices(choices: dict[str, Any]) -> None:
    """What every staff console offers to label and filter by (selectors.filter_choices)."""
    _send_after_commit(groups.staff_inbox_group(), {"type": "filters", **choices})


def publish_visitor_status(conversation_id: int, status: dict[str, Any]) -> None:
    """Tell the visitor's tabs who answers now (and whether anybody can)."""
    _send_after_commit(groups.conversation_group(conversation_id), {"type": "status", **status})


def publish_visitor_read(conversation_id: int, *, through: str, audience: Audience) -> None:
    """Tell the visitor's other tabs what they have read (the reading tab knows it)."""
    if audience.other_tabs:
        _send_after_commit(
            groups.conversation_group(conversation_id),
            protocol.read_frame(through=through),
            shown_by=audience.answered,
        )


def publish_presence(agents: list[dict[str, Any]], *, online: bool, out_of_hours: bool) -> None:
    """Who is present, to staff; whether the chat is online, and whether it is out of business
    hours (people are away), to every visitor."""
    _send_after_commit(groups.staff_inbox_group(), {"type": "presence", "agents": agents})
    _send_after_commit(
        groups.visitors_group(),
        {"type": "online", "online": online, "out_of_hours": out_of_hours},
    )


def _online_forget() -> None:
    """Pages whose box is closed read whether the chat is online from the cache: forget it
    now, and again once the change is committed (a page may have read it in between)."""
    cache.delete(selectors.ONLINE_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(selectors.ONLINE_CACHE_KEY), robust=True)


def publish_typing(conversation_id: int, *, to_staff: bool, frame: dict[str, Any]) -> None:
    """A typing indicator: the visitor's, to staff; an agent's, to the visitor."""
    if to_staff:
        group = groups.conversation_staff_group(conversation_id)
        frame = {**frame, "conversation": conversation_id}
    else:
        group = groups.conversation_group(conversation_id)
    _send_after_commit(group, frame)


def announce(announced: Sequence[events.Event]) -> None:
    """Show one change's events to whoever may be listening: messages, statuses, reads,
    typing, presence and labels in order, then each changed conversation's row to the
    consoles, once."""
    rows: list[int] = []
    # A conversation the announcement changes is read once, for its status and its row.
    read: dict[int, Conversation | None] = {}

    def conversation(conversation_id: int) -> Conversation | None:
        if conversation_id not in read:
            read[conversation_id] = selectors.conversation_get(conversation_id=conversation_id)
        return read[conversation_id]

    for event in announced:
        match event:
            case events.MessagesCreated(messages=messages, audience=audience):
                for message in messages:
                    publish_message(message, audience)
                if audience.staff:
                    rows.append(event.conversation_id)
            case events.ConversationStarted(conversation_id=id_, audience=audience) | (
                events.ConversationUpdated(conversation_id=id_, audience=audience)
            ):
                if audience.staff:
                    rows.append(id_)
            case events.ConversationLabelled(conversation_id=id_):
                rows.append(id_)
            case events.LabelsChanged():
                publish_filter_choices(selectors.filter_choices())
            case (
                events.ConversationChanged(conversation_id=id_)
                | events.ConversationRated(conversation_id=id_)
            ):
                changed = conversation(id_)
                if changed is not None:
                    publish_visitor_status(id_, selectors.visitor_status(conversation=changed))
                rows.append(id_)
            case events.VisitorRead(conversation_id=id_, through=through, audience=audience):
                publish_visitor_read(id_, through=through, audience=audience)
            case events.NobodyAvailable(conversation_id=id_):
                publish_visitor_status(id_, {"leave_message": True})
            case events.SuggestionCreated(suggestion=suggestion):
                publish_suggestion(suggestion)
            case events.NoteCreated(note=note):
                publish_note(note)
            case events.Typing(conversation_id=id_, to_staff=to_staff, frame=frame):
                publish_typing(id_, to_staff=to_staff, frame=frame)
            case events.PresenceChanged():
                publish_presence(
                    selectors.agent_presence(),
                    online=selectors.chat_online(),
                    out_of_hours=selectors.out_of_hours(),
                )
                _online_forget()
    for conversation_id in dict.fromkeys(rows):
        row = conversation(conversation_id)
        if row is not None:
            publish_conversation(selectors.conversation_summary(conversation=row))
