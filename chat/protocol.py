"""The chat's frame protocol: JSON objects, one per WebSocket frame.

Visitor to server::

    {"type": "message", "text": "...", "client_id": "<id made by the client>"}

Server to visitor: ``message`` frames (see :func:`message_frame`) and
``error`` frames ``{"type": "error", "code": "...", "detail": "..."}``.
Decoding is plain Python, so every bad-input case is testable without a socket.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
PAGE_PATTERN = re.compile(r"/(?!/)[\x21-\x7e]{0,299}")
PRODUCT_ID_PATTERN = re.compile(r"[1-9][0-9]{0,17}")


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


def decode_visitor_frame(
    raw: str, *, max_frame_length: int, max_text_length: int
) -> VisitorMessage:
    """Parse and validate one frame from a visitor, or raise ProtocolError."""
    if len(raw) > max_frame_length:
        raise ProtocolError(
            "frame_too_large", f"A frame may hold at most {max_frame_length} characters."
        )
    try:
        data = json.loads(raw)
    except ValueError:
        raise ProtocolError("invalid_json", "The frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_frame", "A frame must be a JSON object.")

    client_id = data.get("client_id")
    if client_id is not None and not (
        isinstance(client_id, str) and CLIENT_ID_PATTERN.fullmatch(client_id)
    ):
        raise ProtocolError(
            "invalid_client_id",
            "client_id must be 1 to 64 letters, digits, '_', '-', '.' or ':'.",
        )

    frame_type = data.get("type")
    if frame_type != "message":
        raise ProtocolError(
            "unknown_type",
            f'Unknown frame type {str(frame_type)[:40]!r}: send type "message".',
            client_id=client_id,
        )

    text = data.get("text")
    if not isinstance(text, str):
        raise ProtocolError("invalid_text", "text must be a string.", client_id=client_id)
    text = text.strip()
    if not text:
        raise ProtocolError("empty_text", "Type a message before sending.", client_id=client_id)
    if len(text) > max_text_length:
        raise ProtocolError(
            "text_too_long",
            f"Messages are limited to {max_text_length} characters; this one has {len(text)}.",
            client_id=client_id,
        )
    if "\x00" in text or not _encodes_as_utf8(text):
        raise ProtocolError(
            "invalid_text", "text holds characters that cannot be stored.", client_id=client_id
        )
    return VisitorMessage(text=text, client_id=client_id)


@dataclass(frozen=True)
class PageInfo:
    """The page a socket was opened from: ``/ws/chat/?page=/products/x/&product=3``."""

    page: str = ""
    product_id: int | None = None


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
    return PageInfo(
        page=page if PAGE_PATTERN.fullmatch(page) else "",
        product_id=int(product) if PRODUCT_ID_PATTERN.fullmatch(product) else None,
    )


def _encodes_as_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which JSON escapes allow
        return False
    return True


def message_frame(message: Any) -> dict[str, Any]:
    """The frame for a stored chat.models.Message."""
    sender = {"role": message.sender_role, "name": message.sender_name}
    if message.sender_title:
        sender["title"] = message.sender_title
    return {
        "type": "message",
        "id": str(message.uid),
        "sender": sender,
        "text": message.text,
        "sent_at": message.sent_at.isoformat(),
        "client_id": message.client_id,
    }


def error_frame(code: str, detail: str, *, client_id: str | None = None) -> dict[str, Any]:
    frame = {"type": "error", "code": code, "detail": detail}
    if client_id is not None:
        frame["client_id"] = client_id
    return frame
