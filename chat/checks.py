from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch

from . import catalog, conf


def settings_errors(
    defaults: dict[str, Any], get: Callable[[str], Any], *, app: str
) -> list[Error]:
    """An app's settings against their defaults' types: a flag is True or False, seconds a
    positive number, a count a positive integer, a path a string, a list a list of strings.
    Ids are ``<app>.E001`` (a count), ``E003`` (a flag), ``E004`` (seconds), ``E005`` (a
    string) and ``E007`` (a list)."""
    errors = []
    for name, default in defaults.items():
        value = get(name)
        if isinstance(default, str):
            if not isinstance(value, str):
                errors.append(Error(f"{name} must be a string, not {value!r}.", id=f"{app}.E005"))
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                errors.append(
                    Error(f"{name} must be True or False, not {value!r}.", id=f"{app}.E003")
                )
        elif isinstance(default, list | tuple):
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                errors.append(
                    Error(f"{name} must be a list of strings, not {value!r}.", id=f"{app}.E007")
                )
        elif isinstance(default, float):
            # Seconds: a fraction is fine.
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                errors.append(
                    Error(f"{name} must be a positive number, not {value!r}.", id=f"{app}.E004")
                )
        elif not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors.append(
                Error(f"{name} must be a positive integer, not {value!r}.", id=f"{app}.E001")
            )
    return errors


@register()
def check_limits(app_configs=None, **kwargs) -> list[Error]:
    errors = settings_errors(conf.DEFAULTS, conf.get, app="chat")
    if not errors and conf.get("CHAT_MAX_FRAME_LENGTH") <= conf.get("CHAT_MAX_MESSAGE_LENGTH"):
        errors.append(
            Error(
                "CHAT_MAX_FRAME_LENGTH must exceed CHAT_MAX_MESSAGE_LENGTH, or the longest "
                "allowed message could never arrive in a frame.",
                id="chat.E002",
            )
        )
    return errors


@register()
def check_catalog(app_configs=None, **kwargs) -> list[Error]:
    path = conf.get("CHAT_CATALOG")
    if not path or not isinstance(path, str):
        return []
    try:
        catalog._load(path)
    except ImportError as exc:
        return [
            Error(
                f"CHAT_CATALOG names {path!r}, which cannot be imported: {exc}",
                hint="Name a class such as shop.catalog.Catalog, or leave it empty for no shop.",
                id="chat.E006",
            )
        ]
    return []


@register(deploy=True)
def check_channel_layer(app_configs=None, **kwargs) -> list[Warning]:
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    if backend.endswith("InMemoryChannelLayer"):
        return [
            Warning(
                "The in-memory channel layer only reaches consumers of one process.",
                hint=(
                    "Set REDIS_URL (or REDIS_SENTINELS) so that several worker processes "
                    "share one channel layer."
                ),
                id="chat.W001",
            )
        ]
    return []


EMAIL_SETTINGS = ("CHAT_SITE_NAME", "CHAT_SITE_URL", "CHAT_CONSOLE_URL", "CHAT_TEAM_EMAILS")


@register()
def check_email_settings(app_configs=None, **kwargs) -> list[Error]:
    """What the chat's emails are sent to and link to: wrong, every email would be."""
    if settings_errors(
        {name: conf.DEFAULTS[name] for name in EMAIL_SETTINGS}, conf.get, app="chat"
    ):
        return []  # check_limits reports those
    errors = []
    for address in conf.get("CHAT_TEAM_EMAILS"):
        try:
            validate_email(address)
        except ValidationError:
            errors.append(
                Error(
                    f"CHAT_TEAM_EMAILS holds {address!r}, which is not an email address.",
                    id="chat.E008",
                )
            )
    site_url = conf.get("CHAT_SITE_URL")
    try:
        URLValidator(schemes=["http", "https"])(site_url)
    except ValidationError:
        errors.append(
            Error(
                f"CHAT_SITE_URL must be the site's http:// or https:// address, not {site_url!r}.",
                hint="Links in the chat's emails start with it, e.g. https://shop.example.com.",
                id="chat.E009",
            )
        )
    console = conf.get("CHAT_CONSOLE_URL")
    try:
        resolve_url(console)
    except NoReverseMatch:
        errors.append(
            Error(
                f"CHAT_CONSOLE_URL names {console!r}, which is neither a URL name nor a path.",
                hint="Give the URL name or the path of the page where staff answer left messages.",
                id="chat.E010",
            )
        )
    return errors


# Backends that never deliver: fine on a laptop, lost mail in production.
UNDELIVERED = {
    "django.core.mail.backends.console.EmailBackend": "printed on the console",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
    "django.core.mail.backends.dummy.EmailBackend": "dropped",
}


@register(deploy=True)
def check_email(app_configs=None, **kwargs) -> list[Warning]:
    if settings.DEBUG:
        return []
    warnings = []
    fate = UNDELIVERED.get(settings.EMAIL_BACKEND)
    if fate:
        warnings.append(
            Warning(
                f"Email is {fate}, not sent: visitors get no transcript and the team no "
                "notice of left messages.",
                hint="Set EMAIL_URL (smtp://user:password@host:587/?tls=1) or EMAIL_HOST.",
                id="chat.W002",
            )
        )
    if settings.DEFAULT_FROM_EMAIL == "webmaster@localhost":
        warnings.append(
            Warning(
                "DEFAULT_FROM_EMAIL is Django's placeholder webmaster@localhost, which mail "
                "servers refuse or file as spam.",
                hint="Set DEFAULT_FROM_EMAIL, e.g. 'Gopher Goods <chat@shop.example.com>'.",
                id="chat.W003",
            )
        )
    site_url = conf.get("CHAT_SITE_URL")
    if isinstance(site_url, str) and urlsplit(site_url).hostname in LOCAL_HOSTS:
        warnings.append(
            Warning(
                f"CHAT_SITE_URL is {site_url!r}: the links in the chat's emails lead to the "
                "reader's own machine.",
                hint="Set CHAT_SITE_URL to the site's address, e.g. https://shop.example.com.",
                id="chat.W004",
            )
        )
    return warnings


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


#: What other sites' chat boxes need of MIDDLEWARE (README, "Add the chat to an existing Django
#: project").
CROSS_ORIGIN_MIDDLEWARE = (
    "corsheaders.middleware.CorsMiddleware",
    "chat.middleware.VisitorSessionMiddleware",
)


@register()
def check_cross_origin_middleware(app_configs=None, **kwargs) -> list[Warning]:
    missing = [name for name in CROSS_ORIGIN_MIDDLEWARE if name not in settings.MIDDLEWARE]
    if not missing:
        return []
    return [
        Warning(
            "The chat box cannot work on other sites' pages: MIDDLEWARE lacks "
            + ", ".join(missing)
            + ".",
            hint=(
                "Put corsheaders.middleware.CorsMiddleware near the top of MIDDLEWARE and "
                "chat.middleware.VisitorSessionMiddleware in place of Django's "
                "SessionMiddleware; or silence chat.W005 if no other site embeds the chat."
            ),
            id="chat.W005",
        )
    ]
