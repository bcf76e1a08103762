"""``{% chat_box_config as config %}``: the chat box's config (chat.frontend), for its
``json_script`` and its fields' limits."""

from django import template

from chat import frontend

register = template.Library()


@register.simple_tag
def chat_box_config() -> dict:
    # The page writes nothing for the chat: most visitors never open it. The box's first
    # request when it opens (/restapi/get-agent-info) starts the visitor's session.
    return frontend.chat_box_config()
