"""``{% load chat %}{% chat_widget %}``: the chat box on a page of a Django project that installs
the chat app; its markup, its config, its style sheet and its script, in one tag.

Put it at the end of the page's ``<body>``, after the page's own content: the keyboard and
screen readers reach the page first.
"""

from django import template

register = template.Library()


@register.inclusion_tag("chat/widget.html", takes_context=True)
def chat_widget(context) -> dict:
    # The inclusion tag's template sees only what is returned here (and the page's CSRF token,
    # which Django passes on by itself): the box's "leave a message" form posts with it.
    return {"request": context.get("request")}
