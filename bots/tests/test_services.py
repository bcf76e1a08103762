from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone

from bots import loading, services
from bots.base import ReplyKind
from bots.importexport import KnowledgeRow
from bots.models import BotProfile, ExampleQuestion, KnowledgeEntry, UnansweredQuestion
from bots.services import (
    ImportResult,
    knowledge_import,
    unanswered_question_add_example,
    unanswered_question_add_terms,
    unanswered_question_record,
    unanswered_question_to_entry,
    unanswered_question_to_out_of_scope,
)
from testsupport.harness import require_concurrent_writers, run_at_once

pytestmark = pytest.mark.django_db

NONSENSE = "Can gophers juggle flaming pineapples?"


def case() -> BotProfile:
    return BotProfile.objects.get(slug="case")


# --------------------------------------------------------------------------- recording


def test_a_question_is_recorded_with_its_page():
    unanswered_question_record(bot_slug="case", text="  Can gophers swim?  ", page="/products/1/")
    question = UnansweredQuestion.objects.get()
    assert question.profile == case()
    assert question.text == "Can gophers swim?"
    assert question.count == 1
    assert question.last_page == "/products/1/"
    assert question.first_asked == question.last_asked


def test_asking_again_counts_and_moves_last_asked_and_page():
    unanswered_question_record(bot_slug="case", text="Can gophers swim?", page="/a/")
    first = UnansweredQuestion.objects.get()
    unanswered_question_record(bot_slug="case", text="Can gophers swim?", page="/b/")
    question = UnansweredQuestion.objects.get()
    assert question.count == 2
    assert question.last_page == "/b/"
    assert question.first_asked == first.first_asked
    assert question.last_asked >= first.last_asked
    # The question is kept as it was first asked.
    assert question.text == "Can gophers swim?"


@pytest.mark.parametrize(
    "variant",
    ["what is x", "What is X?", "  WHAT   is\tx ?!", "what is x...", "What is X？"],
)
def test_ways_of_asking_the_same_are_grouped(variant):
    unanswered_question_record(bot_slug="case", text="What is X?")
    unanswered_question_record(bot_slug="case", text=variant)
    assert UnansweredQuestion.objects.get().count == 2


@pytest.mark.parametrize("other", ["What is Y?", "what is x y", "what? is x"])
def test_different_questions_are_not_grouped(other):
    unanswered_question_record(bot_slug="case", text="What is X?")
    unanswered_question_record(bot_slug="case", text=other)
    assert UnansweredQuestion.objects.count() == 2


def test_questions_asked_in_other_words_are_grouped_by_meaning(semantics):
    unanswered_question_record(bot_slug="case", text="Can gophers swim?")
    unanswered_question_record(bot_slug="case", text="can a gopher swim", page="/about/")
    unanswered_question_record(bot_slug="case", text="Do you ship to Canada?")
    unanswered_question_record(bot_slug="case", text="Do you ship to Mexico?")
    unanswered_question_record(bot_slug="case", text="Rarely asked?")
    unanswered_question_record(bot_slug="case", text="Often asked?")
    grouped = dict(UnansweredQuestion.objects.values_list("text", "count"))
    # One row for the two ways of asking about swimming, kept as first asked, counting both.
    assert grouped == {
        "Can gophers swim?": 2,
        "Do you ship to Canada?": 1,
        "Do you ship to Mexico?": 1,
        "Rarely asked?": 1,
        "Often asked?": 1,
    }
    assert UnansweredQuestion.objects.get(text="Can gophers swim?").last_page == "/about/"


def test_without_the_model_only_the_same_words_are_grouped(settings):
    settings.BOT_SEMANTIC = False
    unanswered_question_record(bot_slug="case", text="Can gophers swim?")
    unanswered_question_record(bot_slug="case", text="can a gopher swim")
    assert UnansweredQuestion.objects.count() == 2
    assert UnansweredQuestion.objects.filter(vector__isnull=False).count() == 0


def test_normalize():
    assert UnansweredQuestion.normalize("  What  IS  Straße?! ") == "what is strasse"
    assert UnansweredQuestion.normalize("?!") == ""
    assert UnansweredQuestion.key_for("What is X?") == UnansweredQuestion.key_for("what is x")
    assert len(UnansweredQuestion.key_for("x" * 5000)) == 64


def test_unknown_agent_or_blank_text_records_nothing():
    unanswered_question_record(bot_slug="nobody", text="Hello?")
    unanswered_question_record(bot_slug="case", text="   ")
    unanswered_question_record(bot_slug="case", text=" ?! ")
    assert not UnansweredQuestion.objects.exists()


def test_long_text_and_page_are_cut_to_fit():
    unanswered_question_record(bot_slug="case", text="x" * 2500, page="/" + "p" * 400)
    question = UnansweredQuestion.objects.get()
    assert len(question.text) == 2000
    assert len(question.last_page) == 300


