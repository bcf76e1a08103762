"""What the other sites staff allow to embed the chat box (ChatSettings, "allowed origins")
may do, and nothing more:

- open the chat box's socket: :class:`ChatBoxOriginValidator` accepts the site's own pages
  (``ALLOWED_HOSTS``, as before) or exactly a listed origin (chatsite/asgi.py); the staff
  console's socket stays the site's own;
- call the chat box's HTTP endpoints (:data:`CROSS_ORIGIN_VIEWS`) from their scripts: CORS,
  by django-cors-headers asking :func:`cors_allows`; no other page of the site answers them.
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from . import selectors
from .origins import request_origin

#: The chat box's HTTP endpoints, by URL name: those another site's page calls when the chat is
#: embedded there, so the only ones CORS opens to the listed origins and the only ones that
#: take a visitor token (chat.middleware.VisitorSessionMiddleware).
CROSS_ORIGIN_VIEWS = frozenset(
    {
        "chat:agent_info",
        "chat:chat_status",
        "chat:leave_message",
        "chat:transcript",
        "chat:widget",
    }
)


def is_allowed_origin(origin: str | None) -> bool:
    """Whether staff listed this ``Origin`` header's origin as one that may embed the chat
    (a cached read)."""
    normalized = request_origin(origin)
    return normalized is not None and normalized in selectors.chat_box_settings().allowed_origins


def is_cross_origin_view(path_info: str) -> bool:
    """Whether a path is one of the chat box's endpoints that other sites' pages may call."""
    try:
        match = resolve(path_info)
    except Resolver404:
        return False
    return match.view_name in CROSS_ORIGIN_VIEWS


def cors_allows(*, request: HttpRequest) -> bool:
    """django-cors-headers' ``check_request_enabled``: a listed origin calling one of the chat
    box's endpoints. django-cors-headers asks it both whether CORS applies to the path and
    whether the origin is allowed, so both are checked here: a listed origin gets nothing
    from any other page of the site."""
    origin = request.headers.get("Origin")
    return bool(origin) and is_cross_origin_view(request.path_info) and is_allowed_origin(origin)


def _origin_header(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin1")
    return None


class ChatBoxOriginValidator:
    """The chat box's socket: a handshake from the site's own pages (``ALLOWED_HOSTS``, as
    channels' AllowedHostsOriginValidator decides) or from an origin staff listed; any other
    is refused at the handshake, as before.

    The listed origins are read (from the cache, else the database) only for a handshake the
    site's own hosts did not pass: the site's pages cost no hop to the database thread.
    """

    def __init__(self, application) -> None:
        self.application = application
        self.site = AllowedHostsOriginValidator(application)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("ChatBoxOriginValidator only guards WebSocket connections.")
        origin = _origin_header(scope)
        try:
            parsed = urlparse(origin) if origin is not None else None
        except ValueError:  # an unclosed IPv6 bracket, say
            parsed = None
        if self.site.valid_origin(parsed) or (
            origin is not None and await database_sync_to_async(is_allowed_origin)(origin)
        ):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
