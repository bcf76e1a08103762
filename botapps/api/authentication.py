"""Who calls: one bot app, acting as its bot user.

``Authorization: Bearer <access token>`` with the token of a webhook's app_user_auth, or
``Authorization: Token <API key>``. Either way ``request.user`` is the bot user and
``request.auth`` the BotApp. A deactivated app, and a token given out before the app's
last rotation or deactivation (an older ``token_generation``), are refused.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .. import credentials, selectors
from ..models import BotApp

REALM = "chat-api"


class _BotAppAuthentication(BaseAuthentication):
    keyword: str
    what: str
    refusal: str

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, BotApp] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # another scheme, for the other class to try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                f"Send the header as 'Authorization: {self.keyword} <{self.what}>'."
            )
        try:
            credential = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(f"This {self.what} is not valid.") from None
        app = self.app_for(credential)
        if app is None:
            raise exceptions.AuthenticationFailed(self.refusal)
        if not app.is_active:
            raise exceptions.AuthenticationFailed("This bot app is deactivated.")
        return app.user, app

    def app_for(self, credential: str) -> BotApp | None:
        raise NotImplementedError

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="{REALM}"'


class AccessTokenAuthentication(_BotAppAuthentication):
    keyword = credentials.TOKEN_TYPE
    what = "access token"
    refusal = (
        "This access token is not valid: it expired, or the app's credentials were rotated "
        "since. Use the one from the latest webhook."
    )

    def app_for(self, credential: str) -> BotApp | None:
        claims = credentials.access_token_claims(credential)
        if claims is None:
            return None
        app_id, generation = claims
        app = selectors.bot_app_get(app_id=app_id)
        if app is None or app.token_generation != generation:
            return None
        return app


class ApiKeyAuthentication(_BotAppAuthentication):
    keyword = credentials.API_KEY_TYPE
    what = "API key"
    refusal = "This API key is not valid (it may have been rotated)."

    def app_for(self, credential: str) -> BotApp | None:
        return selectors.bot_app_by_api_key(key=credential)
