"""System checks: a misconfigured bot is reported at start-up, not on the first question."""

from django.core.checks import Error, register

from . import conf
from .base import Bot


@register()
def check_chat_bot(app_configs=None, **kwargs) -> list[Error]:
    from django.utils.module_loading import import_string

    path = conf.get("CHAT_BOT")
    try:
        cls = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"CHAT_BOT {path!r} cannot be imported: {exc}",
                hint="Set CHAT_BOT to the dotted path of a bots.base.Bot subclass.",
                id="bots.E001",
            )
        ]
    if not (isinstance(cls, type) and issubclass(cls, Bot)) or getattr(cls, "slug", None) is None:
        return [
            Error(
                f"CHAT_BOT {path!r} is not a bots.base.Bot subclass with a slug.",
                hint="Subclass bots.base.Bot and set its slug, name and title.",
                id="bots.E002",
            )
        ]
    return []
