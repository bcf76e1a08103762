"""The visitor's language on the chat socket.

A page tells its socket the language it is shown in (``?lang=de``: the page's
``<html lang>``). A socket opened without it goes by what Django's LocaleMiddleware goes by
for pages: the language cookie (set by the footer's switcher), then the handshake's
Accept-Language. Only languages of LANGUAGES count; otherwise LANGUAGE_CODE.

Everything the socket says while it is open is in that language: error details, the bot's
greeting and answers. The conversation records it too (``Conversation.language``), so that
what staff's actions send the visitor later ("Anna joined") is in it as well.
"""

from __future__ import annotations

from typing import Any

from channels.middleware import BaseMiddleware
from django.http import HttpRequest
from django.utils import translation

from . import protocol

#: Where a socket's scope carries the language chosen for it.
SCOPE_KEY = "language"


def socket_language(*, requested: str, cookies: dict[str, str], accept_language: str) -> str:
    """The language to speak on a socket: the page's (``requested``), else the cookie's or
    Accept-Language's, as for pages; one of LANGUAGES, or LANGUAGE_CODE."""
    if requested:
        try:
            # As Accept-Language is read: any case, "_" or "-" (de-AT, DE_at).
            tag = requested.lower().replace("_", "-")
            return translation.get_supported_language_variant(tag)
        except LookupError:
            pass  # a language the site does not have: as if the page had not said
    # Django's own choice for a request, from the two headers it reads.
    request = HttpRequest()
    request.COOKIES = cookies
    if accept_language:
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return translation.get_language_from_request(request)


def scope_language(scope: dict[str, Any]) -> str:
    """The language of a socket's handshake (its query string, cookies and headers)."""
    page = protocol.decode_page_info(scope.get("query_string", b""))
    headers = scope.get("headers", ())
    accept = b", ".join(value for name, value in headers if name == b"accept-language")
    return socket_language(
        requested=page.language,
        cookies=scope.get("cookies", {}),
        accept_language=accept.decode("latin-1"),
    )


class SocketLanguageMiddleware(BaseMiddleware):
    """Speak the visitor's language for the socket's whole life: its every handler runs with
    it active, and so does what they call in the database thread (asgiref carries the
    context there). Inside channels' CookieMiddleware, whose cookies it reads."""

    async def __call__(self, scope, receive, send):
        language = scope_language(scope)
        with translation.override(language):
            return await super().__call__({**scope, SCOPE_KEY: language}, receive, send)
