"""Body limits for form endpoints that answer in JSON, refused in words before anything reads
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
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import ngettext


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
