"""A bot app's credentials (botapps.credentials): webhook signatures as a bot app checks them,
access tokens, API keys."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.core import signing

from botapps import credentials

# Computed independently: printf '1700000000.{"event":"member_message"}' |
#   openssl dgst -sha256 -hmac 'whsec-test-0123456789' -hex
SECRET = "whsec-test-0123456789"
TIMESTAMP = 1_700_000_000
BODY = b'{"event":"member_message"}'
DIGEST = "3b6fa527ef8f904459c8d4e564eab5b85b610e18597264308992bcdcfb443ef5"


def bot_verifies(header: str, body: bytes, *, secret: str = SECRET) -> bool:
    """What a bot app does with X-Chat-Signature: recompute the HMAC over ``<t>.<body>``
    with its secret and compare in constant time (the README's recipe)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp, given = parts["t"], parts["v1"]
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), given)


# --- webhook signatures -----------------------------------------------------------------------


def test_the_signature_matches_a_known_vector():
    assert credentials.webhook_signature(secret=SECRET, timestamp=TIMESTAMP, body=BODY) == DIGEST
    header = credentials.webhook_signature_header(secret=SECRET, timestamp=TIMESTAMP, body=BODY)
    assert header == f"t={TIMESTAMP},v1={DIGEST}"
    assert bot_verifies(header, BODY)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h, b: (h, b + b" "), id="body with a byte more"),
        pytest.param(lambda h, b: (h, b.replace(b"member", b"routed")), id="body changed"),
        pytest.param(
            lambda h, b: (h.replace(f"t={TIMESTAMP}", f"t={TIMESTAMP + 300}"), b),
            id="replayed with a fresh timestamp",
        ),
        pytest.param(lambda h, b: (h[:-1] + ("0" if h[-1] != "0" else "1"), b), id="digest"),
        pytest.param(lambda h, b: (h.split(",")[1], b), id="timestamp left out"),
        pytest.param(lambda h, b: ("", b), id="no header"),
    ],
)
def test_a_bot_app_rejects_a_tampered_webhook(tamper):
    header = credentials.webhook_signature_header(secret=SECRET, timestamp=TIMESTAMP, body=BODY)
    assert not bot_verifies(*tamper(header, BODY))


def test_another_apps_secret_does_not_verify():
    header = credentials.webhook_signature_header(secret=SECRET, timestamp=TIMESTAMP, body=BODY)
    assert not bot_verifies(header, BODY, secret=credentials.signing_secret_new())


def test_signing_secrets_are_new_each_time_and_long():
    secrets = {credentials.signing_secret_new() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(secret) >= 40 for secret in secrets)


# --- access tokens ----------------------------------------------------------------------------


def test_an_access_token_names_its_app_and_generation():
    token = credentials.access_token_issue(app_id=12, token_generation=3)
    assert (token.token_type, token.expires_in) == ("Bearer", 900)
    assert credentials.access_token_claims(token.access_token) == (12, 3)


def test_an_access_token_expires(settings, monkeypatch):
    settings.CHAT_API_TOKEN_EXPIRES_IN = 60
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - 61)
    old = credentials.access_token_issue(app_id=12, token_generation=1)
    assert old.expires_in == 60
    monkeypatch.setattr(signing.time, "time", lambda: now - 59)
    recent = credentials.access_token_issue(app_id=12, token_generation=1)
    monkeypatch.setattr(signing.time, "time", lambda: now)
    assert credentials.access_token_claims(old.access_token) is None
    assert credentials.access_token_claims(recent.access_token) == (12, 1)


@pytest.mark.django_db
def test_a_generation_bump_outdates_the_tokens_given_out_before():
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.test import APIRequestFactory

    from botapps import services
    from botapps.api.authentication import AccessTokenAuthentication

    def accepted(token: credentials.AccessToken) -> bool:
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
        try:
            return AccessTokenAuthentication().authenticate(request) is not None
        except AuthenticationFailed:
            return False

    app = services.bot_app_create(
        name="Helper",
        title="",
        avatar="",
        webhook_url="https://bot.example.com/hooks",
        subscriptions={},
        is_active=True,
    ).app
    before = credentials.access_token_issue(app_id=app.pk, token_generation=app.token_generation)
    assert accepted(before)

    services.bot_app_api_key_rotate(app=app)

    assert credentials.access_token_claims(before.access_token) == (app.pk, 1)
    assert app.token_generation == 2
    assert not accepted(before)
    after = credentials.access_token_issue(app_id=app.pk, token_generation=app.token_generation)
    assert accepted(after)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param(signing.dumps({"app": 12, "gen": 1}), id="signed for something else"),
        pytest.param(
            signing.dumps({"app": 12, "gen": 1}, salt="chat.bot-app.access-token", key="x" * 50),
            id="another site's key",
        ),
        pytest.param(signing.dumps([12, 1], salt="chat.bot-app.access-token"), id="not a dict"),
        pytest.param(
            signing.dumps({"app": "12", "gen": 1}, salt="chat.bot-app.access-token"),
            id="app not a number",
        ),
    ],
)
def test_forged_and_malformed_tokens_name_nobody(token):
    assert credentials.access_token_claims(token) is None


def test_a_token_with_its_payload_changed_is_refused():
    token = credentials.access_token_issue(app_id=12, token_generation=1).access_token
    other = credentials.access_token_issue(app_id=13, token_generation=1).access_token
    # The payload of one with the signature of the other.
    forged = other.split(":")[0] + ":" + ":".join(token.split(":")[1:])
    assert credentials.access_token_claims(forged) is None


# --- API keys ---------------------------------------------------------------------------------


def test_an_api_key_is_kept_as_its_digest_only():
    key, digest = credentials.api_key_new()
    assert key.startswith(credentials.API_KEY_PREFIX)
    assert digest == hashlib.sha256(key.encode()).hexdigest() == credentials.api_key_digest(key)
    assert key not in digest
    assert credentials.api_key_new()[0] != key
