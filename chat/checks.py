from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from . import catalog, conf


def settings_errors(
    defaults: dict[str, Any], get: Callable[[str], Any], *, app: str
) -> list[Error]:
    """An app's settings against their defaults' types: a flag is True or False, seconds a
    positive number, a count a positive integer, a path a string. Ids are ``<app>.E001``
    (a count), ``E003`` (a flag), ``E004`` (seconds) and ``E005`` (a string)."""
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
                "SessionMiddleware; or silence chat.W002 if no other site embeds the chat."
            ),
            id="chat.W002",
        )
    ]
