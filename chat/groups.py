"""Channel-layer group names: built here only, from ids, never from user text.

Group names may hold only ASCII letters, digits, '-', '_' and '.', and must be
shorter than 100 characters; channel names may hold '!' and more, so a
connection's group is named after a digest of its channel name.
"""

import hashlib


def connection_group(channel_name: str) -> str:
    """The private group of one WebSocket connection."""
    return "chat.connection." + hashlib.sha256(channel_name.encode()).hexdigest()[:40]


def conversation_group(conversation_id: int) -> str:
    """Every connection showing one conversation (a visitor's open tabs)."""
    return f"chat.conversation.{int(conversation_id)}"
