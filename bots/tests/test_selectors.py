import pytest

from bots.models import BotProfile, KnowledgeEntry
from bots.selectors import knowledge_export_rows, profile_exists

pytestmark = pytest.mark.django_db


def test_export_rows_are_in_the_order_entries_were_made():
    rows = knowledge_export_rows(bot_slug="case")
    assert len(rows) == 9
    assert rows[0].terms == "isomorphic go isomorphic go web applications"
    KnowledgeEntry.objects.create(
        profile=BotProfile.objects.get(slug="case"), terms="a", answer="b"
    )
    assert knowledge_export_rows(bot_slug="case")[-1].terms == "a"
    with pytest.raises(BotProfile.DoesNotExist):
        knowledge_export_rows(bot_slug="nobody")


def test_agent_exists():
    assert profile_exists(slug="case")
    assert not profile_exists(slug="nobody")
