"""chatsite/mail_settings.py: Django's email settings from the environment, bad values refused."""

import os
import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from chatsite.mail_settings import email_settings

ROOT = Path(__file__).resolve().parents[2]
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_without_a_mail_server_email_is_printed_on_the_console():
    assert email_settings({}) == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "EMAIL_TIMEOUT": 10,
        "DEFAULT_FROM_EMAIL": "webmaster@localhost",
        "SERVER_EMAIL": "webmaster@localhost",
    }


def test_an_email_url_names_the_whole_server():
    settings = email_settings(
        {
            "EMAIL_URL": "smtp://chat%40shop.example.com:p%40ss%3Aw%2Frd@mail.example.com:2525/?tls=True",
            "DEFAULT_FROM_EMAIL": "Gopher Goods <chat@shop.example.com>",
        }
    )
    assert settings == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 2525,
        # Percent-encoded in the URL, plain in the settings.
        "EMAIL_HOST_USER": "chat@shop.example.com",
        "EMAIL_HOST_PASSWORD": "p@ss:w/rd",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
        "DEFAULT_FROM_EMAIL": "Gopher Goods <chat@shop.example.com>",
        # Django's error mails come from the same address unless told otherwise.
        "SERVER_EMAIL": "Gopher Goods <chat@shop.example.com>",
    }


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [
        ("smtp://mail.example.com", 25, False, False),
        ("smtp://mail.example.com/?tls=1", 587, True, False),
        ("smtp://mail.example.com?ssl=yes", 465, False, True),
        ("smtp://mail.example.com?tls=0", 25, False, False),
        ("submission://u:p@mail.example.com", 587, True, False),
        ("smtp+tls://u:p@mail.example.com:2587", 2587, True, False),
        ("smtps://u:p@mail.example.com", 465, False, True),
        ("smtp+ssl://u:p@mail.example.com", 465, False, True),
    ],
)
def test_the_scheme_and_the_query_choose_how_to_speak_and_the_port(url, port, tls, ssl):
    settings = email_settings({"EMAIL_URL": url})
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_TLS"], settings["EMAIL_USE_SSL"]) == (
        port,
        tls,
        ssl,
    )


def test_the_urls_timeout_comes_before_email_timeout():
    url = "smtp://mail.example.com/?timeout=30"
    assert email_settings({"EMAIL_URL": url, "EMAIL_TIMEOUT": "5"})["EMAIL_TIMEOUT"] == 30
    assert email_settings({"EMAIL_URL": "smtp://h", "EMAIL_TIMEOUT": "5"})["EMAIL_TIMEOUT"] == 5


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console://", "django.core.mail.backends.console.EmailBackend"),
        ("memory://", "django.core.mail.backends.locmem.EmailBackend"),
        ("dummy://", "django.core.mail.backends.dummy.EmailBackend"),
    ],
)
def test_backends_that_send_nothing_have_their_schemes(url, backend):
    assert email_settings({"EMAIL_URL": url})["EMAIL_BACKEND"] == backend


