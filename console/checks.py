from django.core.checks import Error, register

from chat.checks import settings_errors

from . import conf


@register()
def check_settings(app_configs=None, **kwargs) -> list[Error]:
    """console.E005: a setting of the wrong type (chat.checks.settings_errors)."""
    return settings_errors(conf.DEFAULTS, conf.get, app="console")
