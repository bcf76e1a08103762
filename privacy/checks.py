"""The privacy app's settings, checked at start-up: a retention that is not a number of days
would keep data for ever, or delete it all, without a word."""

from django.core import checks

from . import conf


def _positive_whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@checks.register()
def settings_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    days = conf.get("CHAT_RETENTION_DAYS")
    if days is not None and not _positive_whole_number(days):
        errors.append(
            checks.Error(
                f"CHAT_RETENTION_DAYS must be a whole number of days, 1 or more, or None "
                f"(keep conversations until staff erase them), not {days!r}.",
                id="privacy.E001",
            )
        )
    if not _positive_whole_number(conf.get("CHAT_PURGE_BATCH_SIZE")):
        errors.append(
            checks.Error(
                "CHAT_PURGE_BATCH_SIZE must be a whole number, 1 or more, not "
                f"{conf.get('CHAT_PURGE_BATCH_SIZE')!r}.",
                id="privacy.E002",
            )
        )
    return errors
