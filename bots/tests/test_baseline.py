"""The seed's LSI algorithm, re-implemented as the yardstick for the matching engine."""

import math
import random

import pytest

from benchmarks.evaluation import SAMPLE_QUESTION_ENTRIES, load_seed
from bots.base import Bot, BotProfileData, KnowledgeItem, ReplyKind
from bots.baseline import SeedLsiBot

KNOWLEDGE, SAMPLE_QUESTIONS = load_seed()

# The entry each sample question is meant for (the greeting offers them as examples).


def seed_bot(**kwargs) -> SeedLsiBot:
    return SeedLsiBot(knowledge=KNOWLEDGE, sample_questions=SAMPLE_QUESTIONS, **kwargs)


def test_it_is_a_bot_named_case():
    bot = seed_bot()
    assert isinstance(bot, Bot)
    assert bot.slug == "seed-lsi"
    assert bot.name == "Case"


def test_it_greets_like_the_seed_with_a_sample_question():
    greeting = seed_bot(rng=random.Random(7)).greeting()
    prefix = "Hi there! I'm Case. You can ask me a question on Isomorphic Go. Such as..."
    assert greeting.startswith(prefix), greeting
    assert greeting.removeprefix(prefix).strip('"') in SAMPLE_QUESTIONS, greeting


def test_it_can_be_built_from_a_profile():
    profile = BotProfileData(
        name="Case", title="t", thumbnail_path="p", knowledge=KNOWLEDGE[:2], sample_questions=()
    )
    bot = SeedLsiBot.from_profile(profile)
    assert bot.knowledge == KNOWLEDGE[:2]
    assert bot.greeting().startswith("Hi there! I'm Case.")


def test_the_sample_questions_cover_the_knowledge_base():
    assert set(SAMPLE_QUESTIONS) == set(SAMPLE_QUESTION_ENTRIES)


@pytest.mark.parametrize(
    "question",
    [
        "What is isomorphic go?",
        "What are the benefits of this technology?",
        "How can I recompile code instantly?",
        "How can I perform routing in my web app?",
        "Where can I get starter code?",
    ],
)
def test_it_answers_five_sample_questions_with_their_entries(question):
    reply = seed_bot().respond(question)
    assert reply.kind == ReplyKind.ANSWER
    assert reply.entry_key == SAMPLE_QUESTION_ENTRIES[question]
    assert reply.text == next(item.answer for item in KNOWLEDGE if item.key == reply.entry_key)
    assert reply.score > 0.9


def test_the_react_like_sample_question_gets_the_isomorphic_go_answer():
    # Faithful, not good: with 4 latent dimensions the "cogs" entry shares no term with
    # the kept dimensions and projects onto zero, so it can never be matched. "isomorphic"
    # is the only term of the question left, and it belongs to the "isomorphic-go" entry.
    reply = seed_bot().respond("Does isomorphic go offer anything react-like?")
    assert reply.kind == ReplyKind.ANSWER
    assert reply.entry_key == "isomorphic-go"


def test_the_talk_sample_question_falls_back():
    # Faithful, not good: the "talk" entry (talk, topic, presentation, lecture, subject)
    # shares no term with any other entry and lies outside the 4 latent dimensions, so
    # the question projects onto zero and no cosine exists. The Go seed computed cosines
    # of floating-point round-off instead and answered whatever that gave (see the
    # module's docstring); here a zero vector is zero.
    question = "Where can I find a talk on this topic?"
    reply = seed_bot().respond(question)
    assert reply.kind == ReplyKind.FALLBACK
    assert reply.entry_key is None
    assert all(math.isnan(score) for score in seed_bot().similarities(question))


def test_entries_outside_the_latent_space_are_never_matched():
    keys = [item.key for item in KNOWLEDGE]
    scores = dict(zip(keys, seed_bot().similarities("cogs talk"), strict=True))
    assert math.isnan(scores["cogs"]) and math.isnan(scores["talk"])


@pytest.mark.parametrize("question", ["hello there", "Where is my parcel?", "", "?!"])
def test_it_falls_back_when_the_question_has_no_known_term(question):
    reply = seed_bot().respond(question)
    assert reply.kind == ReplyKind.FALLBACK
    assert reply.text == "I don't know the answer to that one."
    assert reply.score == 0.0


def test_there_is_no_threshold():
    # One shared word is enough: "server" is among the kick entry's terms.
    reply = seed_bot().respond("how do I configure nginx as a reverse proxy server")
    assert reply.kind == ReplyKind.ANSWER
    assert reply.entry_key == "kick"


def test_one_letter_tokens_count_like_go_nlps():
    # Go's \w+ splits "don't" into "don" and "t", both terms of the intelligence entry;
    # scikit-learn's default tokeniser would drop the "t".
    assert seed_bot().respond("don't").entry_key == "intelligence"
    assert seed_bot().respond("t").entry_key == "intelligence"


def test_it_refits_on_every_question_with_an_empty_first_document(monkeypatch):
    corpora = []
    fit = SeedLsiBot._fit_lsi

    def spy(self, corpus, question):
        corpora.append(list(corpus))
        return fit(self, corpus, question)

    monkeypatch.setattr(SeedLsiBot, "_fit_lsi", spy)
    bot = seed_bot()
    for question in SAMPLE_QUESTIONS[:3]:
        bot.respond(question)
    assert len(corpora) == 3
    assert all(corpus == [""] + [item.terms for item in KNOWLEDGE] for corpus in corpora)


def test_a_changed_knowledge_base_is_used_at_the_next_question():
    bot = SeedLsiBot(knowledge=[KnowledgeItem("a", "alpha beta", "A")])
    assert bot.respond("beta").entry_key == "a"
    bot.knowledge = (KnowledgeItem("b", "beta gamma", "B"),)
    assert bot.respond("beta").entry_key == "b"


def test_a_tie_goes_to_the_first_entry_like_go():
    bot = SeedLsiBot(
        knowledge=[
            KnowledgeItem("first", "alpha beta", "1"),
            KnowledgeItem("second", "alpha beta", "2"),
        ]
    )
    assert bot.respond("alpha").entry_key == "first"


def test_an_empty_knowledge_base_always_falls_back():
    assert SeedLsiBot().respond("isomorphic go").kind == ReplyKind.FALLBACK
    only_stop_words = SeedLsiBot(knowledge=[KnowledgeItem("x", "the of and", "X")])
    assert only_stop_words.respond("the").kind == ReplyKind.FALLBACK


def test_it_is_deterministic():
    questions = [*SAMPLE_QUESTIONS, "routes", "render templates", "kickstart"]
    first = [seed_bot().respond(q) for q in questions]
    assert [seed_bot().respond(q) for q in questions] == first


def test_keeping_round_off_changes_nothing_inside_the_latent_space():
    exact, go_like = seed_bot(), seed_bot(keep_round_off=True)
    for question in SAMPLE_QUESTION_ENTRIES:
        if question != "Where can I find a talk on this topic?":
            assert go_like.respond(question).entry_key == exact.respond(question).entry_key
    assert go_like.respond("hello there").kind == ReplyKind.FALLBACK
