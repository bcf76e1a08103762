"""What the staff console reads from its page (``{% console_config %}``): its socket and the
chat's limits of a message, as the chat box reads its own (``chat.frontend``)."""

from __future__ import annotations

from typing import Any

from chat.frontend import shared_config

from . import routing


def console_config() -> dict[str, Any]:
    return shared_config() | {"socket_path": "/" + routing.CONSOLE_SOCKET_PATH}
