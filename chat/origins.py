"""What an origin is, for the list of other sites staff allow to embed the chat box (ChatSettings,
"allowed origins"; what they may do: chat.cross_origin).

An origin is ``scheme://host[:port]``, as browsers send it in the ``Origin`` header: http or
https, the host in lower case (an international name in its ASCII form), the port only when it
is not the scheme's default. Staff may type it otherwise; it is stored in that form.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(value: str) -> str:
    """``value`` as the browser would send it in ``Origin``; ValueError (in words) if it is not
    an http(s) origin."""
    text = value.strip()
    if "*" in text:
        raise ValueError("list each origin on its own line; wildcards are not allowed.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("this is not a valid address (check the host and the port).") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(
            "an origin starts with https:// (or http://), e.g. https://shop.example.org."
        )
    if not parts.hostname:
        raise ValueError("give the host after the scheme, e.g. https://shop.example.org.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("an origin has no user name or password.")
    if parts.path not in ("", "/") or "?" in text or "#" in text:
        raise ValueError(
            "give only the scheme, the host and the port, without a path, query or fragment "
            "(https://shop.example.org, not https://shop.example.org/page)."
        )
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    else:
        try:
            # Browsers send an international domain name in its ASCII (punycode) form.
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("the host is not a valid domain name.") from None
    origin = f"{scheme}://{host}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        origin = f"{origin}:{port}"
    try:
        URLValidator(schemes=list(DEFAULT_PORTS))(origin)
    except ValidationError:
        raise ValueError("the host is not a valid domain name or IP address.") from None
    return origin


def origins_from_lines(text: str) -> list[str]:
    """The origins of an admin's list, one a line, normalized, without blank lines or repeats;
    a ValidationError with one message per bad line otherwise."""
    origins: list[str] = []
    errors: list[ValidationError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            origin = normalize_origin(line)
        except ValueError as error:
            errors.append(
                ValidationError(
                    "Line %(number)d, “%(line)s”: %(error)s",
                    code="invalid_origin",
                    params={"number": number, "line": line.strip(), "error": error},
                )
            )
            continue
        if origin not in origins:
            origins.append(origin)
    if errors:
        raise ValidationError(errors)
    return origins


def request_origin(value: str | None) -> str | None:
    """A request's ``Origin`` header as the admin's list writes origins, or None if it names
    none (absent, ``null``, malformed)."""
    if not value:
        return None
    try:
        return normalize_origin(value)
    except ValueError:
        return None
