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
    "CHAT_RETENTION_DAYS",
    "CHAT_LOGIN_FAILURE_LIMIT",
    "CHAT_LOGIN_LOCKOUT_MINUTES",
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


CARE_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "from privacy import conf; "
    "print(json.dumps({'retention': conf.get('CHAT_RETENTION_DAYS'), "
    "'limit': settings.AXES_FAILURE_LIMIT, "
    "'lockout': settings.AXES_COOLOFF_TIME.total_seconds()}))"
)


def test_retention_is_off_and_log_ins_lock_after_ten_failures_for_15_minutes_by_default():
    values = json.loads(load_settings(CARE_PROBE).stdout)
    assert values == {"retention": None, "limit": 10, "lockout": 900.0}


def test_retention_and_the_log_in_lock_out_come_from_the_environment():
    result = load_settings(
        CARE_PROBE,
        CHAT_RETENTION_DAYS="90",
        CHAT_LOGIN_FAILURE_LIMIT="5",
        CHAT_LOGIN_LOCKOUT_MINUTES="30",
    )
    assert json.loads(result.stdout) == {"retention": 90, "limit": 5, "lockout": 1800.0}


def test_a_retention_that_is_not_a_number_stops_the_start_with_a_sentence():
    result = load_settings(CHAT_RETENTION_DAYS="ninety")
    assert result.returncode != 0
    assert "CHAT_RETENTION_DAYS must be a whole number, not 'ninety'" in result.stderr
