import random
import re

import pytest
from django.utils import translation

from benchmarks.evaluation import SAMPLE_QUESTION_ENTRIES, load_seed
from bots.agents import AgentCase
from bots.base import Bot, PageContext, ReplyKind

from .catalog import BOOK, HOODIE, MUG, PLUSH

# Case's knowledge base, as the migration installs it; the bot is tested alone, no ORM.
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
    reply = case().respond("do you have it in stock?", context=on_page(HOODIE))
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


# --- the semantic stage (the real model) ---------------------------------------------------


@pytest.fixture(scope="module")
def understanding(semantics) -> AgentCase:
    return case(semantics=semantics)


@pytest.mark.parametrize(
    "question, key",
    [
        # A friendly clause around a sure match does not sink it.
        ("Isomorphic Go, what is that? asking for a friend", "isomorphic-go"),
        ("hi! quick question, where can I find starter code? thanks so much", "starter-code"),
        # Words neither the entries nor the thesaurus have.
        ("I hate restarting the server by hand after every change, any help?", "kick"),
        ("what makes it better than plain JavaScript?", "benefits"),
        ("is there a video where someone presents this?", "talk"),
    ],
)
def test_paraphrases_and_padded_questions_are_understood(understanding, question, key):
    reply = understanding.respond(question)
    assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, key)


@pytest.mark.parametrize(
    "question",
    [
        # A word shared with an entry does not pull in its answer.
        "can I get a discount code?",
        "how do I restart my router",
        "how do I kick someone from my discord server",
        "what is the capital of France",
    ],
)
def test_questions_about_something_else_are_declined(understanding, question):
    assert understanding.respond(question).kind == ReplyKind.FALLBACK


def test_the_model_only_adds_answers_where_words_fall_short(understanding):
    reply = understanding.explain("What is isomorphic go?")
    assert reply.decision.startswith("Answered on words")
    meaning = understanding.explain("I hate restarting the server by hand after every change")
    assert meaning.decision.startswith("Answered on meaning")
    # Staff see both scores for each entry.
    assert all(candidate.semantic is not None for candidate in meaning.candidates)
    assert meaning.semantic_threshold is not None and meaning.semantic_lead is not None


def test_a_question_as_near_an_out_of_scope_question_as_its_entry_is_declined(semantics):
    careful = case(semantics=semantics, out_of_scope=["Do you have a discount code or a coupon?"])
    for question in ("any coupon code for starters?", "where can I get the code for a discount"):
        explanation = careful.explain(question)
        assert explanation.reply.kind == ReplyKind.FALLBACK, question
        assert "Do you have a discount code or a coupon?" in explanation.decision
    # Nor does the page's price answer what the shop charges around an order.
    shop = case(semantics=semantics, out_of_scope=["How much does shipping cost?"])
    shipping = shop.explain("what's the price of shipping?", context=on_page(MUG))
    assert shipping.reply.kind == ReplyKind.FALLBACK
    assert "How much does shipping cost?" in shipping.decision
    assert "12.50" in shop.respond("what's the price?", context=on_page(MUG)).text
    # The entry it sounds like still answers its own questions, on words and on meaning.
    for question in ("where do I find starter code", "is there a boilerplate app I can clone"):
        reply = careful.respond(question)
        assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, "starter-code"), question


def test_the_page_answers_what_it_says_naming_the_product(understanding):
    reply = understanding.respond("is it a paperback?", context=PageContext(product=BOOK))
    assert reply.kind == ReplyKind.PRODUCT
    assert reply.text == "The Isomorphic Go Book page says: Format: Paperback."
    author = understanding.respond("who is the author?", context=PageContext(product=BOOK))
    assert "Kamesh Balasubramanian" in author.text
    capacity = understanding.respond("how big is it, in ml?", context=PageContext(product=MUG))
    assert "350 ml" in capacity.text


def test_a_detail_answers_questions_in_other_words(understanding):
    reply = understanding.respond("what is it made of?", context=PageContext(product=MUG))
    assert reply.text == "The Gopher Coffee Mug page says: Material: ceramic."


def test_what_the_page_does_not_say_is_never_guessed(understanding):
    # The author is on the page; whether the book comes signed is not.
    signed = understanding.explain("does it come signed by the author?", context=on_page(BOOK))
    assert signed.reply.text.startswith("The Isomorphic Go Book page doesn't say"), signed
    for question in ("does it come with a lid?", "is it BPA free?"):
        reply = understanding.respond(question, context=PageContext(product=MUG))
        assert reply.kind == ReplyKind.FALLBACK, question
        assert reply.text.startswith("The Gopher Coffee Mug page doesn't say"), question
        assert "person" in reply.text


def test_knowledge_questions_on_a_product_page_get_the_knowledge(understanding):
    reply = understanding.respond(
        "how do I do client side routing?", context=PageContext(product=MUG)
    )
    assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, "routing")


def test_off_product_pages_a_product_is_found_by_name(understanding):
    catalog = {"hoodie": HOODIE, "book": BOOK}

    def find(question: str):
        return next((p for word, p in catalog.items() if word in question.lower()), None)

    context = PageContext(page="/", find_product=find)
    price = understanding.respond("how much is the hoodie?", context=context)
    assert price.text == "Gopher Hoodie costs $49.00."
    pages = understanding.respond("how many pages does the book have?", context=context)
    assert pages.kind == ReplyKind.PRODUCT and "500" in pages.text
    # "isomorphic" names a topic of the knowledge base, not the book.
    topic = understanding.respond("what is isomorphic go?", context=context)
    assert (topic.kind, topic.entry_key) == (ReplyKind.ANSWER, "isomorphic-go")


# --- in the visitor's language ------------------------------------------------------------------


def test_case_s_own_phrases_are_in_the_visitor_s_language():
    bot = case(rng=random.Random(1))
    with translation.override("de"):
        greeting = bot.greeting()
        assert greeting.startswith(
            "Hallo! Ich bin Case. Sie können mir eine Frage zu Isomorphic Go stellen "
            "(bitte auf Englisch). Zum Beispiel: „"
        )
        # The sample question is the knowledge base's own, in its language.
        assert greeting.removesuffix("“").rsplit("„", 1)[1] in SAMPLE_QUESTIONS
        fallback = bot.reply("Do you sell bicycles in Lisbon?")
        assert fallback == "Darauf weiß ich leider keine Antwort."
        assert bot.respond("thanks!").text == "Gern geschehen! Kann ich Ihnen sonst noch helfen?"
    with translation.override("es"):
        handoff = bot.respond("I want to talk to a human")
        assert handoff.kind is ReplyKind.HANDOFF
        assert handoff.text.startswith("Soy un bot y, lo siento,")
        assert AgentCase().greeting() == (
            "¡Hola! Soy Case. Puede hacerme una pregunta sobre Isomorphic Go "
            "(en inglés, por favor)."
        )


def test_a_reply_keeps_the_language_it_was_made_in():
    with translation.override("de"):
        reply = case().respond("Do you sell bicycles in Lisbon?")
    # Stored later, under whatever language is active then.
    with translation.override("es"):
        assert reply.text == "Darauf weiß ich leider keine Antwort."
    assert type(reply.text) is str
