"""Settings come from the environment, with safe development defaults."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
    "'engine': settings.DATABASES['default']['ENGINE'], "
    "'layer': settings.CHANNEL_LAYERS['default']['BACKEND'], 'key': settings.SECRET_KEY}))"
)
VARIABLES = [
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CHANNEL_LAYER_CAPACITY",
    "EMAIL_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
]


def load_settings(probe: str = PROBE, **env):
    """Run ``probe`` in a fresh process on the site's settings, read from ``env`` alone."""
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    clean["DJANGO_SETTINGS_MODULE"] = "chatsite.settings"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def test_defaults_are_sqlite_in_memory_layer_and_localhost():
    result = load_settings()
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    assert values["hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["debug"] is True


def test_production_variables_select_postgresql_and_redis():
    result = load_settings(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="s3cret-for-tests-only",
        DJANGO_ALLOWED_HOSTS="shop.example.com, www.shop.example.com",
        DATABASE_URL="postgres://user:pw@db:5432/chat",
        REDIS_URL="redis://redis:6379/0",
    )
    values = json.loads(result.stdout)
    assert values == {
        "debug": False,
        "hosts": ["shop.example.com", "www.shop.example.com"],
        "engine": "django.db.backends.postgresql",
        "layer": "chatsite.channel_layers.RedisChannelLayer",
        "key": "s3cret-for-tests-only",
    }


def test_without_debug_a_secret_key_is_required():
    result = load_settings(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_a_bad_email_url_stops_the_start_with_a_sentence():
    result = load_settings(EMAIL_URL="smtp://mail.example.com:587x/")
    assert result.returncode != 0
    assert "EMAIL_URL's port must be a number from 1 to 65535" in result.stderr
    result = load_settings(EMAIL_URL="imap://mail.example.com")
    assert result.returncode != 0
    assert "EMAIL_URL must start with one of smtp://" in result.stderr
