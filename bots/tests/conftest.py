"""Fixtures for the bots' browser tests: a real server with a superuser, and Debian's Chromium.

The server and the browser come from ``testsupport.harness``, shared with chat's browser tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from testsupport.harness import launch_chromium, require_chromium, serve


@dataclass(frozen=True)
class AdminServer:
    url: str
    username: str
    password: str


@pytest.fixture(scope="module")
def admin_server(request):
    """A Daphne server on a fresh migrated database holding one superuser."""
    require_chromium()  # no server started for nothing
    username, password = "staff", "a-long-test-password-7"
    createsuperuser = ("createsuperuser", "--noinput", "--username", username)
    with serve(
        request,
        "bots-e2e-",
        env={"DJANGO_SUPERUSER_PASSWORD": password},
        commands=[(*createsuperuser, "--email", "staff@example.com")],
    ) as server:
        yield AdminServer(url=server.url, username=username, password=password)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright; no browser is ever downloaded."""
    with launch_chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def semantics():
    """The real sentence encoder, loaded once for the session, without the database (entry
    vectors are encoded, not stored). Skips (fails in CI) when the model is not installed."""
    from bots import conf, embedding
    from bots.base import Semantics

    reason = embedding.unavailable_reason()
    encoder = embedding.load_encoder(cache_dir=conf.model_cache_dir()) if reason is None else None
    if encoder is None:
        pytest.skip(f"the sentence encoder cannot run here: {embedding.unavailable_reason()}")
    return Semantics(encode=encoder.encode, stored=encoder.encode)
