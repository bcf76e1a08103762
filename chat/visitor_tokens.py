"""Visitor tokens: how a chat box embedded on another site keeps its visitor.

On the site's own pages the visitor is their session cookie. A page of another site cannot use
it: browsers block third-party cookies, and its requests to the chat carry none. There the chat
box keeps a token instead (in that page's localStorage) and sends it with each request
(:data:`HEADER`) and when its socket opens (:data:`QUERY_PARAMETER`).

A token is the visitor's session key, signed (django.core.signing, with a salt of its own and a
timestamp): it names one session and cannot be made up or altered without the SECRET_KEY. It
expires SESSION_COOKIE_AGE after it was issued, as a cookie would; the chat box gets a fresh one
each time it opens (/restapi/get-agent-info). A token is exactly as good as the visitor's
session cookie, which holds nothing but their chat; it is only ever issued for a session the
token flow made, never for a session a cookie named (a staff member's, say).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing

#: The request header a token comes in; present and empty: "I have none yet".
HEADER = "X-Chat-Visitor-Token"
#: The socket's query parameter a token comes in.
QUERY_PARAMETER = "token"
#: agent-info's field the chat box reads its (new or refreshed) token from.
RESPONSE_FIELD = "visitor_token"

SALT = "chat.visitor_tokens"

#: What a chat box is told of a token refused (the code is ``invalid_token``).
INVALID_TOKEN_MESSAGE = (
    "This chat's visitor token is not valid (altered, or expired): start again without it."
)


class InvalidToken(Exception):
    """Forged, altered, or expired."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def token_issue(*, session_key: str) -> str:
    return _signer().sign(session_key)


def session_key_of(*, token: str) -> str:
    """The session key a token names; InvalidToken if it was not issued here, was altered, or
    expired."""
    try:
        return _signer().unsign(token, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:  # SignatureExpired included
        raise InvalidToken from None


def token_for_session(*, session: SessionBase) -> str:
    """A fresh token for this session, stored first if it is new (a token must name a key the
    database holds)."""
    if session.session_key is None or session.modified:
        session.save()
        # Saved: the session middleware has nothing left to write.
        session.modified = False
    return token_issue(session_key=session.session_key)


def token_in_query(query_string: bytes) -> str | None:
    """The token a socket's query string carries; None if it carries none (then the cookie
    finds the visitor). Present but empty, it is "", which no session matches."""
    try:
        query = parse_qs(query_string.decode("ascii"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    values = query.get(QUERY_PARAMETER)
    return None if values is None else values[0]
