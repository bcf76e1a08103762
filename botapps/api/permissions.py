from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from ..models import BotApp

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while rest_framework.views is half loaded.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class IsBotApp(BasePermission):
    """A bot app, acting as its own bot user: a ``user_id`` in the path must be that user.

    Unauthenticated requests are refused here too, and DRF answers them 401 (the
    authentication classes give the WWW-Authenticate challenge)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        app = request.auth
        if not isinstance(app, BotApp):
            return False
        user_id = view.kwargs.get("user_id")
        if user_id is not None and user_id != app.user_id:
            raise exceptions.PermissionDenied(
                f"These credentials act as user {app.user_id}, not as user {user_id}."
            )
        return True
