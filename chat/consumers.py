"""The chat's sockets: decode, validate, call a service or selector, send.

``VisitorChatConsumer`` serves a visitor's chat box; ``FrameConsumer`` is what it shares
with the staff console's socket (``console.consumers``). Events from the channel layer all
have the type
``chat.send`` and carry a ready frame (see chat.realtime). What answers one
connection (its message stored, the bot's reply, an error) its consumer sends
itself, never through the channel layer.
"""

from __future__ import annotations

import json
import logging
from importlib import import_module
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from . import (
    batching,
    conf,
    groups,
    languages,
    presence,
    protocol,
    ratelimit,
    selectors,
    services,
    visitor_tokens,
)
from .models import Conversation

logger = logging.getLogger(__name__)

NO_SESSION_CLOSE_CODE = 4001
CLOSED_CLOSE_CODE = 4002
# A visitor token (chat.visitor_tokens) that was forged, altered or has expired: the chat box
# forgets it and starts again without one.
INVALID_TOKEN_CLOSE_CODE = 4003
# A closed chat box asked to listen to the visitor's conversation, and none is open: the page
# stops listening until the visitor opens the box.
NOTHING_TO_RESUME_CLOSE_CODE = 4004
NOTHING_TO_RESUME = object()
# Frames a history replay holds, each with its own "id".
REPLAYED_TYPES = frozenset({"message", "suggestion"})


