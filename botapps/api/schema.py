"""How the OpenAPI document describes the API, beyond what drf-spectacular finds alone:
the two ways to authenticate, strict request bodies, and the errors every operation may
answer (with their headers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from .fields import StrictSerializer
from .serializers import ErrorSerializer, ValidationErrorSerializer


class ApiSchema(AutoSchema):
    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        if self.method != "PATCH":
            return super()._get_request_for_media_type(serializer, direction)
        # The API's PATCH bodies are checked as given, not as partial updates (DRF's
        # partial=True, which drf-spectacular assumes): their required fields stay required.
        self.method = "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False
        return schema


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "botapps.api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The access_token of a webhook's app_user_auth: "
            "`Authorization: Bearer <access_token>`. It expires (expires_in) and stops "
            "working when the app's API key is rotated or the app is deactivated.",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "botapps.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The app's API key, shown once in admin: `Authorization: Token <key>`.",
        }


ERRORS: dict[int, str] = {
    400: 'Not valid: code "invalid" with messages by field (dotted for nested ones: '
    '"attachments.0.actions.1.link"), or "parse_error" for a body that is not JSON.',
    401: 'No credentials ("not_authenticated"), or ones that are not valid '
    '("authentication_failed"): expired, rotated, or of a deactivated app.',
    403: 'The path\'s user_id is not the bot user the credentials act as ("forbidden").',
    404: "Not found, or not the bot's to see.",
    409: "The conversation's state does not allow it now.",
    413: 'The body is larger than the site takes ("too_large").',
    415: 'The body is not JSON ("unsupported_media_type").',
    429: 'Too many requests from this bot app ("throttled"): wait Retry-After seconds.',
}
ALWAYS = (401, 403, 429)
WITH_BODY = (400, 413, 415)

RESPONSE_HEADERS = [
    OpenApiParameter(
        "WWW-Authenticate",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[401],
        required=True,
        description="The schemes to authenticate with: Bearer and Token.",
    ),
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[429],
        required=True,
        description="Seconds to wait before the next request.",
    ),
]

USER_ID = OpenApiParameter(
    "user_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The bot user's id: app_user_auth.user_id of a webhook, or id of GET /api/v1/me.",
)
CHAT_ID = OpenApiParameter(
    "chat_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The conversation's id."
)


def operation(
    *,
    operation_id: str,
    summary: str,
    tags: list[str],
    ok: dict[int, Any],
    description: str = "",
    request: Any = None,
    errors: dict[int, str] | None = None,
    parameters: Iterable[OpenApiParameter] = (),
    always: Iterable[int] = ALWAYS,
) -> Callable:
    """extend_schema for one operation of the API: what it answers when it works, what
    its own errors mean (404, 409...), and the errors every operation shares."""
    codes = dict.fromkeys(always)
    if request is not None:
        codes.update(dict.fromkeys(WITH_BODY))
    codes.update(errors or {})
    responses: dict[int, Any] = dict(ok)
    for code in sorted(codes):
        described = (errors or {}).get(code) or ERRORS[code]
        shape = ValidationErrorSerializer if code == 400 else ErrorSerializer
        responses[code] = OpenApiResponse(shape, description=described)
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        tags=tags,
        request=request,
        responses=responses,
        parameters=[*parameters, *RESPONSE_HEADERS],
    )
