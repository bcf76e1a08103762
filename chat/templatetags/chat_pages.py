"""``{% chat_box_config as config %}``: the chat box's config (chat.frontend), for its
``json_script`` and its fields' limits."""

from django import template

from chat import frontend

register = template.Library()


@register.simple_tag(takes_context=True)
def chat_box_config(context) -> dict:
    # The page writes nothing for the chat: most visitors never open it. The box's first
    # request when it opens (/restapi/get-agent-info) starts the visitor's session.
    # ``chat_base_url``: the chat server's origin when the box goes on another site's page
    # (chat.views.widget); absent on the site's own pages.
    return frontend.chat_box_config(base_url=context.get("chat_base_url", ""))
