"""The bot's profile renamed from Agent to BotProfile: every row and every link is kept."""

import pytest

from testsupport.migrations import migrate, migrated_back

BEFORE = [("bots", "0008_case_out_of_scope")]
AFTER = [("bots", "0009_bot_profile")]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def old_apps():
    with migrated_back(BEFORE) as apps:
        yield apps


def test_renaming_the_profile_keeps_every_row_and_link(old_apps):
    Agent = old_apps.get_model("bots", "Agent")
    Entry = old_apps.get_model("bots", "KnowledgeEntry")
    Unanswered = old_apps.get_model("bots", "UnansweredQuestion")
    molly = Agent.objects.create(slug="molly", name="Molly", thumbnail_path="x.png", revision=7)
    Entry.objects.create(agent=molly, terms="kick", answer="Kick is a tool.")
    Unanswered.objects.create(agent=molly, key="ship canada", text="Ship to Canada?")
    profiles = sorted(Agent.objects.values_list("pk", "slug", "name", "revision"))
    entries = sorted(Entry.objects.values_list("pk", "agent_id", "terms", "answer"))
    sample_links = sorted(
        old_apps.get_model("bots", "SampleQuestion").objects.values_list("pk", "agent_id")
    )

    new_apps = migrate(AFTER)

    Profile = new_apps.get_model("bots", "BotProfile")
    Entry = new_apps.get_model("bots", "KnowledgeEntry")
    assert sorted(Profile.objects.values_list("pk", "slug", "name", "revision")) == profiles
    assert sorted(Entry.objects.values_list("pk", "profile_id", "terms", "answer")) == entries
    assert (
        sorted(new_apps.get_model("bots", "SampleQuestion").objects.values_list("pk", "profile_id"))
        == sample_links
    )
    question = new_apps.get_model("bots", "UnansweredQuestion").objects.get(key="ship canada")
    assert question.profile_id == molly.pk
