"""What the chat box reads from its page: the server's own limits, URLs and intervals,
rendered into the page with ``json_script`` (``{% chat_box_config %}``), so that nothing the
server defines is written again in JavaScript or in a template. The staff console's page
does the same (``console.frontend``)."""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import conf, protocol, routing, selectors
from .models import LeftMessage

#: How often a chat box asks whether the chat is online while its socket is closed.
STATUS_POLL_SECONDS = 30
#: The answers to "How was this chat?", worst first.
RATING_CHOICES = (
    (1, _("Very bad")),
    (2, _("Bad")),
    (3, _("OK")),
    (4, _("Good")),
    (5, _("Very good")),
)


def shared_config() -> dict[str, Any]:
    """What both the chat box and the staff console read: the limits of a message."""
    return {
        "max_text_length": conf.get("CHAT_MAX_MESSAGE_LENGTH"),
        "max_attachments": protocol.MAX_ATTACHMENTS,
        "max_actions": protocol.MAX_ACTIONS,
    }


def chat_box_config(*, base_url: str = "") -> dict[str, Any]:
    """The visitor's chat box: its socket, its HTTP endpoints, its limits, its look.

    ``base_url`` is the chat server's origin ("https://chat.example.com") when the box is on a
    page of another site (the embed script's fragment, chat.views.widget), and "" on the
    site's own pages: the box resolves every path here (``socket_path`` and the ``*_url``s)
    against it, or against its page when it is empty."""
    left = LeftMessage._meta
    look = selectors.chat_box_settings()
    return shared_config() | {
        "base_url": base_url,
        "theme": {
            "primary_color": look.primary_color,
            "launcher_side": look.launcher_side,
            "welcome_text": look.welcome_text,
        },
        # Shown while the chat is out of business hours ("out_of_hours" in its status): staff's
        # words, or the chat's own in the page's language.
        "away_text": selectors.away_text(),
        "socket_path": "/" + routing.VISITOR_SOCKET_PATH,
        "agent_info_url": reverse("chat:agent_info"),
        "status_url": reverse("chat:chat_status"),
        "leave_message_url": reverse("chat:leave_message"),
        "transcript_url": reverse("chat:transcript"),
        "status_poll_ms": STATUS_POLL_SECONDS * 1000,
        "max_value_length": protocol.MAX_VALUE_LENGTH,
        "max_name_length": left.get_field("name").max_length,
        "max_email_length": left.get_field("email").max_length,
        "rating_choices": [[score, str(label)] for score, label in RATING_CHOICES],
        "max_rating_comment_length": protocol.MAX_COMMENT_LENGTH,
        # A person's reply always sounds (unless muted); the bot's only if the site wants.
        "sound_bot_replies": conf.get("CHAT_SOUND_BOT_REPLIES"),
        # What the loader (embed.js) fetches when the visitor first opens the box.
        "script_url": static("chat/chat.js"),
        "stylesheet_url": static("chat/chat.css"),
        # The box's words for its script, in the language the page is shown in.
        "catalog_url": reverse(
            "chat:javascript_catalog", kwargs={"language": translation.get_language()}
        ),
    }