def test_each_agent_has_its_own_questions():
    BotProfile.objects.create(slug="molly", name="Molly", thumbnail_path="x.png")
    unanswered_question_record(bot_slug="case", text="Hello?")
    unanswered_question_record(bot_slug="molly", text="Hello?")
    assert UnansweredQuestion.objects.filter(count=1).count() == 2


def test_losing_the_race_to_create_still_counts(monkeypatch):
    """Another process inserts the question between our update (nothing to count yet) and our
    insert: the unique constraint refuses ours, and the asking is counted on theirs."""
    real_bump = services._unanswered_question_bump
    calls = []

    def bump_racing_another_process(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            # Our update found nothing; meanwhile, the other process commits its row.
            UnansweredQuestion.objects.create(
                profile=case(), key=kwargs["key"], text="what is x", last_page="/other/"
            )
            return False
        return real_bump(**kwargs)

    monkeypatch.setattr(services, "_unanswered_question_bump", bump_racing_another_process)
    unanswered_question_record(bot_slug="case", text="What is X?", page="/mine/")
    question = UnansweredQuestion.objects.get()
    assert question.count == 2
    assert question.last_page == "/mine/"
    assert len(calls) == 2


def test_the_unique_constraint_refuses_a_second_row_for_one_question():
    unanswered_question_record(bot_slug="case", text="What is X?")
    with pytest.raises(IntegrityError):
        UnansweredQuestion.objects.create(
            profile=case(), key=UnansweredQuestion.key_for("what is x"), text="what is x"
        )


# --------------------------------------------------------------------------- answering


def recorded(text: str = NONSENSE) -> UnansweredQuestion:
    unanswered_question_record(bot_slug="case", text=text)
    return UnansweredQuestion.objects.get(key=UnansweredQuestion.key_for(text))


def test_words():
    question = UnansweredQuestion(text="Does Go have react-like Cogs? Don't know, go!")
    assert question.words == ["does", "go", "have", "react-like", "cogs", "don't", "know"]


def test_a_question_becomes_a_new_entry_the_bot_answers():
    assert loading.get_bot().respond(NONSENSE).kind == ReplyKind.FALLBACK
    question = recorded()
    revision = case().revision
    entry = unanswered_question_to_entry(
        question=question, terms="  gophers juggle pineapples ", answer=" Only on Sundays. "
    )
    assert (entry.profile, entry.terms, entry.answer) == (
        case(),
        "gophers juggle pineapples",
        "Only on Sundays.",
    )
    assert not UnansweredQuestion.objects.exists()
    assert question.pk is not None  # the caller's instance is left as it was
    assert case().revision > revision
    reply = loading.get_bot().respond(NONSENSE)
    assert (reply.kind, reply.text, reply.entry_key) == (
        ReplyKind.ANSWER,
        "Only on Sundays.",
        str(entry.pk),
    )


def test_a_questions_words_are_added_to_an_existing_entry():
    question = recorded()
    entry = KnowledgeEntry.objects.get(terms__startswith="cogs")
    revision = case().revision
    updated = unanswered_question_add_terms(question=question, entry=entry)
    assert updated.pk == entry.pk
    assert updated.terms == (
        "cogs reusable components react-like react can gophers juggle flaming pineapples"
    )
    assert KnowledgeEntry.objects.get(pk=entry.pk).terms == updated.terms
    assert not UnansweredQuestion.objects.exists()
    assert case().revision > revision
    reply = loading.get_bot().respond(NONSENSE)
    assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, str(entry.pk))


def test_a_new_entry_keeps_the_question_as_its_first_example():
    question = recorded()
    entry = unanswered_question_to_entry(question=question, terms="juggle", answer="Never.")
    assert list(entry.examples.values_list("text", flat=True)) == [NONSENSE]


def test_a_question_becomes_an_example_of_an_existing_entry():
    question = recorded("my browser forgets the page I was on")
    entry = KnowledgeEntry.objects.get(terms__startswith="perform routing")
    revision = case().revision
    updated = unanswered_question_add_example(question=question, entry=entry)
    assert updated.pk == entry.pk
    assert entry.examples.filter(text="my browser forgets the page I was on").exists()
    assert KnowledgeEntry.objects.get(pk=entry.pk).terms == entry.terms  # left as it was
    assert not UnansweredQuestion.objects.exists()
    assert case().revision > revision
    # Twice is once.
    again = recorded("my browser forgets the page I was on")
    unanswered_question_add_example(question=again, entry=entry)
    assert entry.examples.filter(text="my browser forgets the page I was on").count() == 1


def test_an_example_for_an_entry_of_another_agent_is_refused():
    other = BotProfile.objects.create(slug="molly", name="Molly", thumbnail_path="x.png")
    entry = KnowledgeEntry.objects.create(profile=other, terms="x", answer="y")
    with pytest.raises(ValueError):
        unanswered_question_add_example(question=recorded(), entry=entry)
    assert not ExampleQuestion.objects.filter(entry=entry).exists()


