"""What the staff console reads from its page (``{% console_config %}``): its socket and the
chat's limits of a message, and where its canned responses are, as the chat box reads its own
(``chat.frontend``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from chat.frontend import shared_config

from . import routing


def console_config() -> dict[str, Any]:
    return shared_config() | {
        "socket_path": "/" + routing.CONSOLE_SOCKET_PATH,
        # The team's canned responses (console.views): read, and edited in the console.
        "canned_url": reverse("console:canned_responses"),
    }
