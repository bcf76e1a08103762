"""``{% chat_box_config as config %}`` and ``{% console_config as config %}``: the page's
config (chat.frontend), for its ``json_script`` and its fields' limits."""

from django import template

from chat import frontend

register = template.Library()


@register.simple_tag
def chat_box_config() -> dict:
    return frontend.chat_box_config()


@register.simple_tag
def console_config() -> dict:
    return frontend.console_config()
