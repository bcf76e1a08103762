"""The one place real-time events leave from. Services call it; nothing else does.

Events are sent after the database transaction that caused them commits, so a
client is never told about a message that is not stored.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import groups, protocol
from .models import Message


def _group_send(group: str, event: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(group, event)


def publish_message(message: Message) -> None:
    """Show a new message on every connection of its conversation."""
    event = {"type": "chat.send", "frame": protocol.message_frame(message)}
    group = groups.conversation_group(message.conversation_id)
    transaction.on_commit(lambda: _group_send(group, event))


def send_to_connection(channel_name: str, frame: dict) -> None:
    """Send a frame to one connection only (an answer meant for it alone)."""
    event = {"type": "chat.send", "frame": frame}
    group = groups.connection_group(channel_name)
    transaction.on_commit(lambda: _group_send(group, event))
