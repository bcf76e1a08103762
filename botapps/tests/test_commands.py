"""Bot apps registered and rotated from the command line (chat/management/commands/)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from botapps import credentials
from botapps.models import BotApp
from chat.models import AgentStatus

pytestmark = pytest.mark.django_db

URL = "https://bots.example.com/hook"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_bot_app_is_registered_and_its_secrets_printed_once():
    out = run("botapp_create", "Weather", "--webhook-url", URL, "--title", "Forecasts")
    app = BotApp.objects.get(name="Weather")
    assert f"Bot app {app.pk} “Weather” registered." in out
    assert "not shown again" in out
    secret = out.split("Signing secret: ")[1].split()[0]
    key = out.split("API key: ")[1].split()[0]
    assert secret == app.signing_secret
    assert credentials.api_key_digest(key) == app.api_key_digest  # only the digest is kept
    assert app.is_active and app.webhook_url == URL
    assert AgentStatus.objects.get(user=app.user).title == "Forecasts"
    # Told of what admin subscribes a new app to by default.
    assert app.subscribes_pending_conversations and app.subscribes_member_messages
    assert not app.subscribes_routed_conversations and not app.subscribes_routed_messages


def test_subscriptions_and_json_for_scripts():
    out = run(
        "botapp_create",
        "Router",
        "--webhook-url",
        URL,
        "--subscribe",
        "routed-conversations",
        "--subscribe",
        "routed-messages",
        "--inactive",
        "--json",
    )
    printed = json.loads(out)
    app = BotApp.objects.get(name="Router")
    assert printed["id"] == app.pk and printed["name"] == "Router"
    assert printed["signing_secret"] == app.signing_secret
    assert credentials.api_key_digest(printed["api_key"]) == app.api_key_digest
    assert app.subscribes_routed_conversations and app.subscribes_routed_messages
    assert not app.subscribes_pending_conversations and not app.subscribes_member_messages
    assert not app.is_active


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["Bad", "--webhook-url", "not a url"], "webhook-url: Enter a valid URL."),
        (["Taken", "--webhook-url", URL], "name: Bot app with this Name already exists."),
        (["", "--webhook-url", URL], "name: This field is required."),
    ],
)
def test_a_wrong_bot_app_is_refused_whole_with_the_reason(args, problem):
    run("botapp_create", "Taken", "--webhook-url", URL)
    before = BotApp.objects.count()
    with pytest.raises(CommandError) as refused:
        run("botapp_create", *args)
    assert str(refused.value) == f"the bot app was not registered: {problem}"
    assert BotApp.objects.count() == before


def test_rotating_prints_the_new_credentials_and_ends_the_old_ones():
    made = json.loads(run("botapp_create", "Weather", "--webhook-url", URL, "--json"))
    app = BotApp.objects.get(name="Weather")
    generation = app.token_generation
    rotated = json.loads(run("botapp_rotate", "Weather", "--api-key", "--signing-secret", "--json"))
    app.refresh_from_db()
    assert rotated["signing_secret"] == app.signing_secret != made["signing_secret"]
    assert credentials.api_key_digest(rotated["api_key"]) == app.api_key_digest
    assert credentials.api_key_digest(made["api_key"]) != app.api_key_digest
    assert app.token_generation > generation  # tokens given out before stop working
    out = run("botapp_rotate", "Weather", "--signing-secret")
    assert out.startswith("Bot app “Weather” rotated.") and "API key" not in out


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["Nobody", "--api-key"], "no bot app is named 'Nobody'"),
        (["Weather"], "say what to rotate: --signing-secret, --api-key or both"),
    ],
)
def test_rotating_needs_an_app_and_what_to_rotate(args, problem):
    run("botapp_create", "Weather", "--webhook-url", URL)
    with pytest.raises(CommandError, match=problem):
        run("botapp_rotate", *args)
