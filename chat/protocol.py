"""The chat's frame protocol: JSON objects, one per WebSocket frame.

Visitor to server::

    {"type": "message", "text": "...", "client_id": "<id made by the client>", "value": "..."}
    {"type": "typing", "active": true}
    {"type": "read", "through": "<a message's id>"}
    {"type": "end"}
    {"type": "rate", "score": 1..5, "comment": "..."}

``value`` (optional) is the value of the quick-reply button the visitor pressed;
``text`` is then the button's label. ``read`` says the visitor has read the conversation up
to that message; ``end`` closes the chat; ``rate`` rates a closed one (``comment`` optional).

Staff console to server: see :data:`AGENT_ACTIONS` and :func:`decode_agent_frame`.

Server to both: ``message`` frames (see :func:`message_frame`) and ``error``
frames ``{"type": "error", "code": "...", "detail": "..."}``; the README lists
the rest. Decoding is plain Python, so every bad-input case is testable
without a socket.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import listing

CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
PAGE_PATTERN = re.compile(r"/(?!/)[\x21-\x7e]{0,299}")
PRODUCT_ID_PATTERN = re.compile(r"[1-9][0-9]{0,17}")
#: A language tag as pages write it (``de``, ``es-419``, ``pt_BR``); chat.languages decides
#: whether the site speaks it.
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
#: A quick-reply value's most characters: what Message.response_value holds.
MAX_VALUE_LENGTH = 200
#: What a bot app's message may carry (the API refuses more); more would only crowd a page.
MAX_ATTACHMENTS = 5
MAX_ACTIONS = 10
# C0 and C1 control characters and DEL: a value is an identifier for the bot, never layout.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ProtocolError(Exception):
    def __init__(self, code: str, detail: str, *, client_id: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.client_id = client_id


@dataclass(frozen=True)
class VisitorMessage:
    text: str
    client_id: str | None
    # The pressed quick-reply button's value; None for a typed message.
    value: str | None = None


@dataclass(frozen=True)
class Typing:
    active: bool


@dataclass(frozen=True)
class Read:
    """The visitor has read the conversation up to this message (its id, as frames carry it)."""

    through: str


@dataclass(frozen=True)
class End:
    """The visitor ends the chat."""


@dataclass(frozen=True)
class Rate:
    """The visitor rates the closed chat: ``score`` 1 to 5, and an optional comment."""

    score: int
    comment: str = ""


VisitorFrame = VisitorMessage | Typing | Read | End | Rate

#: The most characters of a rating's comment: what Conversation.rating_comment holds.
MAX_COMMENT_LENGTH = 1000
#: The scores a rating may give, worst first.
SCORES = range(1, 6)


def decode_visitor_frame(raw: str, *, max_frame_length: int, max_text_length: int) -> VisitorFrame:
    """Parse and validate one frame from a visitor, or raise ProtocolError."""
    data = _decode_object(raw, max_frame_length=max_frame_length)
    client_id = _client_id(data)
    frame_type = data.get("type")
    if frame_type == "typing":
        return Typing(active=_active(data))
    if frame_type == "read":
        return Read(through=_message_id(data, "through", client_id=client_id))
    if frame_type == "end":
        return End()
    if frame_type == "rate":
        return Rate(
            score=_score(data, client_id=client_id), comment=_comment(data, client_id=client_id)
        )
    if frame_type != "message":
        raise ProtocolError(
            "unknown_type",
            _(
                'Unknown frame type %(type)s: send type "message", "typing", "read", "end" '
                'or "rate".'
            )
            % {"type": repr(str(frame_type)[:40])},
            client_id=client_id,
        )
    text = _text(data, max_text_length=max_text_length, client_id=client_id)
    return VisitorMessage(text=text, client_id=client_id, value=_value(data, client_id=client_id))


#: What a staff console may ask, and the fields each needs besides "conversation".
AGENT_ACTIONS = {
    "open": (),
    "take": (),
    "message": ("text",),
    "typing": ("active",),
    "hand_back": (),
    "transfer": ("agent",),
    "close": (),
    "sidekick": ("active",),
    "accepting": ("active",),
    "heartbeat": (),
    # A private note in the conversation, for staff only (any agent, whoever answers it).
    "note": ("text",),
    # The console showed the agent the conversation up to its visitor's n-th message: the
    # console's unread count of it starts after that one.
    "seen": ("visitor_messages",),
    "label": ("label", "active"),
    "list": (),
}
# Actions about the agent or their console, not about one conversation.
AGENT_SELF_ACTIONS = frozenset({"accepting", "heartbeat", "list"})


@dataclass(frozen=True)
class AgentCommand:
    action: str
    conversation_id: int | None = None
    text: str = ""
    client_id: str | None = None
    active: bool = False
    agent_id: int | None = None
    suggestion: str | None = None
    visitor_messages: int = 0
    label_id: int | None = None
    # "list": which conversations, and the cursor of the page before the one asked for.
    list_filter: listing.ConversationFilter = listing.EVERYTHING
    after: listing.Cursor | None = None


def decode_agent_frame(raw: str, *, max_frame_length: int, max_text_length: int) -> AgentCommand:
    """Parse and validate one frame from a staff console, or raise ProtocolError."""
    data = _decode_object(raw, max_frame_length=max_frame_length)
    client_id = _client_id(data)
    action = data.get("type")
    # Not `in` alone: a list or an object as the type is unhashable.
    if not isinstance(action, str) or action not in AGENT_ACTIONS:
        raise ProtocolError(
            "unknown_type",
            _("Unknown frame type %(type)s: send one of %(types)s.")
            % {"type": repr(str(action)[:40]), "types": ", ".join(AGENT_ACTIONS)},
            client_id=client_id,
        )
    conversation_id = None
    if action not in AGENT_SELF_ACTIONS:
        conversation_id = _positive_id(data, "conversation", client_id=client_id)
    fields = AGENT_ACTIONS[action]
    suggestion = data.get("suggestion")
    if suggestion is not None and not (isinstance(suggestion, str) and UUID.fullmatch(suggestion)):
        raise ProtocolError(
            "invalid_suggestion", _("suggestion must be a suggestion's id."), client_id=client_id
        )
    return AgentCommand(
        action=action,
        conversation_id=conversation_id,
        text=(
            _text(data, max_text_length=max_text_length, client_id=client_id)
            if "text" in fields
            else ""
        ),
        client_id=client_id,
        active=_active(data) if "active" in fields else False,
        agent_id=(_positive_id(data, "agent", client_id=client_id) if "agent" in fields else None),
        suggestion=suggestion if action == "message" else None,
        visitor_messages=(
            _count(data, "visitor_messages", client_id=client_id)
            if "visitor_messages" in fields
            else 0
        ),
        label_id=(_positive_id(data, "label", client_id=client_id) if "label" in fields else None),
        **(_list_request(data, client_id=client_id) if action == "list" else {}),
    )


# --- the console's list: {"type": "list", "filter": {...}, "after": "<cursor>"} ---------------

FILTER_FIELDS = ("labels", "state", "agent", "since", "until", "search")


def _list_request(data: dict[str, Any], *, client_id: str | None) -> dict[str, Any]:
    """The filter and the cursor of a "list" frame (staff only: the words are English)."""
    raw = data.get("filter")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ProtocolError("invalid_filter", "filter must be an object.", client_id=client_id)
    unknown = sorted(str(key)[:40] for key in raw if key not in FILTER_FIELDS)
    if unknown:
        raise ProtocolError(
            "invalid_filter",
            f"Unknown filter field {unknown[0]!r}: give {', '.join(FILTER_FIELDS)}.",
            client_id=client_id,
        )

    def refuse(detail: str) -> ProtocolError:
        return ProtocolError("invalid_filter", detail, client_id=client_id)

    # null is as good as leaving a field out.
    labels = raw.get("labels") if raw.get("labels") is not None else []
    if not isinstance(labels, list) or not all(_is_id(label) for label in labels):
        raise refuse("labels must be a list of labels' ids.")
    if len(set(labels)) > listing.MAX_LABELS:
        raise refuse(f"A filter names at most {listing.MAX_LABELS} labels.")
    state = raw.get("state")
    if state is not None and state not in listing.STATES:
        raise refuse(f"state must be one of {', '.join(sorted(listing.STATES))}.")
    agent = raw.get("agent")
    if agent is not None and agent != listing.NO_AGENT and not _is_id(agent):
        raise refuse(f'agent must be a user\'s id, or "{listing.NO_AGENT}" for nobody.')
    since, until = _moment(raw, "since", refuse), _moment(raw, "until", refuse)
    if since and until and since >= until:
        raise refuse("since must come before until.")
    search = raw.get("search") if raw.get("search") is not None else ""
    if not isinstance(search, str) or "\x00" in search or not _encodes_as_utf8(search):
        raise refuse("search must be text.")
    search = " ".join(search.split())
    if len(search) > listing.MAX_SEARCH_LENGTH:
        raise refuse(
            f"A search is limited to {listing.MAX_SEARCH_LENGTH} characters; "
            f"this one has {len(search)}."
        )
    if search and not listing.search_terms(search):
        raise refuse("The search holds no word to look for: give letters or digits.")
    after = data.get("after")
    if after is not None:
        try:
            after = listing.Cursor.parse(after)
        except ValueError:
            raise ProtocolError(
                "invalid_cursor",
                'after must be the "next" of a conversations frame.',
                client_id=client_id,
            ) from None
    return {
        "list_filter": listing.ConversationFilter(
            labels=tuple(sorted(set(labels))),
            state=state,
            agent=agent,
            since=since,
            until=until,
            search=search,
        ),
        "after": after,
    }


def _is_id(value: Any) -> bool:
    # bool is an int to Python, not an id to anybody.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _moment(
    raw: dict[str, Any], field: str, refuse: Callable[[str], ProtocolError]
) -> datetime | None:
    """An ISO 8601 date and time with its offset from UTC (the console sends the agent's
    midnights, in their time zone)."""
    value = raw.get(field)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise refuse(f"{field} must be an ISO 8601 date and time with its offset from UTC.")
    return moment


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _decode_object(raw: str, *, max_frame_length: int) -> dict[str, Any]:
    if len(raw) > max_frame_length:
        raise ProtocolError(
            "frame_too_large",
            ngettext(
                "A frame may hold at most %(limit)d character.",
                "A frame may hold at most %(limit)d characters.",
                max_frame_length,
            )
            % {"limit": max_frame_length},
        )
    try:
        data = json.loads(raw)
    except ValueError:
        raise ProtocolError("invalid_json", _("The frame is not valid JSON.")) from None
    except RecursionError:
        # A short frame of nested brackets can outrun the parser's recursion limit.
        raise ProtocolError("invalid_frame", _("The frame is nested too deeply.")) from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_frame", _("A frame must be a JSON object."))
    return data


def _client_id(data: dict[str, Any]) -> str | None:
    client_id = data.get("client_id")
    if client_id is not None and not (
        isinstance(client_id, str) and CLIENT_ID_PATTERN.fullmatch(client_id)
    ):
        raise ProtocolError(
            "invalid_client_id",
            _("client_id must be 1 to 64 letters, digits, '_', '-', '.' or ':'."),
        )
    return client_id


def client_id_of(raw: str | bytes | None, *, max_frame_length: int) -> str | None:
    """The valid client_id of a frame that is not decoded otherwise (one refused
    unread), or None; never raises."""
    if not isinstance(raw, str) or len(raw) > max_frame_length:
        return None
    try:
        data = json.loads(raw)
        return _client_id(data) if isinstance(data, dict) else None
    except (ValueError, RecursionError, ProtocolError):
        return None


def _active(data: dict[str, Any]) -> bool:
    active = data.get("active")
    if not isinstance(active, bool):
        raise ProtocolError("invalid_frame", _("active must be true or false."))
    return active


def _positive_id(data: dict[str, Any], field: str, *, client_id: str | None) -> int:
    value = data.get(field)
    # bool is an int to Python, not an id to anybody.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ProtocolError(
            "invalid_frame",
            _("%(field)s must be a positive whole number.") % {"field": field},
            client_id=client_id,
        )
    return value


def _count(data: dict[str, Any], field: str, *, client_id: str | None) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ProtocolError(
            "invalid_frame",
            f"{field} must be a whole number, 0 or more.",
            client_id=client_id,
        )
    return value


def _message_id(data: dict[str, Any], field: str, *, client_id: str | None) -> str:
    value = data.get(field)
    if not (isinstance(value, str) and UUID.fullmatch(value)):
        raise ProtocolError(
            "invalid_message_id",
            f'{field} must be a message\'s id (the "id" of a message frame).',
            client_id=client_id,
        )
    return value


def _score(data: dict[str, Any], *, client_id: str | None) -> int:
    score = data.get("score")
    # bool is an int to Python, not a score to anybody.
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise ProtocolError(
            "invalid_score",
            f"score must be a whole number from {SCORES[0]} to {SCORES[-1]}.",
            client_id=client_id,
        )
    return score


def _comment(data: dict[str, Any], *, client_id: str | None) -> str:
    """The rating's comment, trimmed; "" when there is none."""
    comment = data.get("comment")
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise ProtocolError("invalid_comment", "comment must be a string.", client_id=client_id)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ProtocolError(
            "comment_too_long",
            f"Comments are limited to {MAX_COMMENT_LENGTH} characters; "
            f"this one has {len(comment)}.",
            client_id=client_id,
        )
    if "\x00" in comment or not _encodes_as_utf8(comment):
        raise ProtocolError(
            "invalid_comment",
            "comment holds characters that cannot be stored.",
            client_id=client_id,
        )
    return comment


