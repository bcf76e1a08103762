"""A visitor's transcript by email: their conversation now, sent to the address they give,
within the limits per visitor and per address."""

from __future__ import annotations

import logging
import math
import smtplib

from django.utils.translation import gettext, ngettext

from .. import conf, emails, selectors
from ..ratelimit import Refused, Taken, WindowLimit
from .base import ChatActionError, ConversationNotFound

logger = logging.getLogger(__name__)


class TranscriptRateLimited(ChatActionError):
    """Too many transcripts for this visitor, or to this address: ask again later."""

    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TranscriptNotSent(ChatActionError):
    """The mail server could not be reached or refused it; nothing was counted."""

    code = "not_sent"


def transcript_send(*, session_key: str, email: str) -> None:
    """Email the visitor's conversation now (the open one, else the one closed last) to
    ``email``.

    Only transcripts that were sent count against the limits: a use is taken from each limit
    before sending (so two requests at once cannot both take the last one), and given back if
    the mail server fails. A refusal counts nothing.
    """
    conversation = selectors.visitor_conversation_latest(session_key=session_key)
    if conversation is None:
        raise ConversationNotFound(
            gettext("There is no chat to send yet: write to us first, then ask for it.")
        )
    taken = _limits_take(session_key=session_key, email=email)
    messages, left_out = selectors.conversation_transcript(conversation_id=conversation.pk)
    message = emails.transcript_email(
        conversation=conversation, messages=messages, left_out=left_out, to=email
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        for limit, use in taken:
            limit.give_back(use)
        logger.warning(
            "The transcript of conversation %s could not be sent: %r", conversation.pk, exc
        )
        raise TranscriptNotSent(
            gettext("Your transcript could not be sent just now. Please try again in a moment.")
        ) from exc


def _limits_take(*, session_key: str, email: str) -> list[tuple[WindowLimit, Taken]]:
    """One use of the visitor's limit and of the address's, or TranscriptRateLimited with
    neither taken."""
    limits = [
        (
            WindowLimit(
                "transcript-visitor",
                limit=conf.get("CHAT_TRANSCRIPTS_PER_VISITOR"),
                seconds=conf.get("CHAT_TRANSCRIPTS_PER_VISITOR_SECONDS"),
            ),
            session_key,
        ),
        (
            WindowLimit(
                "transcript-address",
                limit=conf.get("CHAT_TRANSCRIPTS_PER_ADDRESS"),
                seconds=conf.get("CHAT_TRANSCRIPTS_PER_ADDRESS_SECONDS"),
            ),
            # One mailbox, however its address is written.
            email.strip().lower(),
        ),
    ]
    taken: list[tuple[WindowLimit, Taken]] = []
    for limit, thing in limits:
        outcome = limit.take(thing)
        if isinstance(outcome, Refused):
            for earlier, use in taken:
                earlier.give_back(use)
            raise TranscriptRateLimited(_wait(outcome.retry_after), retry_after=outcome.retry_after)
        taken.append((limit, outcome))
    return taken


def _wait(seconds: int) -> str:
    if seconds < 60 * 60:
        minutes = max(1, math.ceil(seconds / 60))
        return ngettext(
            "Too many transcripts were asked for. Please try again in %(count)d minute.",
            "Too many transcripts were asked for. Please try again in %(count)d minutes.",
            minutes,
        ) % {"count": minutes}
    hours = math.ceil(seconds / (60 * 60))
    return ngettext(
        "Too many transcripts were asked for. Please try again in %(count)d hour.",
        "Too many transcripts were asked for. Please try again in %(count)d hours.",
        hours,
    ) % {"count": hours}
