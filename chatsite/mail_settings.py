"""Django's email settings from the environment, refused at start-up when they make no sense.

Either ``EMAIL_URL`` names the whole server in one variable, or ``EMAIL_HOST`` and its family
(``EMAIL_PORT``, ``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``,
``EMAIL_USE_SSL``) do, never both. With neither, email is printed on the console: a site
without a mail server still runs, and ``check --deploy`` warns (``chat.W002``).

``EMAIL_URL``::

    smtp://[user[:password]@]host[:port][/?tls=1|ssl=1&timeout=N]   plain, or as the query says
    submission://user:password@host[:port]   STARTTLS, port 587 unless given (smtp+tls://)
    smtps://user:password@host[:port]        TLS from the first byte, port 465 (smtp+ssl://)
    console://   memory://   dummy://        printed, kept in memory (tests), dropped

A user name or password holding ``@``, ``:`` or ``/`` is percent-encoded (``%40``).

Why no library: dj-email-url has had no release since 2022, takes an unknown scheme without a
word (no backend set) and lets a bad port out as a bare ValueError; django-environ, maintained,
files ``?tls=``, ``?ssl=`` and ``?timeout=`` under an ``OPTIONS`` key that Django's email
settings never read, so a server asking for STARTTLS would be spoken to in clear. The parsing
itself is the standard library's (``urllib.parse``); what is here is which settings the parts
become, and the refusals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"

# scheme: (backend, what it speaks: "" plain, "tls" STARTTLS, "ssl" TLS from the start)
SCHEMES: dict[str, tuple[str, str]] = {
    "smtp": (SMTP, ""),
    "submission": (SMTP, "tls"),
    "smtp+tls": (SMTP, "tls"),
    "smtps": (SMTP, "ssl"),
    "smtp+ssl": (SMTP, "ssl"),
    "console": (CONSOLE, ""),
    "memory": ("django.core.mail.backends.locmem.EmailBackend", ""),
    "dummy": ("django.core.mail.backends.dummy.EmailBackend", ""),
}
# The port each way of speaking is served on (RFC 8314): relay, submission, implicit TLS.
DEFAULT_PORTS = {"": 25, "tls": 587, "ssl": 465}
# Seconds to wait on the mail server: Django's default waits for ever, and a visitor's request
# would wait with it.
DEFAULT_TIMEOUT = 10
# Django's own, which mail servers refuse; check --deploy warns about it (chat.W003).
DEFAULT_FROM = "webmaster@localhost"

HOST_FAMILY = (
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
)
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def email_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every EMAIL_* setting, DEFAULT_FROM_EMAIL and SERVER_EMAIL, from ``environ``."""
    env = {name: value.strip() for name, value in environ.items() if name.startswith("EMAIL_")}
    url = env.get("EMAIL_URL", "")
    family = [name for name in HOST_FAMILY if env.get(name)]
    if url and family:
        raise ImproperlyConfigured(
            f"Set EMAIL_URL or {', '.join(family)}, not both: EMAIL_URL names the whole "
            "mail server."
        )
    if url:
        settings = from_url(url)
    elif family:
        settings = _from_host_family(env)
    else:
        settings = {"EMAIL_BACKEND": CONSOLE}
    settings.setdefault("EMAIL_TIMEOUT", _whole_number(env, "EMAIL_TIMEOUT", DEFAULT_TIMEOUT))
    default_from = environ.get("DEFAULT_FROM_EMAIL", "").strip() or DEFAULT_FROM
    settings["DEFAULT_FROM_EMAIL"] = default_from
    # Django's own error mails come from the same address unless told otherwise.
    settings["SERVER_EMAIL"] = environ.get("SERVER_EMAIL", "").strip() or default_from
    return settings


def from_url(url: str) -> dict[str, Any]:
    """The EMAIL_* settings one EMAIL_URL names (see the module's docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        known = ", ".join(f"{name}://" for name in SCHEMES)
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with one of {known}, not {_hidden(url)!r}."
        )
    backend, security = SCHEMES[scheme]
    if backend != SMTP:
        return {"EMAIL_BACKEND": backend}
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL names no host: {_hidden(url)!r}.")
    if parts.path not in ("", "/"):
        raise ImproperlyConfigured(
            f"EMAIL_URL has a path ({parts.path!r}); a mail server has none. "
            "Options go in the query: ?tls=1, ?ssl=1, ?timeout=10."
        )
    try:
        port = parts.port
    except ValueError:  # not a number, or beyond 65535
        port = 0
    if port == 0:
        raise ImproperlyConfigured(
            f"EMAIL_URL's port must be a number from 1 to 65535: {_hidden(url)!r}."
        )
    settings: dict[str, Any] = {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
    }
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - {"tls", "ssl", "timeout"})
    if unknown:
        raise ImproperlyConfigured(
            f"EMAIL_URL's query may hold tls, ssl and timeout, not {', '.join(unknown)}."
        )
    # The query switches a way of speaking on (a plain smtp:// server that offers STARTTLS).
    tls = _flag("EMAIL_URL's tls", options.get("tls", ""))
    ssl = _flag("EMAIL_URL's ssl", options.get("ssl", ""))
    if tls and ssl:
        raise ImproperlyConfigured("EMAIL_URL asks for both tls and ssl; choose one.")
    if tls or ssl:
        security = "tls" if tls else "ssl"
    settings["EMAIL_USE_TLS"] = security == "tls"
    settings["EMAIL_USE_SSL"] = security == "ssl"
    settings["EMAIL_PORT"] = DEFAULT_PORTS[security] if port is None else port
    if options.get("timeout", "").strip():
        settings["EMAIL_TIMEOUT"] = _whole_number(
            options, "timeout", 0, label="EMAIL_URL's timeout"
        )
    return settings


def _from_host_family(env: Mapping[str, str]) -> dict[str, Any]:
    if not env.get("EMAIL_HOST"):
        given = ", ".join(name for name in HOST_FAMILY if env.get(name))
        raise ImproperlyConfigured(f"{given} set without EMAIL_HOST: which mail server?")
    use_tls = _flag("EMAIL_USE_TLS", env.get("EMAIL_USE_TLS", ""))
    use_ssl = _flag("EMAIL_USE_SSL", env.get("EMAIL_USE_SSL", ""))
    if use_tls and use_ssl:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are both on; choose one.")
    security = "tls" if use_tls else "ssl" if use_ssl else ""
    port = _whole_number(env, "EMAIL_PORT", DEFAULT_PORTS[security])
    if port > 65535:
        raise ImproperlyConfigured(f"EMAIL_PORT must be a number from 1 to 65535, not {port}.")
    return {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": env["EMAIL_HOST"],
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": env.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": env.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }


def _flag(label: str, value: str) -> bool:
    """A switch: empty is off; anything but the usual words for on and off is refused."""
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE or word == "":
        return False
    raise ImproperlyConfigured(f"{label} must be 1 or 0 (true or false), not {value!r}.")


def _whole_number(values: Mapping[str, str], name: str, default: int, *, label: str = "") -> int:
    """A positive whole number, or ``default`` when empty or absent."""
    value = values.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:
        raise ImproperlyConfigured(
            f"{label or name} must be a positive whole number, not {value!r}."
        )
    return int(value)


def _hidden(url: str) -> str:
    """The URL as an error message may show it: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