def _text(data: dict[str, Any], *, max_text_length: int, client_id: str | None) -> str:
    text = data.get("text")
    if not isinstance(text, str):
        raise ProtocolError("invalid_text", _("text must be a string."), client_id=client_id)
    text = text.strip()
    if not text:
        raise ProtocolError("empty_text", _("Type a message before sending."), client_id=client_id)
    if len(text) > max_text_length:
        raise ProtocolError(
            "text_too_long",
            # The same words as the "leave a message" form's (chat.forms).
            ngettext(
                "Messages are limited to %(limit_value)d character; this one has %(show_value)d.",
                "Messages are limited to %(limit_value)d characters; this one has %(show_value)d.",
                max_text_length,
            )
            % {"limit_value": max_text_length, "show_value": len(text)},
            client_id=client_id,
        )
    if "\x00" in text or not _encodes_as_utf8(text):
        raise ProtocolError(
            "invalid_text", _("text holds characters that cannot be stored."), client_id=client_id
        )
    return text


def _value(data: dict[str, Any], *, client_id: str | None) -> str | None:
    value = data.get("value")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError("invalid_value", _("value must be a string."), client_id=client_id)
    if not 0 < len(value) <= MAX_VALUE_LENGTH:
        raise ProtocolError(
            "invalid_value",
            ngettext(
                "value must be 1 to %(limit)d character long; this one has %(length)d.",
                "value must be 1 to %(limit)d characters long; this one has %(length)d.",
                MAX_VALUE_LENGTH,
            )
            % {"limit": MAX_VALUE_LENGTH, "length": len(value)},
            client_id=client_id,
        )
    if CONTROL_CHARACTERS.search(value) or not _encodes_as_utf8(value):
        raise ProtocolError(
            "invalid_value",
            _("value holds control characters or characters that cannot be stored."),
            client_id=client_id,
        )
    return value


