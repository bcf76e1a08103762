"""The team hears of what visitors left for them, by email: a subscriber of ``chat.events``.

A left message is stored whatever happens here. The email leaves after the commit (a message
rolled back is never announced), in the site's language rather than the visitor's, to
CHAT_TEAM_EMAILS and the staff who may chat (``selectors.team_email_addresses``); with nobody
to tell, nothing is sent. A mail server that fails is logged, and the message waits in the
staff console and admin all the same.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import translation

from . import emails, events, selectors
from .models import LeftMessage

logger = logging.getLogger(__name__)


def announce(announced: Sequence[events.Event]) -> None:
    for event in announced:
        if isinstance(event, events.LeftMessageCreated):
            left = event.left_message
            # robust: whatever fails here, the visitor's message is stored and answered 201.
            transaction.on_commit(lambda left=left: team_notify(left=left), robust=True)


def team_notify(*, left: LeftMessage) -> None:
    """Email the team a left message; a failing mail server is logged, never raised."""
    recipients = selectors.team_email_addresses()
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        message = emails.left_message_email(left=left, to=recipients)
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception(
            "The team could not be emailed about left message %s; it waits in the staff console.",
            left.pk,
        )
