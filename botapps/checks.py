from django.core.checks import Error, register

from chat.checks import settings_errors

from . import conf


@register()
def check_settings(app_configs=None, **kwargs) -> list[Error]:
    return settings_errors(conf.DEFAULTS, conf.get, app="botapps")
