"""``{% chat_box_config as config %}``: the chat box's config (chat.frontend), for its
``json_script`` and its fields' limits."""

from django import template

from chat import frontend

register = template.Library()


@register.simple_tag(takes_context=True)
def chat_box_config(context: template.Context) -> dict:
    # A page with the chat box makes sure the visitor has a session before the box's socket
    # opens: the socket finds the visitor's conversation by its cookie.
    request = context.get("request")
    if request is not None:
        request.session.setdefault("chat_visitor", True)
    return frontend.chat_box_config()
