"""Reads of the console's own: canned responses as the console uses them, and how far an
agent has seen conversations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from . import canned, conf
from .models import CannedResponse, SeenConversation

#: What an agent may do with canned responses besides using them: Django's permissions on
#: the model, so admin and console agree (the "Agents" group has them all by default).
CANNED_ACTIONS = ("add", "change", "delete")


def canned_responses() -> list[dict[str, Any]]:
    """Every canned response, by shortcut, as the console uses them (``canned_response_data``)."""
    return [canned_response_data(response) for response in CannedResponse.objects.all()]


def canned_response_get(*, response_id: int) -> CannedResponse | None:
    return CannedResponse.objects.filter(pk=response_id).first()


def canned_response_data(response: CannedResponse) -> dict[str, Any]:
    """A canned response for the console: its fields, and its text as parts to join with the
    names (console.canned.text_parts)."""
    try:
        parts = canned.text_parts(response.text)
    except ValidationError:
        # Stored without validation (a script, say): inserted as written, never dropped.
        parts = [{"text": response.text}]
    return {
        "id": response.pk,
        "shortcut": response.shortcut,
        "title": response.title,
        "text": response.text,
        "parts": parts,
    }


def canned_permissions(*, user: AbstractBaseUser) -> dict[str, bool]:
    """Which of CANNED_ACTIONS ``user`` may take."""
    return {action: user.has_perm(f"console.{action}_cannedresponse") for action in CANNED_ACTIONS}


def canned_fallbacks() -> dict[str, str]:
    """What the console fills in for a placeholder whose value it does not know."""
    return {"visitor_name": conf.get("CONSOLE_VISITOR_NAME_FALLBACK")}


def seen_counts(*, user: AbstractBaseUser, conversation_ids: Iterable[int]) -> dict[int, int]:
    """How far ``user`` has seen each of the conversations that they ever saw: up to their
    visitor's n-th message, by conversation id."""
    return dict(
        SeenConversation.objects.filter(
            user=user, conversation_id__in=list(conversation_ids)
        ).values_list("conversation_id", "visitor_messages")
    )
