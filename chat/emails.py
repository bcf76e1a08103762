"""The chat's emails: a visitor's transcript, and the team's notice of a left message.

Each is rendered from templates (``chat/templates/chat/email/<name>.txt`` and ``.html``) into a
text part and an HTML part, in the active language; the HTML is autoescaped, so what a visitor
wrote arrives as text, never as markup. Links are absolute, from CHAT_SITE_URL. Building an
email sends nothing: the caller sends it and decides what a failure means.
"""

from __future__ import annotations

from email.utils import formataddr
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.translation import gettext

from . import conf, protocol
from .models import Conversation, LeftMessage, Message

# Mail sent by a program, not a person: no auto-replies back to it (RFC 3834).
HEADERS = {"Auto-Submitted": "auto-generated"}


def transcript_email(
    *, conversation: Conversation, messages: list[Message], left_out: int = 0, to: str
) -> EmailMultiAlternatives:
    """The conversation's messages, with who wrote them and when, to the visitor's address."""
    site_name = conf.get("CHAT_SITE_NAME")
    subject = gettext("Your chat with %(site_name)s") % {"site_name": site_name}
    lines = [
        {
            "sender": gettext("You") if m.sender_role == Message.Role.VISITOR else m.sender_name,
            "title": m.sender_title if m.sender_role == Message.Role.AGENT else "",
            "from_visitor": m.sender_role == Message.Role.VISITOR,
            "text": m.text,
            "sent_at": m.sent_at,
        }
        for m in messages
    ]
    context = {"lines": lines, "left_out": left_out, "started": conversation.created_at}
    return _email("transcript", subject=subject, context=context, to=[to])


def left_message_email(*, left: LeftMessage, to: list[str]) -> EmailMultiAlternatives:
    """What the visitor left, to the team; replying answers the visitor."""
    name = one_line(left.name)
    subject = gettext("%(name)s left a message on %(site_name)s") % {
        "name": name,
        "site_name": conf.get("CHAT_SITE_NAME"),
    }
    # Only a path of the site is linked: the page is whatever the visitor's browser sent.
    page_url = absolute(left.page) if protocol.PAGE_PATTERN.fullmatch(left.page) else ""
    context = {
        "left": left,
        "name": name,
        "page_url": page_url,
        "console_url": absolute(resolve_url(conf.get("CHAT_CONSOLE_URL"))),
    }
    return _email(
        "left_message",
        subject=subject,
        context=context,
        to=to,
        reply_to=[formataddr((name, left.email))],
    )


def absolute(path: str) -> str:
    """A path of the site as a link that works from a mail client."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{conf.get('CHAT_SITE_URL').rstrip('/')}/{path.lstrip('/')}"


def one_line(text: str) -> str:
    """Text for a header (a subject, a name): a line break there would be refused."""
    return " ".join(text.split())


def _email(
    template: str,
    *,
    subject: str,
    context: dict[str, Any],
    to: list[str],
    reply_to: list[str] | None = None,
) -> EmailMultiAlternatives:
    subject = one_line(subject)
    context = {
        **context,
        "subject": subject,
        "site_name": conf.get("CHAT_SITE_NAME"),
        "site_url": absolute("/"),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"chat/email/{template}.txt", context),
        to=to,
        reply_to=reply_to,
        headers=dict(HEADERS),
    )
    message.attach_alternative(
        render_to_string(f"chat/email/{template}.html", context), "text/html"
    )
    return message
