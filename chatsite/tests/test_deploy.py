"""The documented production environment passes `manage.py check --deploy` with no warning.

The check runs in a fresh process, as a deployment would: settings are read from the
environment once, at start-up. Every test states its whole environment.
"""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
# What the machine running the tests may have set (CI sets DATABASE_URL and REDIS_URL) must
# not leak into a run that states its whole environment.
OWN_PREFIXES = (
    "DJANGO_",
    "DATABASE_",
    "REDIS_",
    "EMAIL_",
    "DEFAULT_FROM_EMAIL",
    "SERVER_EMAIL",
    "CHAT_SITE_",
    "CHAT_TEAM_EMAILS",
)
CHECK_ID = re.compile(r"^\S*: \((\w+\.\w+)\)", re.MULTILINE)


def clean_environment(**env: str | None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    clean.update({k: v for k, v in env.items() if v is not None})
    return clean


def production(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The production variables README.md documents; DJANGO_HTTPS is left to its default."""
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Not contacted by the checks; its presence selects the Redis channel layer.
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        # Not contacted either: transcripts and team notices leave through it.
        "EMAIL_URL": "submission://chat:secret@mail.example.com",
        "DEFAULT_FROM_EMAIL": "Gopher Goods <chat@shop.example.com>",
        "CHAT_SITE_URL": "https://shop.example.com",
    }
    env.update(overrides)
    return clean_environment(**env)


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_a_warning(tmp_path):
    result = check_deploy(production(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output
    assert "?: (security" not in output
    assert CHECK_ID.findall(output) == []
    assert "System check identified no issues" in output


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # Plain HTTP in production: no redirect, no HSTS, cookies that travel in clear. (The
        # session cookie's warning is W010, "sessions installed", rather than W012, "session
        # middleware": Django looks for its own SessionMiddleware by name, and the chat's
        # VisitorSessionMiddleware takes its place.)
        (
            {"DJANGO_HTTPS": "0"},
            {"security.W004", "security.W008", "security.W010", "security.W016"},
        ),
        ({"DJANGO_HSTS_SECONDS": "0"}, {"security.W004"}),
        ({"DJANGO_HSTS_PRELOAD": "0"}, {"security.W021"}),
        ({"REDIS_URL": None}, {"chat.W001"}),
        # Email on the console, from Django's placeholder address: nothing would arrive.
        ({"EMAIL_URL": None, "DEFAULT_FROM_EMAIL": None}, {"chat.W002", "chat.W003"}),
        # Links in emails to the development address.
        ({"CHAT_SITE_URL": None}, {"chat.W004"}),
    ],
    ids=["no-https", "no-hsts", "no-preload", "no-redis", "no-email", "no-site-url"],
)
def test_check_deploy_fails_on_what_production_must_not_lack(tmp_path, overrides, expected):
    result = check_deploy(production(tmp_path, **overrides))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert set(CHECK_ID.findall(output)) == expected, output


SECURITY_SETTINGS = (
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
)


def security_settings(monkeypatch, env: dict[str, str]) -> dict:
    """The settings module run afresh with ``env``: what a process started with it would get.

    Run in this process (a subprocess per case costs seconds), on a throwaway namespace; the
    test's own, already configured settings are not touched. Unset means Django's default.
    """
    monkeypatch.setattr(os, "environ", dict(env))
    namespace = runpy.run_path(str(ROOT / "chatsite" / "settings.py"))
    return {name: namespace.get(name, False) for name in SECURITY_SETTINGS}


def test_development_defaults_stay_on_plain_http(monkeypatch):
    values = security_settings(monkeypatch, clean_environment())
    assert values["DEBUG"] is True
    # `make run` serves http://127.0.0.1:8000: no redirect, no HSTS a browser would remember.
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False


def test_https_with_debug_on_sends_no_hsts_unless_asked(monkeypatch):
    values = security_settings(monkeypatch, clean_environment(DJANGO_HTTPS="1"))
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_production_defaults(monkeypatch, tmp_path):
    assert security_settings(monkeypatch, production(tmp_path)) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
    }


def test_hsts_seconds_can_be_lowered_for_a_first_roll_out(monkeypatch, tmp_path):
    env = production(tmp_path, DJANGO_HSTS_SECONDS="300")
    assert security_settings(monkeypatch, env)["SECURE_HSTS_SECONDS"] == 300


def test_malformed_hsts_seconds_stops_the_start(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured) as caught:
        security_settings(monkeypatch, production(tmp_path, DJANGO_HSTS_SECONDS="1y"))
    assert str(caught.value) == "DJANGO_HSTS_SECONDS must be a whole number, not '1y'."
