"""manage.py purge_chat_data: what a daily cron job runs where the scheduler does not."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from chat.models import Conversation

from .conftest import conversation

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_chat_data", *args, stdout=out)
    return out.getvalue()


def test_it_says_what_it_deleted(settings, jane):
    settings.CHAT_RETENTION_DAYS = 7
    for n in range(3):
        conversation(f"{n:032d}", ("visitor", "hi"), ("bot", "hello"), ago=8 * DAY)
    Session.objects.filter(pk=jane.sessions[0]).update(expire_date=timezone.now() - DAY)
    out = purge()
    assert out.startswith("Past retention (7 days: last activity before ")
    assert "  3 conversations\n  6 messages\n" in out
    assert out.endswith("Expired sessions: 1\n")
    assert Conversation.objects.count() == len(jane.conversations)


def test_batch_by_batch_when_asked(settings):
    settings.CHAT_RETENTION_DAYS = 7
    for n in range(3):
        conversation(f"{n:032d}", ("visitor", "hi"), ago=8 * DAY)
    out = purge("--batch-size", "2", "--verbosity", "2")
    assert out.count("  batch: ") == 2
    assert "  batch: 2 conversations, 2 messages\n" in out
    assert "  batch: 1 conversation, 1 message\n" in out


def test_with_retention_off_it_says_so_and_still_clears_sessions(jane):
    out = purge()
    assert out == (
        "Retention is off (CHAT_RETENTION_DAYS is not set): nothing is due.\nExpired sessions: 0\n"
    )
    assert Conversation.objects.count() == 3


def test_nothing_due_is_said_too(settings):
    settings.CHAT_RETENTION_DAYS = 30
    assert "  nothing\n" in purge()


def test_a_batch_of_none_is_refused():
    with pytest.raises(CommandError, match="--batch-size must be 1 or more"):
        purge("--batch-size", "0")