@dataclass(frozen=True)
class PageInfo:
    """The page a socket was opened from: ``/ws/chat/?page=/products/x/&product=3&lang=de``.

    ``resume`` (``&resume=1``) is a page whose chat box is closed listening for replies to
    the visitor's conversation: it finds the open one, never starts one.
    """

    page: str = ""
    product_id: int | None = None
    #: The language the page is shown in (its ``<html lang>``), as the page wrote it.
    language: str = ""
    resume: bool = False


def decode_page_info(query_string: bytes) -> PageInfo:
    """The page and product the socket's query string names; what is malformed is left out.

    They only give the bot context, so a bad value is dropped rather than refused.
    """
    try:
        query = parse_qs(query_string.decode("ascii"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return PageInfo()
    page = (query.get("page") or [""])[0]
    product = (query.get("product") or [""])[0]
    language = (query.get("lang") or [""])[0]
    return PageInfo(
        page=page if PAGE_PATTERN.fullmatch(page) else "",
        product_id=int(product) if PRODUCT_ID_PATTERN.fullmatch(product) else None,
        resume=(query.get("resume") or [""])[0] == "1",
        language=language if LANGUAGE_PATTERN.fullmatch(language) else "",
    )


def _encodes_as_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which JSON escapes allow
        return False
    return True


def message_frame(message: Any, *, for_visitor: bool = False) -> dict[str, Any]:
    """The frame for a stored chat.models.Message.

    ``client_id`` lets the sender's page recognise its own message; a visitor is
    not shown the ids of other senders' messages (an agent's console's ids).
    ``attachments`` (a bot app's buttons) and ``response_value`` (the button a
    visitor pressed) are there only when the message has them: most messages have
    neither, and every frame of a history replay would otherwise carry both.
    """
    sender = {"role": message.sender_role, "name": message.sender_name}
    if message.sender_title:
        sender["title"] = message.sender_title
    frame: dict[str, Any] = {
        "type": "message",
        "id": str(message.uid),
        "sender": sender,
        "text": message.text,
        "sent_at": message.sent_at.isoformat(),
        "client_id": (
            message.client_id if not for_visitor or message.sender_role == "visitor" else None
        ),
    }
    # getattr: messages made by hand rather than loaded (tests, stand-ins) may lack both.
    attachments = getattr(message, "attachments", None)
    if isinstance(attachments, list) and attachments:
        frame["attachments"] = attachments
    response_value = getattr(message, "response_value", None)
    if response_value:
        frame["response_value"] = response_value
    return frame


def conversations_frame(
    *,
    conversations: list[dict[str, Any]],
    conversation_filter: listing.ConversationFilter,
    after: listing.Cursor | None,
    next_page: listing.Cursor | None,
    client_id: str | None = None,
) -> dict[str, Any]:
    """A page of the console's list: ``after`` None for its first page (which replaces the
    list), else the cursor it continues from; ``next`` the cursor of the page after it, None at
    the end. ``client_id`` is the "list" frame's it answers."""
    frame: dict[str, Any] = {
        "type": "conversations",
        "filter": conversation_filter.as_frame(),
        "after": None if after is None else str(after),
        "next": None if next_page is None else str(next_page),
        "conversations": conversations,
    }
    if client_id is not None:
        frame["client_id"] = client_id
    return frame


def error_frame(code: str, detail: str, *, client_id: str | None = None) -> dict[str, Any]:
    frame = {"type": "error", "code": code, "detail": detail}
    if client_id is not None:
        frame["client_id"] = client_id
    return frame


def suggestion_frame(suggestion: Any) -> dict[str, Any]:
    """The frame for a chat.models.Suggestion (staff only)."""
    return {
        "type": "suggestion",
        "conversation": suggestion.conversation_id,
        "id": str(suggestion.uid),
        "text": suggestion.text,
        "question": str(suggestion.question.uid),
    }


def note_frame(note: Any) -> dict[str, Any]:
    """The frame for a chat.models.Note (staff only): who wrote it, when, and what."""
    return {
        "type": "note",
        "conversation": note.conversation_id,
        "id": str(note.uid),
        "author": {"id": note.author_id, "name": note.author_name},
        "text": note.text,
        "created_at": note.created_at.isoformat(),
        "client_id": note.client_id,
    }


def read_frame(*, through: str) -> dict[str, Any]:
    """The visitor has read their conversation up to the message ``through`` (its id)."""
    return {"type": "read", "through": through}


def typing_frame(*, active: bool, sender: dict[str, str] | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "typing", "active": active}
    if sender is not None:
        frame["sender"] = sender
    return frame
