import random
import re

import pytest

from bots.agents import AgentCase
from bots.base import Bot, PageContext, ProductFacts, ReplyKind
from bots.evaluation import SAMPLE_QUESTION_ENTRIES, load_seed

# The seed's knowledge base, as the migration installs it; the bot is tested alone, no ORM.
KNOWLEDGE, SAMPLE_QUESTIONS = load_seed()


def case(**kwargs) -> AgentCase:
    return AgentCase(knowledge=KNOWLEDGE, sample_questions=SAMPLE_QUESTIONS, **kwargs)


def answer_for(key: str) -> str:
    return next(item.answer for item in KNOWLEDGE if item.key == key)


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
    assert len(SAMPLE_QUESTIONS) == 7
    assert set(SAMPLE_QUESTIONS) == set(SAMPLE_QUESTION_ENTRIES)


def test_the_greeting_is_the_seeds_with_a_random_sample_question():
    greetings = {case(rng=random.Random(seed)).greeting() for seed in range(40)}
    pattern = re.compile(
        r'^Hi there! I\'m Case\. You can ask me a question on Isomorphic Go\. Such as\.\.\."(.+)"$'
    )
    asked = {pattern.match(greeting).group(1) for greeting in greetings}
    assert asked <= set(SAMPLE_QUESTIONS)
    assert len(asked) > 3  # picked at random, not always the same


@pytest.mark.parametrize(("question", "key"), SAMPLE_QUESTION_ENTRIES.items())
def test_each_sample_question_gets_its_intended_answer(question, key):
    assert case().reply(question) == answer_for(key)


def test_an_unknown_question_gets_the_fallback():
    assert case().reply("Do you sell bicycles in Lisbon?") == "I don't know the answer to that one."


def test_without_knowledge_every_question_gets_the_fallback_and_the_greeting_still_works():
    bot = AgentCase()
    assert bot.reply("What is isomorphic go?") == AgentCase.fallback
    assert bot.greeting() == "Hi there! I'm Case. You can ask me a question on Isomorphic Go."


PLUSH = ProductFacts(
    name="Gopher Plush Toy",
    price="19.99",
    stock=42,
    description="A soft, huggable Go gopher.",
    url="/products/gopher-plush-toy/",
)
GONE = ProductFacts(name="Gopher Hoodie", price="49.00", stock=0, description="Warm.")


def on_page(product):
    return PageContext(page="/products/x/", product=product)


def test_answers_say_what_kind_they_are():
    bot = case()
    answer = bot.respond("What is isomorphic go?")
    assert answer.kind is ReplyKind.ANSWER
    assert answer.entry_key == "isomorphic-go"
    assert answer.score > 0
    assert bot.respond("qwertyuiop").kind is ReplyKind.FALLBACK


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how much is this?", "Gopher Plush Toy costs $19.99."),
        ("is it in stock?", "Gopher Plush Toy is in stock: 42 available."),
        (
            "tell me about this product",
            "Gopher Plush Toy: A soft, huggable Go gopher. It costs $19.99. "
            "Gopher Plush Toy is in stock: 42 available.",
        ),
    ],
)
def test_product_questions_are_answered_from_the_page(question, expected):
    reply = case().respond(question, context=on_page(PLUSH))
    assert reply.kind is ReplyKind.PRODUCT
    assert reply.text == expected


def test_an_out_of_stock_product_is_said_to_be():
    reply = case().respond("do you have it in stock?", context=on_page(GONE))
    assert reply.text == "Gopher Hoodie is out of stock right now, sorry."


@pytest.mark.parametrize("context", [None, PageContext(page="/")])
def test_product_questions_without_a_product_ask_which_product(context):
    reply = case().respond("how much is this?", context=context)
    assert reply.kind is ReplyKind.PRODUCT
    assert reply.text == AgentCase.no_product


@pytest.mark.parametrize(
    ("question", "starts"),
    [
        ("hello!", "Hello!"),
        ("thanks!", "You're welcome!"),
        ("bye", "Goodbye"),
        ("how are you?", "I'm doing well"),
    ],
)
def test_small_talk_gets_a_short_friendly_reply(question, starts):
    reply = case().respond(question)
    assert reply.kind is ReplyKind.SMALLTALK
    assert reply.text.startswith(starts)


def test_a_greeting_before_a_question_still_gets_the_answer():
    reply = case().respond("Hi Case! What is isomorphic go?")
    assert reply.text == answer_for("isomorphic-go")


@pytest.mark.parametrize("question", ["I want to talk to a human", "real person please"])
def test_a_request_for_a_person_is_answered_honestly(question):
    reply = case().respond(question)
    assert reply.kind is ReplyKind.HANDOFF
    assert "nobody from the team is available" in reply.text


def test_explain_shows_the_answer_and_the_runners_up():
    explanation = case().explain("How do I define routes for my web app?")
    assert explanation.reply.kind is ReplyKind.ANSWER
    assert explanation.candidates[0].key == explanation.reply.entry_key
    assert len(explanation.candidates) > 1
    assert explanation.candidates[0].score >= explanation.candidates[1].score
    assert explanation.threshold == 0.45
