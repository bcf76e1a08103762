"""A bot app's credentials: its signing secret, its API key, and the short-lived access
tokens its webhooks carry.

An access token is signed by the site (``django.core.signing``), so checking one needs
no table of tokens: it names the bot app and the app's ``token_generation``, which a
rotation or a deactivation bumps, so every token given out before stops working.
An API key is kept only as a digest; the key itself is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core import signing

from . import conf

TOKEN_TYPE = "Bearer"
API_KEY_TYPE = "Token"
_TOKEN_SALT = "chat.bot-app.access-token"
# Keys carry a recognisable prefix, so a leaked one is easy to find in logs and repositories.
API_KEY_PREFIX = "cbk_"


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    token_type: str
    expires_in: int


def signing_secret_new() -> str:
    return secrets.token_urlsafe(32)


def api_key_new() -> tuple[str, str]:
    """A new API key and the digest to keep of it."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, api_key_digest(key)


def api_key_digest(key: str) -> str:
    # The key is long and random: a plain hash is as good as a slow one here.
    return hashlib.sha256(key.encode()).hexdigest()


def access_token_issue(*, app_id: int, token_generation: int) -> AccessToken:
    expires_in = conf.get("CHAT_API_TOKEN_EXPIRES_IN")
    token = signing.dumps({"app": app_id, "gen": token_generation}, salt=_TOKEN_SALT)
    return AccessToken(access_token=token, token_type=TOKEN_TYPE, expires_in=expires_in)


def access_token_claims(token: str) -> tuple[int, int] | None:
    """The (app id, token generation) a token was issued for, or None when it is forged,
    malformed or expired."""
    try:
        claims = signing.loads(
            token, salt=_TOKEN_SALT, max_age=conf.get("CHAT_API_TOKEN_EXPIRES_IN")
        )
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(claims, dict):
        return None
    app_id, generation = claims.get("app"), claims.get("gen")
    if not isinstance(app_id, int) or not isinstance(generation, int):
        return None
    return app_id, generation


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of ``<timestamp>.<body>`` with the app's signing secret, in hex.

    The timestamp is signed too, so a captured request cannot be replayed later
    with a fresh timestamp.
    """
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Chat-Signature`` header: ``t=<unix seconds>,v1=<hex digest>``."""
    return f"t={timestamp},v1={webhook_signature(secret=secret, timestamp=timestamp, body=body)}"