class FrameConsumer(AsyncWebsocketConsumer):
    """JSON frames in and out; events from the channel layer passed on as they are.

    A connection joins a group before it reads the history it replays, so that
    nothing stored in between is missed; what was stored in between then comes
    twice, in the history and live. ``replayed`` holds the ids the history
    held, and the live copy of those is dropped: each message is shown once.
    """

    replayed: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate_limit = ratelimit.ConnectionRateLimit()

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler, a hop to the
        # database thread for each frame. These consumers touch the database only through
        # database_sync_to_async, which does the same around each of its calls.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def chat_send(self, event: dict) -> None:
        if event.get("shown_by") == self.channel_name:
            return  # this connection was answered with it directly
        frame = event["frame"]
        if self.wanted(frame):
            await self.send_frame(frame)

    def wanted(self, frame: dict[str, Any]) -> bool:
        """Whether a frame broadcast to a group this connection is in is new to it."""
        return not (frame.get("type") in REPLAYED_TYPES and frame.get("id") in self.replayed)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame))

    async def join(self, *names: str) -> None:
        for name in names:
            await self.channel_layer.group_add(name, self.channel_name)
            self.groups.append(name)

    async def join_or_refuse(self, *names: str) -> bool:
        """Join the groups, or close: without the channel layer (Redis down) this socket
        would never hear what others send. The page, which has had no "status" frame
        from it, goes on showing "Reconnecting" and tries again until the layer is back."""
        try:
            await self.join(*names)
        except Exception as error:
            logger.warning(
                "Socket refused, the channel layer failed: %s: %s", type(error).__name__, error
            )
            # A group joined before the failure expires in the layer by itself; discarding
            # it now would only fail the same way.
            self.groups.clear()
            await self.close()
            return False
        return True

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            # The channel layer lost Redis under an open socket, say. Clean up as a close
            # would, so that socket counts and presence stay true, then close the socket as
            # failed: the page reconnects.
            logger.exception("%s failed; its socket is closed", type(self).__name__)
            try:
                await self.disconnect(1011)
            except Exception:
                logger.exception("%s could not clean up after failing", type(self).__name__)
            await send({"type": "websocket.close", "code": 1011})

    async def leave(self, name: str) -> None:
        await self.channel_layer.group_discard(name, self.channel_name)
        self.groups.remove(name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Decode one frame; a bad one is answered with an error and changes nothing."""
        if not await self.rate_limit.allow():
            await self.send_frame(self.rate_limit.refusal(text_data))
            return
        if text_data is None:
            await self.send_frame(
                protocol.error_frame("binary_frame", _("Send frames as JSON text, not binary."))
            )
            return
        try:
            frame = self.decode_frame(
                text_data,
                max_frame_length=conf.get("CHAT_MAX_FRAME_LENGTH"),
                max_text_length=conf.get("CHAT_MAX_MESSAGE_LENGTH"),
            )
        except protocol.ProtocolError as error:
            await self.send_frame(
                protocol.error_frame(error.code, error.detail, client_id=error.client_id)
            )
            return
        await self.handle(frame)

    @staticmethod
    def decode_frame(raw: str, *, max_frame_length: int, max_text_length: int) -> Any:
        raise NotImplementedError

    async def handle(self, frame: Any) -> None:
        raise NotImplementedError


class VisitorChatConsumer(FrameConsumer):
    """The visitor's chat box. It speaks the visitor's language, which its route's
    chat.languages.SocketLanguageMiddleware chose and keeps active for it."""

    conversation_id: int

    async def connect(self) -> None:
        presence.ensure_sweeping()
        self.language = self.scope.get(languages.SCOPE_KEY) or translation.get_language()
        # Accepted at once: a burst of visitors must not wait for the database and the
        # channel layer inside their handshakes (daphne drops handshakes after 5 s). The
        # page counts itself connected only at the "status" frame, which comes last.
        await self.accept()
        query_string = self.scope.get("query_string", b"")
        self.page_info = protocol.decode_page_info(query_string)
        # A chat box on another site names its visitor by a token (chat.visitor_tokens); on
        # the site's own pages the session cookie does.
        token = visitor_tokens.token_in_query(query_string)
        if token is None:
            session_key = self.scope["cookies"].get(settings.SESSION_COOKIE_NAME)
        else:
            try:
                session_key = visitor_tokens.session_key_of(token=token)
            except visitor_tokens.InvalidToken:
                await self.send_frame(
                    protocol.error_frame("invalid_token", visitor_tokens.INVALID_TOKEN_MESSAGE)
                )
                await self.close(code=INVALID_TOKEN_CLOSE_CODE)
                return
        conversation = await database_sync_to_async(self._conversation_open)(session_key)
        if conversation is NOTHING_TO_RESUME:
            await self.close(code=NOTHING_TO_RESUME_CLOSE_CODE)
            return
        if conversation is None:
            await self.send_frame(
                protocol.error_frame(
                    "no_session",
                    _(
                        "Open the chat from a page of the site: the page sets the session "
                        "cookie that finds your conversation."
                    ),
                )
            )
            await self.close(code=NO_SESSION_CLOSE_CODE)
            return
        self.conversation_id = conversation.pk
        # Join before reading the history: a message stored in between then
        # arrives twice rather than never, and ``replayed`` drops the live copy.
        if not await self.join_or_refuse(
            groups.connection_group(self.channel_name),
            groups.conversation_group(self.conversation_id),
            groups.visitors_group(),
        ):
            return  # disconnect() counts the socket off (through __call__ if the layer fails)
        status, history = await database_sync_to_async(self._status_and_history)()
        self.replayed = frozenset(frame["id"] for frame in history)
        await self.send_frame({"type": "status", **status})
        for frame in history:
            await self.send_frame(frame)

    def _conversation_open(self, session_key: str | None) -> Conversation | object | None:
        """The visitor's conversation, opened; None without a live session, and
        NOTHING_TO_RESUME for a closed box (``resume``) whose visitor has no open one.

        The session is read here, in the one hop to the database thread that opens the
        conversation, rather than by a middleware of its own.
        """
        if not session_key:
            return None
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        # A stored session is never empty (the chat box's opening request puts the visitor
        # in it), and one that expired, or never was, loads as nothing.
        if not session.load():
            return None
        conversation = services.conversation_open(
            session_key=session.session_key,
            page=self.page_info.page,
            product_id=self.page_info.product_id,
            language=self.language,
            start=not self.page_info.resume,
        )
        return NOTHING_TO_RESUME if conversation is None else conversation

    def _status_and_history(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return (
            selectors.visitor_status_get(conversation_id=self.conversation_id),
            selectors.conversation_frames(conversation_id=self.conversation_id),
        )

    decode_frame = staticmethod(protocol.decode_visitor_frame)

    async def handle(self, frame: protocol.VisitorFrame) -> None:
        if isinstance(frame, protocol.VisitorMessage):
            await self.post(frame)
            return
        try:
            answer = await database_sync_to_async(self._perform)(frame)
        except services.ChatActionError as error:
            await self.send_frame(protocol.error_frame(error.code, error.detail))
            return
        if answer is not None:
            await self.send_frame(answer)

    def _perform(self, frame: protocol.VisitorFrame) -> dict[str, Any] | None:
        """Carry out a visitor's frame other than a message; the frame that answers this
        socket, if any (the visitor's other tabs hear of it through the channel layer)."""
        conversation_id = self.conversation_id
        match frame:
            case protocol.Typing(active=active):
                services.visitor_typing(conversation_id=conversation_id, active=active)
            case protocol.Read(through=through):
                if services.conversation_read_mark(
                    conversation_id=conversation_id, through=through, channel_name=self.channel_name
                ):
                    return protocol.read_frame(through=through)
            case protocol.End():
                services.conversation_end(conversation_id=conversation_id)
            case protocol.Rate(score=score, comment=comment):
                services.conversation_rate(
                    conversation_id=conversation_id, score=score, comment=comment
                )
        return None

    async def post(self, frame: protocol.VisitorMessage) -> None:
        """Store the visitor's message; answer it with the message as stored and the reply."""
        try:
            post = await batching.visitor_message_post(
                services.VisitorQuestion(
                    conversation_id=self.conversation_id,
                    text=frame.text,
                    client_id=frame.client_id,
                    channel_name=self.channel_name,
                    page=self.page_info.page,
                    product_id=self.page_info.product_id,
                    response_value=frame.value,
                    language=self.language,
                )
            )
        except services.ConversationClosed:
            # Nothing stored: the page keeps the message in its outbox, reconnects
            # (which opens a new conversation) and sends it there.
            await self.send_frame(
                protocol.error_frame(
                    "conversation_closed",
                    _("This chat was closed; your message goes to a new one."),
                    client_id=frame.client_id,
                )
            )
            await self.close(code=CLOSED_CLOSE_CODE)
            return
        await self.send_frame(protocol.message_frame(post.message, for_visitor=True))
        if post.reply is not None:
            await self.send_frame(protocol.message_frame(post.reply, for_visitor=True))
        if post.bot_failed:
            await self.send_frame(
                protocol.error_frame(
                    "bot_unavailable",
                    _("Your message is saved, but the assistant could not answer just now."),
                )
            )

    async def disconnect(self, code: int) -> None:
        # Once, though a consumer that fails is cleaned up after a disconnect too (__call__).
        if hasattr(self, "conversation_id"):
            conversation_id = self.conversation_id
            del self.conversation_id
            await database_sync_to_async(services.conversation_socket_close)(
                conversation_id=conversation_id
            )
