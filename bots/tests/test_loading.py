import pytest

from bots import loading
from bots.agents import AgentCase
from bots.base import Bot, PageContext, Reply, ReplyKind
from bots.models import Agent, KnowledgeEntry, SampleQuestion

pytestmark = pytest.mark.django_db


class Echo(Bot):
    slug = "echo"
    default_name = "Echo"
    default_title = "Repeats you"

    def greeting(self) -> str:
        return "Say something."

    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        return Reply(question, ReplyKind.ANSWER)


def test_the_configured_bot_is_case_built_from_the_database():
    bot = loading.get_bot()
    assert isinstance(bot, AgentCase)
    assert len(bot.knowledge) == 9
    assert len(bot.sample_questions) == 7


def test_the_bot_is_built_once_per_revision():
    assert loading.get_bot() is loading.get_bot()


def test_an_edited_answer_is_used_on_the_next_question():
    bot = loading.get_bot()
    entry = KnowledgeEntry.objects.get(terms="starter code starter kit")
    entry.answer = "Use the new starter kit."
    entry.save()
    assert loading.get_bot() is not bot
    assert loading.get_bot().reply("Where can I get starter code?") == "Use the new starter kit."


@pytest.mark.parametrize(
    "edit",
    [
        lambda agent: KnowledgeEntry.objects.create(agent=agent, terms="price", answer="Cheap."),
        lambda agent: KnowledgeEntry.objects.filter(agent=agent).first().delete(),
        lambda agent: SampleQuestion.objects.create(agent=agent, text="Why?"),
        lambda agent: SampleQuestion.objects.filter(agent=agent).delete(),
        lambda agent: (setattr(agent, "name", "Molly"), agent.save()),
    ],
)
def test_every_kind_of_edit_bumps_the_revision(edit):
    agent = Agent.objects.get(slug="case")
    edit(agent)
    assert Agent.objects.get(slug="case").revision > agent.revision


def test_another_process_editing_is_noticed_through_the_database():
    loading.get_bot()
    # As if another worker process had saved an edit: only the database knows.
    Agent.objects.filter(slug="case").update(name="Molly", revision=999)
    assert loading.get_bot().name == "Molly"


def test_a_second_bot_class_is_one_setting_away(settings):
    settings.CHAT_BOT = f"{__name__}.Echo"
    bot = loading.get_bot()
    assert isinstance(bot, Echo)
    assert bot.reply("ping") == "ping"
    # Its editable profile is created from the class defaults.
    assert Agent.objects.get(slug="echo").name == "Echo"


def test_system_checks_report_a_bad_bot_path(settings):
    from bots.checks import check_chat_bot

    settings.CHAT_BOT = "bots.agents.NoSuchBot"
    assert [error.id for error in check_chat_bot()] == ["bots.E001"]
    settings.CHAT_BOT = "bots.matching.KnowledgeIndex"
    assert [error.id for error in check_chat_bot()] == ["bots.E002"]
    settings.CHAT_BOT = "bots.agents.AgentCase"
    assert check_chat_bot() == []
