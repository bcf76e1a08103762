"""Channel-layer group names: built here only, from ids, never from user text.

Group names may hold only ASCII letters, digits, '-', '_' and '.', and must be
shorter than 100 characters. A single connection needs no group: what is meant
for it alone, its consumer sends itself.
"""

STAFF_INBOX_GROUP = "chat.staff.inbox"
VISITORS_GROUP = "chat.visitors"


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
