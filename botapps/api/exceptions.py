"""Every error the API gives, in one shape: ``{"code": ..., "detail": <a sentence>}``, plus
``"fields"`` (messages by field) for a request that is not valid (code "invalid").

The services' refusals (chat.chat_services.ChatActionError) keep their code and sentence; the
status says what kind of refusal it is: 404 for what the bot cannot have (including a
conversation someone else joined first: the bot learns only that it is not for it), 409 for what the
conversation's state does not allow now.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from chat import services as chat_services

from .. import services

NOT_FOUND_ERRORS: tuple[type[chat_services.ChatActionError], ...] = (
    chat_services.ConversationTaken,
    chat_services.ConversationNotFound,
    services.ClientNotFound,
)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The body is too large."


def action_error_status(exc: chat_services.ChatActionError) -> int:
    if isinstance(exc, NOT_FOUND_ERRORS):
        return status.HTTP_404_NOT_FOUND
    return status.HTTP_409_CONFLICT


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, chat_services.ChatActionError):
        set_rollback()
        return Response({"code": exc.code, "detail": exc.detail}, status=action_error_status(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            f"A body may hold at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("There is no such resource.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500, logged

    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, exceptions.Throttled):
        seconds = max(1, math.ceil(exc.wait)) if exc.wait is not None else 1
        headers["Retry-After"] = str(seconds)
        body = {
            "code": "throttled",
            "detail": f"Too many requests from this bot app: try again in {seconds} s.",
        }
    elif isinstance(exc, exceptions.ValidationError):
        fields = errors_by_field(exc.detail)
        body = {"code": "invalid", "detail": _validation_sentence(fields), "fields": fields}
    else:
        body = {"code": _code(exc), "detail": _sentence(exc)}
        if exc.status_code == status.HTTP_400_BAD_REQUEST:
            # Every 400 has the same shape, so that a bot reads "fields" without looking first.
            body["fields"] = {}
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def _code(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.PermissionDenied):
        return "forbidden"
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _sentence(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "Send the body as JSON, with the header Content-Type: application/json."
    detail = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    return str(detail)


def errors_by_field(detail: Any) -> dict[str, list[str]]:
    """DRF's nested errors flattened to dotted paths: {"attachments.0.actions.1.link": [...]};
    errors of an object as a whole go under its own path (the body's: "non_field_errors")."""
    errors: dict[str, list[str]] = {}
    whole = api_settings.NON_FIELD_ERRORS_KEY

    def join(path: str, name: str) -> str:
        return f"{path}.{name}" if path else name

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                key = str(key)
                walk(value, path if key == whole else join(path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, dict | list):
                    # Errors of a list's items, by position (valid items are {}).
                    walk(item, join(path, str(index)))
                else:
                    errors.setdefault(path or whole, []).append(str(item))
        else:
            errors.setdefault(path or whole, []).append(str(node))

    walk(detail, "")
    return errors


def _validation_sentence(fields: dict[str, list[str]]) -> str:
    if not fields:
        return "The request is not valid."
    name, messages = next(iter(fields.items()))
    first = messages[0] if messages else "not valid"
    where = "" if name == api_settings.NON_FIELD_ERRORS_KEY else f"{name}: "
    more = len(fields) - 1
    rest = f" (and {more} more: see fields)" if more else ""
    return f"{where}{first}{rest}"
