"""Labels on conversations: agents put them on and take them off in the console; staff
define them in admin."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from .. import events, selectors
from ..models import Conversation, ConversationLabel, Label
from .base import ChatActionError, ConversationNotFound, LabelNotFound


def conversation_label_set(
    *, conversation_id: int, label_id: int, user: AbstractBaseUser, active: bool
) -> bool:
    """Put the label on the conversation (``active``) or take it off; True when that changed
    it, and every console's row of it changes with it.

    Any agent may label any conversation, whoever holds it, closed ones too: labels are how
    the team files its chats. Raises ConversationNotFound and LabelNotFound.
    """
    if not selectors.user_can_chat(user):
        raise ChatActionError("Only staff who may chat with visitors label conversations.")
    try:
        with transaction.atomic():
            if not Conversation.objects.filter(pk=conversation_id).exists():
                raise ConversationNotFound("There is no such conversation.")
            if not Label.objects.filter(pk=label_id).exists():
                raise LabelNotFound("There is no such label: it may have been deleted.")
            if active:
                _, changed = ConversationLabel.objects.get_or_create(
                    conversation_id=conversation_id, label_id=label_id, defaults={"added_by": user}
                )
            else:
                removed, _ = ConversationLabel.objects.filter(
                    conversation_id=conversation_id, label_id=label_id
                ).delete()
                changed = removed > 0
            if changed:
                events.publish(events.ConversationLabelled(conversation_id))
    except IntegrityError:
        # The label or the conversation was deleted as it was put on (checked at commit).
        if not Conversation.objects.filter(pk=conversation_id).exists():
            raise ConversationNotFound("There is no such conversation.") from None
        raise LabelNotFound("There is no such label: it may have been deleted.") from None
    return changed


def labels_publish() -> None:
    """Tell every console what it may label and filter by now (a label was saved or
    deleted in admin)."""
    events.publish(events.LabelsChanged())
