"""The whole bot API fuzzed against the OpenAPI document it serves (Schemathesis): generated
requests, valid and not, for every operation, as a real bot app with a conversation routed
to it. No answer may be a server error, and every answer must be what the document says:
status code, content type, headers and body. Valid requests must not be refused as invalid,
and invalid ones must not be taken.

Requests go through Django's WSGI handler in the test's own thread, so they see the test's
database transaction; each example starts with the bot answering the conversation again,
whatever the one before did (left it, handed it over, deleted its client).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from botapps import services
from botapps.models import Membership
from chat.models import AgentClient, Conversation

from . import test_api_support as support
from .test_api_support import access_token, make_bot_app, routed_conversation

own_rate_counters = support.own_rate_counters

CLIENT_KEY = "fuzz-client"


class TestTransactionWSGIApp:
    """Django's WSGI handler, minus closing the database connection around each request
    (as django.test.Client does): closing it would end the test's transaction."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = list(response)
            response.close()
            return body
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


class Bot:
    """The bot app the fuzzer acts as, and what its paths name."""

    def __init__(self) -> None:
        self.creds = make_bot_app("Fuzzy")
        self.app = self.creds.app
        self.conversation = routed_conversation()
        self.token = access_token(self.app)

    def path_parameters(self) -> dict[str, Any]:
        return {
            "user_id": self.app.user_id,
            "member_id": self.app.user_id,
            "chat_id": self.conversation.pk,
            "client_id": CLIENT_KEY,
        }

    def answer_again(self) -> None:
        """Back to a conversation the bot answers, with a client of a known id."""
        answering = Membership.objects.filter(
            conversation=self.conversation,
            user=self.app.user,
            is_participating=True,
            conversation__state=Conversation.State.AGENT,
            conversation__assigned_agent=self.app.user,
        ).exists()
        if not answering:
            Conversation.objects.filter(pk=self.conversation.pk).update(
                state=Conversation.State.BOT, assigned_agent=None, closed_at=None
            )
            services.conversation_join(
                conversation_id=self.conversation.pk, app=self.app, participating=True
            )
        AgentClient.objects.update_or_create(
            key=CLIENT_KEY,
            defaults={"user": self.app.user, "expires_at": timezone.now() + timedelta(minutes=5)},
        )


@pytest.fixture
def bot(db, settings) -> Iterator[Bot]:
    # The fuzzer sends hundreds of requests a minute: the rate limit is not what it tests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"bot_app": "1000000/minute"},
    }
    bot = Bot()
    ACTING.append(bot)
    yield bot
    ACTING.remove(bot)


# The bot the requests of the running test act as.
ACTING: list[Bot] = []


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Every request about the bot's own conversation and client. In this hook, not before
    the call: Schemathesis checks again what the hook changed, so a request that was
    invalid only for its ids counts as valid once they are replaced. The credentials it
    made up go too: the test gives real ones (which Schemathesis then leaves out, and
    replaces with made-up ones, to see them refused)."""
    if not ACTING:
        return
    bot = ACTING[-1]
    if case.path_parameters:
        names = bot.path_parameters()
        for name in case.path_parameters:
            if name in names:
                case.path_parameters[name] = names[name]
    if case.headers:
        for name in [name for name in case.headers if name.lower() == "authorization"]:
            del case.headers[name]


# Loaded as the tests are collected (the schema view needs no database): one test per
# operation. (schemathesis.pytest.from_fixture would load it later, but its lazy tests do
# not run under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", TestTransactionWSGIApp())


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    # The database fixture is shared by the examples on purpose (see answer_again).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_the_api_keeps_to_its_schema(case, bot):
    bot.answer_again()
    case.call_and_validate(headers={"Authorization": f"Bearer {bot.token}"})
