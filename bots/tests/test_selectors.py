import pytest

from bots.models import Agent, KnowledgeEntry
from bots.selectors import agent_exists, knowledge_export_rows

pytestmark = pytest.mark.django_db


def test_export_rows_are_in_the_order_entries_were_made():
    rows = knowledge_export_rows(agent_slug="case")
    assert len(rows) == 9
    assert rows[0].terms == "isomorphic go isomorphic go web applications"
    KnowledgeEntry.objects.create(agent=Agent.objects.get(slug="case"), terms="a", answer="b")
    assert knowledge_export_rows(agent_slug="case")[-1].terms == "a"
    with pytest.raises(Agent.DoesNotExist):
        knowledge_export_rows(agent_slug="nobody")


def test_agent_exists():
    assert agent_exists(slug="case")
    assert not agent_exists(slug="nobody")
