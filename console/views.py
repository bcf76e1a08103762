"""The console's page, and the canned responses its scripts read and edit (JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from chat import selectors as chat_selectors

from . import selectors, services

CANNED_FIELDS = ("shortcut", "title", "text")


@staff_member_required
@never_cache
def staff_console(request: HttpRequest) -> HttpResponse:
    """The agents' console; its socket (console.routing) does the rest."""
    if not chat_selectors.user_can_chat(request.user):
        raise PermissionDenied("You do not have the permission to chat with visitors.")
    left = chat_selectors.left_messages()[:50]
    return render(request, "console/console.html", {"left_messages": left})


# --- canned responses -------------------------------------------------------------------------
#
#   GET    /staff/canned/       200 {"responses": [response...], "can": {"add", "change",
#                               "delete": bool}, "fallbacks": {"visitor_name": str}}
#   POST   /staff/canned/       {"shortcut", "title", "text"}: 201 {"response": response}
#   PUT    /staff/canned/<id>/  the same fields: 200 {"response": response}
#   DELETE /staff/canned/<id>/  204
#
# A response is {"id", "shortcut", "title", "text", "parts"} (console.selectors). Refusals:
# 400 {"errors": {field or "__all__": [message...]}}, 403 and 404 {"detail": message}.


def _agents_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff who may chat, else 403 in JSON (a script reads it, not a person at a login)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not chat_selectors.user_can_chat(request.user):
            return _refused(403, "Log in as staff with the permission to chat with visitors.")
        return view(request, *args, **kwargs)

    return wrapped


def _refused(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _invalid(errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=400)


def _fields(request: HttpRequest) -> dict[str, str]:
    """The canned response's fields from the JSON body; ValidationError by field if the body
    is not an object of strings (a missing field is empty: the model says it is required)."""
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        raise ValidationError("The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object.")
    fields, errors = {}, {}
    for name in CANNED_FIELDS:
        value = body.get(name, "")
        if isinstance(value, str):
            fields[name] = value
        else:
            errors[name] = ["Must be a string."]
    if errors:
        raise ValidationError(errors)
    return fields


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"__all__": error.messages}


@never_cache
@require_http_methods(["GET", "POST"])
@_agents_only
def canned_responses(request: HttpRequest) -> HttpResponse:
    can = selectors.canned_permissions(user=request.user)
    if request.method == "GET":
        return JsonResponse(
            {
                "responses": selectors.canned_responses(),
                "can": can,
                "fallbacks": selectors.canned_fallbacks(),
            }
        )
    if not can["add"]:
        return _refused(403, "You may not add canned responses.")
    try:
        response = services.canned_response_create(**_fields(request))
    except ValidationError as error:
        return _invalid(_errors(error))
    return JsonResponse({"response": selectors.canned_response_data(response)}, status=201)


@never_cache
@require_http_methods(["PUT", "DELETE"])
@_agents_only
def canned_response(request: HttpRequest, response_id: int) -> HttpResponse:
    action = "change" if request.method == "PUT" else "delete"
    if not selectors.canned_permissions(user=request.user)[action]:
        return _refused(403, f"You may not {action} canned responses.")
    response = selectors.canned_response_get(response_id=response_id)
    if response is None:
        return _refused(404, "There is no such canned response: someone may have deleted it.")
    if request.method == "DELETE":
        services.canned_response_delete(response=response)
        return HttpResponse(status=204)
    try:
        response = services.canned_response_update(response=response, **_fields(request))
    except ValidationError as error:
        return _invalid(_errors(error))
    return JsonResponse({"response": selectors.canned_response_data(response)})
