"""The visitor's rating of a chat: given once, after it closed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import events
from ..models import Conversation
from .base import AlreadyRated, ConversationNotClosed, State, _conversation_or_error


def conversation_rate(*, conversation_id: int, score: int, comment: str = "") -> None:
    """Keep the visitor's rating (1 to 5, and what they wrote) of the closed conversation.

    Raises ConversationNotClosed while it is going on, AlreadyRated when it has a rating
    (a second one, from another tab say, changes nothing).
    """
    with transaction.atomic():
        rated = Conversation.objects.filter(
            pk=conversation_id, state=State.CLOSED, rating_score__isnull=True
        ).update(rating_score=score, rating_comment=comment, rated_at=timezone.now())
        if not rated:
            if _conversation_or_error(conversation_id).state != State.CLOSED:
                raise ConversationNotClosed("Rate the chat once it has ended.")
            raise AlreadyRated("This chat has been rated already.")
        events.publish(events.ConversationRated(conversation_id))
