"""Channel-layer group names: built here only, from ids, never from user text.

Group names may hold only ASCII letters, digits, '-', '_' and '.', and must be
shorter than 100 characters. What answers one connection its consumer sends itself; each
connection is also in a private group of its own (``connection_group``), by which any
process can address that one socket.
"""

import hashlib

STAFF_INBOX_GROUP = "chat.staff.inbox"
VISITORS_GROUP = "chat.visitors"


def connection_group(channel_name: str) -> str:
    """One socket alone, named after its channel (whose name the channel layer made, and
    may hold characters no group name may: it is hashed)."""
    return "chat.connection." + hashlib.sha1(channel_name.encode()).hexdigest()


def conversation_group(conversation_id: int) -> str:
    """The visitor's side of one conversation: every tab they have it open in."""
    return f"chat.conversation.{int(conversation_id)}"


def conversation_staff_group(conversation_id: int) -> str:
    """The staff consoles that have one conversation open."""
    return f"chat.conversation.{int(conversation_id)}.staff"


def staff_inbox_group() -> str:
    """Every open staff console: the conversation list and who is present."""
    return STAFF_INBOX_GROUP


def visitors_group() -> str:
    """Every visitor's chat box: whether the chat is online."""
    return VISITORS_GROUP
