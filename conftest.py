"""Test-wide rules: no skips in CI, a fresh bot and chat status per test, in-memory channel layer
by default."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    """The suite reads the compiled translations (.mo), which are built from the committed
    catalogs (.po), never committed themselves: compile those older than their catalog, once,
    before any worker starts, as `make test` does (a plain `pytest` then tests what is
    written, not what was compiled last)."""
    if hasattr(config, "workerinput"):
        return
    catalogs = [*ROOT.glob("locale/*/LC_MESSAGES/*.po"), *ROOT.glob("*/locale/*/LC_MESSAGES/*.po")]
    stale = [
        po
        for po in catalogs
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    if shutil.which("msgfmt") is None:
        raise pytest.UsageError(
            "The translations need compiling, and GNU gettext's msgfmt is missing "
            "(Debian: apt-get install gettext)."
        )
    subprocess.run(
        [sys.executable, "manage.py", "compilemessages", "--ignore=.venv", "--verbosity=0"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "chatsite.settings"},
        check=True,
    )


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker more than this machine gives us cores. The browser, server and
    Redis tests spend much of their time waiting on another process (Chromium, daphne),
    and a third worker on two cores fills those waits: the suite went from 112 s to 93 s."""
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # In CI every test must really run: a missing Redis, PostgreSQL or browser
    # is a broken machine, not a reason to pass quietly.
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"Skipping is not allowed in CI (CI=true): {reason}"


@pytest.fixture(autouse=True)
def _fresh_bot():
    from bots import loading

    loading.reset()
    yield
    loading.reset()


@pytest.fixture(autouse=True)
def _site_language():
    # A request in German leaves German active in the thread that served it (LocaleMiddleware
    # activates the visitor's language, nothing deactivates it): each test starts in the
    # site's language, whatever the test before it asked for.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_chat_status():
    # Whether the chat is online is cached for the pages that poll it, and the chat box's
    # settings and the business hours for every page; each test starts without them cached
    # (a test's settings row is rolled back, its cached copy would not be; each worker's
    # prefix keeps its cache apart from the others').
    from django.core.cache import cache

    from chat.selectors import (
        BUSINESS_HOURS_CACHE_KEY,
        CHAT_BOX_SETTINGS_CACHE_KEY,
        ONLINE_CACHE_KEY,
    )

    cache.delete_many([ONLINE_CACHE_KEY, CHAT_BOX_SETTINGS_CACHE_KEY, BUSINESS_HOURS_CACHE_KEY])
    yield
    cache.delete_many([CHAT_BOX_SETTINGS_CACHE_KEY, BUSINESS_HOURS_CACHE_KEY])


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(request, settings):
    # Tests that exercise Redis ask for it explicitly (the `redis_url` fixture).
    if "redis_url" not in request.fixturenames:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def redis_url():
    """The Redis server of REDIS_URL (default 127.0.0.1:6379); fails in CI if absent."""
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {url} ({exc}); start it or set REDIS_URL."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return url