def test_the_email_host_family_names_the_server_too():
    settings = email_settings(
        {
            "EMAIL_HOST": "mail.example.com",
            "EMAIL_HOST_USER": "chat",
            "EMAIL_HOST_PASSWORD": "secret",
            "EMAIL_USE_TLS": "true",
            "EMAIL_TIMEOUT": "20",
            "SERVER_EMAIL": "errors@shop.example.com",
        }
    )
    assert settings == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,  # STARTTLS's port, as nothing else was said
        "EMAIL_HOST_USER": "chat",
        "EMAIL_HOST_PASSWORD": "secret",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 20,
        "DEFAULT_FROM_EMAIL": "webmaster@localhost",
        "SERVER_EMAIL": "errors@shop.example.com",
    }
    assert email_settings({"EMAIL_HOST": "mail", "EMAIL_PORT": "2525"})["EMAIL_PORT"] == 2525
    assert email_settings({"EMAIL_HOST": "mail", "EMAIL_USE_SSL": "1"})["EMAIL_PORT"] == 465


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"EMAIL_URL": "ftp://mail.example.com"}, "EMAIL_URL must start with one of smtp://"),
        ({"EMAIL_URL": "mail.example.com:587"}, "EMAIL_URL must start with one of smtp://"),
        ({"EMAIL_URL": "smtp://mail.example.com:abc"}, "EMAIL_URL's port must be a number"),
        ({"EMAIL_URL": "smtp://mail.example.com:70000"}, "EMAIL_URL's port must be a number"),
        ({"EMAIL_URL": "smtp://mail.example.com:0"}, "EMAIL_URL's port must be a number"),
        ({"EMAIL_URL": "smtp://:25"}, "EMAIL_URL names no host"),
        ({"EMAIL_URL": "smtp://mail.example.com/inbox"}, "EMAIL_URL has a path"),
        ({"EMAIL_URL": "smtp://mail.example.com/?tsl=1"}, "not tsl"),
        ({"EMAIL_URL": "smtp://mail.example.com/?tls=maybe"}, "EMAIL_URL's tls must be 1 or 0"),
        ({"EMAIL_URL": "smtp://mail.example.com/?tls=1&ssl=1"}, "both tls and ssl"),
        ({"EMAIL_URL": "smtp://mail.example.com/?timeout=soon"}, "EMAIL_URL's timeout must be"),
        (
            {"EMAIL_URL": "smtp://mail.example.com", "EMAIL_HOST": "other.example.com"},
            "Set EMAIL_URL or EMAIL_HOST, not both",
        ),
        ({"EMAIL_HOST": "mail.example.com", "EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a positive"),
        ({"EMAIL_HOST": "mail.example.com", "EMAIL_PORT": "99999"}, "EMAIL_PORT must be a number"),
        ({"EMAIL_PORT": "587"}, "EMAIL_PORT set without EMAIL_HOST"),
        ({"EMAIL_HOST": "mail", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "both on"),
        ({"EMAIL_HOST": "mail", "EMAIL_USE_TLS": "ture"}, "EMAIL_USE_TLS must be 1 or 0"),
        ({"EMAIL_TIMEOUT": "soon"}, "EMAIL_TIMEOUT must be a positive whole number"),
    ],
)
def test_a_bad_value_stops_the_start_with_a_sentence(environ, says):
    with pytest.raises(ImproperlyConfigured, match=says.replace("?", r"\?")):
        email_settings(environ)


def test_a_refusal_never_shows_the_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        email_settings({"EMAIL_URL": "smtp://chat:hunter2@mail.example.com:abc"})
    assert "hunter2" not in str(refused.value)
    assert "chat:***@mail.example.com:abc" in str(refused.value)


def test_the_site_settings_read_email_and_the_chats_email_settings(monkeypatch):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "CHAT_", "DJANGO_"))}
    env.update(
        {
            "EMAIL_URL": "submission://chat:secret@mail.example.com",
            "CHAT_SITE_NAME": "Gopher Goods Europe",
            "CHAT_SITE_URL": "https://shop.example.com",
            "CHAT_TEAM_EMAILS": " team@shop.example.com, ,sales@shop.example.com ",
        }
    )
    monkeypatch.setattr(os, "environ", env)
    namespace = runpy.run_path(str(ROOT / "chatsite" / "settings.py"))
    assert namespace["EMAIL_BACKEND"] == SMTP
    assert namespace["EMAIL_HOST"] == "mail.example.com"
    assert namespace["EMAIL_USE_TLS"] is True
    assert namespace["CHAT_SITE_NAME"] == "Gopher Goods Europe"
    assert namespace["CHAT_SITE_URL"] == "https://shop.example.com"
    assert namespace["CHAT_TEAM_EMAILS"] == ["team@shop.example.com", "sales@shop.example.com"]


def test_the_chats_email_settings_are_left_to_their_app_defaults_unless_given(monkeypatch):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "CHAT_", "DJANGO_"))}
    monkeypatch.setattr(os, "environ", env)
    namespace = runpy.run_path(str(ROOT / "chatsite" / "settings.py"))
    assert namespace["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    for name in ("CHAT_SITE_NAME", "CHAT_SITE_URL", "CHAT_TEAM_EMAILS"):
        assert name not in namespace  # chat/conf.py's defaults apply
