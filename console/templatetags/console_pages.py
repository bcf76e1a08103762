"""``{% console_config as config %}``: the console page's config (console.frontend), for its
``json_script``."""

from django import template

from console import frontend

register = template.Library()


@register.simple_tag
def console_config() -> dict:
    return frontend.console_config()
