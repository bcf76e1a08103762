import importlib
import random
import re

import pytest

from bots.agents import AgentCase
from bots.base import Bot, KnowledgeItem

# The seed's knowledge base, as the migration installs it; the bot is tested alone, no ORM.
SEED = importlib.import_module("bots.migrations.0002_case_knowledge")
KNOWLEDGE = tuple(
    KnowledgeItem(key=str(n), terms=terms, answer=answer)
    for n, (terms, answer) in enumerate(SEED.KNOWLEDGE)
)

INTENDED = {
    "What is isomorphic go?": "isomorphic go isomorphic go web applications",
    "What are the benefits of this technology?": "benefits of the technology",
    "Does isomorphic go offer anything react-like?": "cogs reusable components",
    "How can I recompile code instantly?": "kick recompile code",
    "How can I perform routing in my web app?": "perform routing web app",
    "Where can I get starter code?": "starter code starter kit",
    "Where can I find a talk on this topic?": "find talk topic",
}


def case(**kwargs) -> AgentCase:
    return AgentCase(knowledge=KNOWLEDGE, sample_questions=SEED.SAMPLE_QUESTIONS, **kwargs)


def answer_for(terms_start: str) -> str:
    return next(item.answer for item in KNOWLEDGE if item.terms.startswith(terms_start))


def test_case_is_who_the_seed_says():
    bot = case()
    assert isinstance(bot, Bot)
    assert bot.name == "Case"
    assert bot.title == "Resident Isomorphic Gopher Agent"
    assert bot.thumbnail_path == "images/chat/Case.png"


def test_identity_can_be_set():
    bot = case()
    bot.name, bot.title, bot.thumbnail_path = "Molly", "Agent", "images/molly.png"
    assert (bot.name, bot.title, bot.thumbnail_path) == ("Molly", "Agent", "images/molly.png")
    assert bot.greeting().startswith("Hi there! I'm Molly.")


def test_the_seed_has_nine_entries_and_seven_sample_questions():
    assert len(KNOWLEDGE) == 9
    assert len(SEED.SAMPLE_QUESTIONS) == 7
    assert set(SEED.SAMPLE_QUESTIONS) == set(INTENDED)


def test_the_greeting_is_the_seeds_with_a_random_sample_question():
    greetings = {case(rng=random.Random(seed)).greeting() for seed in range(40)}
    pattern = re.compile(
        r'^Hi there! I\'m Case\. You can ask me a question on Isomorphic Go\. Such as\.\.\."(.+)"$'
    )
    asked = {pattern.match(greeting).group(1) for greeting in greetings}
    assert asked <= set(SEED.SAMPLE_QUESTIONS)
    assert len(asked) > 3  # picked at random, not always the same


@pytest.mark.parametrize(("question", "terms_start"), INTENDED.items())
def test_each_sample_question_gets_its_intended_answer(question, terms_start):
    assert case().reply(question) == answer_for(terms_start)


def test_an_unknown_question_gets_the_fallback():
    assert case().reply("Do you sell bicycles in Lisbon?") == "I don't know the answer to that one."


def test_without_knowledge_every_question_gets_the_fallback_and_the_greeting_still_works():
    bot = AgentCase()
    assert bot.reply("What is isomorphic go?") == AgentCase.fallback
    assert bot.greeting() == "Hi there! I'm Case. You can ask me a question on Isomorphic Go."
