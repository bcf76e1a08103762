"""The chat's middleware: the visitor's session from a visitor token (VisitorSessionMiddleware,
below), and body limits.

Body limits for form endpoints that answer in JSON, refused in words before anything reads
the body.

Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) or a form of more than
DATA_UPLOAD_MAX_NUMBER_FIELDS fields wherever the body is first read, and for a POST that is
CsrfViewMiddleware looking for the form's token: the client gets a bare "Bad Request (400)"
page. A view marked with :func:`body_limit` gets its own, smaller limit and a JSON answer in
the shape of its form errors instead, as long as :class:`BodyLimitMiddleware` comes before
CsrfViewMiddleware in MIDDLEWARE (view middleware run in that order).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import ngettext

from . import cross_origin, visitor_tokens


def body_limit(limit: Callable[[], int]):
    """Mark a view as taking at most ``limit()`` bytes of body (a callable: settings are read
    per request, never at import time)."""

    def mark(view):
        # functools.wraps copies __dict__, so the mark survives decorators applied above it.
        view.body_limit = limit
        return view

    return mark


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"errors": {NON_FIELD_ERRORS: [{"message": message, "code": code}]}}, status=status
    )


def _too_large(limit: int, size: int | None) -> JsonResponse:
    if size is None:
        message = ngettext(
            "Requests here are limited to %(limit)d byte; this one has more.",
            "Requests here are limited to %(limit)d bytes; this one has more.",
            limit,
        )
    else:
        message = ngettext(
            "Requests here are limited to %(limit)d byte; this one has %(size)d.",
            "Requests here are limited to %(limit)d bytes; this one has %(size)d.",
            limit,
        )
    return _error(413, "too_large", message % {"limit": limit, "size": size})


class BodyLimitMiddleware(MiddlewareMixin):
    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        limit_of = getattr(view_func, "body_limit", None)
        if limit_of is None:
            return None
        limit = limit_of()
        if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None:
            limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return _too_large(limit, declared)  # refused unread
        try:
            # Content-Length may be absent (chunked under ASGI) or understated: count what came.
            size = len(request.body)
            request.POST  # noqa: B018 -- parsed here, so too many fields is answered in words
        except RequestDataTooBig:
            return _too_large(limit, None)
        except TooManyFieldsSent:
            fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return _error(
                400,
                "too_many_fields",
                ngettext(
                    "Forms are limited to %(fields)d field.",
                    "Forms are limited to %(fields)d fields.",
                    fields,
                )
                % {"fields": fields},
            )
        if size > limit:
            return _too_large(limit, size)
        return None


def in_token_flow(request: HttpRequest) -> bool:
    """Whether this request's session came from a visitor token rather than the cookie."""
    return getattr(request, "chat_token_flow", False)


class VisitorSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware (it takes its place in MIDDLEWARE), and the visitor token of a
    chat box embedded on another site (chat.visitor_tokens).

    A request to one of the chat box's endpoints (chat.cross_origin.CROSS_ORIGIN_VIEWS) that
    carries the ``X-Chat-Visitor-Token`` header has the session the token names (a new one if
    the header is empty), never the cookie's: its response sets no cookie, and the view may hand
    the page the token (agent-info does). A forged or expired token is answered 403,
    ``invalid_token``. Every other request is Django's, unchanged.
    """

    def process_request(self, request: HttpRequest):
        token = request.headers.get(visitor_tokens.HEADER)
        if token is None or not cross_origin.is_cross_origin_view(request.path_info):
            return super().process_request(request)
        session_key = None
        if token:
            try:
                session_key = visitor_tokens.session_key_of(token=token)
            except visitor_tokens.InvalidToken:
                return _error(403, "invalid_token", visitor_tokens.INVALID_TOKEN_MESSAGE)
        request.session = self.SessionStore(session_key)
        request.chat_token_flow = True
        # No CSRF check for these requests. CSRF is a foreign page making the browser send our
        # cookie along with a request it forges; this request's identity is the token in its
        # header, not a cookie: it carries no authority a foreign page could borrow (the
        # cookie's session, a staff member's login, is not even read). And a page of another
        # origin cannot send a custom header at all unless our CORS preflight allows it, which
        # only the sites staff listed get, and only for the chat box's endpoints.
        request._dont_enforce_csrf_checks = True
        return None

    def process_response(self, request: HttpRequest, response):
        if not in_token_flow(request):
            return super().process_response(request, response)
        session = request.session
        if session.accessed:
            patch_vary_headers(response, (visitor_tokens.HEADER,))
        if session.modified and not session.is_empty() and response.status_code < 500:
            try:
                session.save()
            except UpdateError:
                raise SessionInterrupted(
                    "The visitor's session was deleted before the request completed."
                ) from None
        return response