def test_a_question_the_bot_is_right_to_decline_is_kept_as_out_of_scope():
    question = recorded("  do you have a discount\n code?  ")
    revision = case().revision
    kept = unanswered_question_to_out_of_scope(question=question)
    assert (kept.profile.slug, kept.text) == ("case", "do you have a discount code?")
    assert not UnansweredQuestion.objects.exists()
    assert case().revision > revision  # the bot is rebuilt with it
    assert "do you have a discount code?" in loading.get_bot().out_of_scope
    # Twice is once.
    unanswered_question_to_out_of_scope(question=recorded("do you have a discount code?"))
    assert case().out_of_scope.filter(text="do you have a discount code?").count() == 1


def test_words_already_in_the_terms_are_not_added_twice():
    question = recorded("Are COGS react-like?")
    entry = KnowledgeEntry.objects.get(terms__startswith="cogs")
    updated = unanswered_question_add_terms(question=question, entry=entry)
    assert updated.terms == "cogs reusable components react-like react are"


def test_an_entry_of_another_agent_is_refused():
    other = BotProfile.objects.create(slug="molly", name="Molly", thumbnail_path="x.png")
    entry = KnowledgeEntry.objects.create(profile=other, terms="x", answer="y")
    with pytest.raises(ValueError):
        unanswered_question_add_terms(question=recorded(), entry=entry)
    assert UnansweredQuestion.objects.count() == 1


# --------------------------------------------------------------------------- importing


def entries() -> list[tuple[str, str]]:
    return list(KnowledgeEntry.objects.filter(profile__slug="case").values_list("terms", "answer"))


def rows(*pairs: tuple[str, str]) -> list[KnowledgeRow]:
    return [KnowledgeRow(terms, answer) for terms, answer in pairs]


def test_import_merges_by_normalised_terms():
    before = entries()
    result = knowledge_import(
        bot_slug="case",
        rows=rows(
            ("Starter  CODE starter kit", "Use the new starter kit."),  # updates
            ("cogs reusable components react-like react", before[8][1]),  # as it is
            ("gophers juggle", "Only on Sundays."),  # new
        ),
    )
    assert result == ImportResult(created=1, updated=1, deleted=0, unchanged=1)
    after = entries()
    assert len(after) == 10
    assert after[2] == ("Starter  CODE starter kit", "Use the new starter kit.")
    assert after[-1] == ("gophers juggle", "Only on Sundays.")
    assert after[:2] == before[:2]
    assert loading.get_bot().reply("Where can I get starter code?") == "Use the new starter kit."


def test_import_with_replace_leaves_exactly_the_rows():
    result = knowledge_import(
        bot_slug="case",
        rows=rows(("starter code starter kit", "New."), ("gophers juggle", "Sundays.")),
        replace=True,
    )
    assert result == ImportResult(created=1, updated=1, deleted=8, unchanged=0)
    assert entries() == [("starter code starter kit", "New."), ("gophers juggle", "Sundays.")]


def test_import_bumps_the_revision_once_and_only_on_change():
    revision = case().revision
    knowledge_import(bot_slug="case", rows=rows(*entries()))
    assert case().revision == revision
    knowledge_import(bot_slug="case", rows=rows(("gophers juggle", "Sundays.")))
    assert case().revision == revision + 1


def test_import_dry_run_changes_nothing_but_counts_right():
    revision = case().revision
    result = knowledge_import(
        bot_slug="case", rows=rows(("gophers juggle", "Sundays.")), replace=True, dry_run=True
    )
    assert result == ImportResult(created=1, updated=0, deleted=9, unchanged=0)
    assert len(entries()) == 9
    assert case().revision == revision


def test_import_into_an_unknown_agent_fails():
    with pytest.raises(BotProfile.DoesNotExist):
        knowledge_import(bot_slug="nobody", rows=rows(("a", "b")))


def test_a_database_failure_halfway_rolls_everything_back(monkeypatch):
    before = entries()
    revision = case().revision

    def failing_bulk_update(self, *args, **kwargs):
        raise IntegrityError("the database gave up")

    monkeypatch.setattr(QuerySet, "bulk_update", failing_bulk_update)
    with pytest.raises(IntegrityError):
        knowledge_import(
            bot_slug="case",
            # The new entry is written before the update fails.
            rows=rows(("gophers juggle", "Sundays."), ("starter code starter kit", "New.")),
            replace=True,
        )
    assert entries() == before
    assert case().revision == revision


def test_imported_entries_get_their_timestamps():
    start = timezone.now() - timedelta(seconds=1)
    knowledge_import(
        bot_slug="case",
        rows=rows(("gophers juggle", "Sundays."), ("starter code starter kit", "New.")),
    )
    for terms in ("gophers juggle", "starter code starter kit"):
        assert KnowledgeEntry.objects.get(terms=terms).updated_at >= start


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_recordings_of_a_new_question_all_count():
    """Threads (each with its own database connection) record one new question at once."""
    require_concurrent_writers()
    askers = 6

    def ask(n: int) -> None:
        unanswered_question_record(bot_slug="case", text="What is X?" if n % 2 else "what is x")

    assert run_at_once(ask, range(askers)) == []
    assert UnansweredQuestion.objects.get().count == askers
