"""What the bot API's tests share (no tests here): bot apps, a client that calls the API as
one, and rate-limit counters of each test's own."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from django.test import Client

from botapps import credentials, services
from botapps.models import BotApp
from chat import services as chat_services
from chat.models import Conversation
from chat.tests.conftest import new_session_key

API = "/api/v1"


def make_bot_app(name: str = "Robo", *, title: str = "Helper", avatar: str = "", **kwargs: Any):
    """A bot app with its credentials (creds.app, creds.api_key); subscriptions off, so that
    no webhook is recorded."""
    return services.bot_app_create(
        name=name,
        title=title,
        avatar=avatar,
        webhook_url="http://127.0.0.1:9/hook",
        subscriptions={},
        is_active=kwargs.pop("is_active", True),
    )


def access_token(app: BotApp) -> str:
    app.refresh_from_db()
    return credentials.access_token_issue(
        app_id=app.pk, token_generation=app.token_generation
    ).access_token


class Api:
    """Calls the API as a bot app: paths are under /api/v1, and ``{me}`` in one is the
    app's user id. JSON bodies unless told otherwise."""

    def __init__(self, authorization: str | None, app: BotApp | None = None) -> None:
        self.app = app
        headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
        self.client = Client(**headers)

    @classmethod
    def with_key(cls, creds) -> Api:
        return cls(f"Token {creds.api_key}", creds.app)

    @classmethod
    def with_token(cls, app: BotApp) -> Api:
        return cls(f"Bearer {access_token(app)}", app)

    def url(self, path: str) -> str:
        if path.startswith("http"):
            return path
        me = self.app.user_id if self.app is not None else 0
        return API + path.format(me=me)

    def get(self, path: str, **extra: Any):
        return self.client.get(self.url(path), **extra)

    def delete(self, path: str, **extra: Any):
        return self.client.delete(self.url(path), **extra)

    def post(self, path: str, body: Any = None, **extra: Any):
        return self._send("post", path, body, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any):
        return self._send("patch", path, body, **extra)

    def _send(self, method: str, path: str, body: Any, **extra: Any):
        extra.setdefault("content_type", "application/json")
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return getattr(self.client, method)(self.url(path), data or "", **extra)


def error(response, status: int, code: str) -> dict[str, Any]:
    """The error body, after checking its status, code and shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def routed_conversation() -> Conversation:
    """A new visitor's conversation, routed to every bot app active now."""
    return chat_services.conversation_open(session_key=new_session_key())


@pytest.fixture(autouse=True)
def own_rate_counters(settings) -> None:
    """Rate-limit counters of this test's own. Bot app ids repeat from run to run (each
    run has a new test database), while a Redis cache keeps the counters of the last
    one: a prefix per test keeps them apart without clearing anybody else's keys."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"api-test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def robo(db):
    return make_bot_app("Robo")


@pytest.fixture
def api(robo) -> Api:
    return Api.with_key(robo)
