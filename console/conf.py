"""The console's settings with defaults, read when needed (never at import time).

Override any of them in the project settings, e.g. ``CONSOLE_VISITOR_NAME_FALLBACK = "Kunde"``.
"""

from typing import Any

from django.conf import settings

DEFAULTS = {
    # What {visitor_name} in a canned response becomes while the chat does not know the
    # visitor's name, which is most of the time (visitors chat unnamed; a name is known once
    # they leave a message): "Hi {visitor_name}!" reads "Hi there!".
    "CONSOLE_VISITOR_NAME_FALLBACK": "there",
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
