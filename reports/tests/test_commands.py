from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reports.models import ConversationFigures

from .conftest import MONDAY, conversation

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("reports_figures", *args, stdout=out)
    return out.getvalue()


def test_the_figures_are_computed_ahead_then_only_what_changed(db):
    from django.utils import timezone

    today = timezone.now()
    conversation(today, ("visitor", 0), ("bot", 1))
    conversation(today, ("visitor", 0))
    conversation(MONDAY, ("visitor", 0))  # long before the last 30 days
    assert "of 2 conversations of the last 30 days" in run("--days", "30")
    assert ConversationFigures.objects.count() == 2
    assert "of 0 conversations" in run("--days", "30")


def test_days_are_1_or_more():
    with pytest.raises(CommandError, match="--days must be 1 or more"):
        run("--days", "0")
