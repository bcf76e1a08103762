import pytest

from bots.intents import (
    ProductQuestion,
    SmallTalk,
    asks_for_a_person,
    product_question,
    small_talk,
    without_small_talk,
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Hi!", SmallTalk.GREETING),
        ("hello there, Case", SmallTalk.GREETING),
        ("Good morning", SmallTalk.GREETING),
        ("thanks a lot!", SmallTalk.THANKS),
        ("Thank you so much", SmallTalk.THANKS),
        ("bye", SmallTalk.GOODBYE),
        ("see you later", SmallTalk.GOODBYE),
        ("how are you?", SmallTalk.HOW_ARE_YOU),
        ("what's up?", SmallTalk.HOW_ARE_YOU),
    ],
)
def test_small_talk_is_recognised(text, kind):
    assert small_talk(text) is kind


@pytest.mark.parametrize(
    "text", ["hi, what is isomorphic go?", "thanks, where is the starter kit", "high", "this"]
)
def test_a_question_with_a_greeting_is_not_small_talk(text):
    assert small_talk(text) is None


def test_greetings_are_taken_out_of_questions():
    assert without_small_talk("Hi! What is isomorphic go? Thanks").split() == [
        "what",
        "is",
        "isomorphic",
        "go",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "can I speak to an agent?",
        "real person please",
        "customer service",
        "connect me with support",
        "is there a human I can chat with?",
        "agent",
        "are you a bot?",
        # As the bot's German and Spanish phrases tell visitors to ask.
        "Ich möchte mit einem Menschen sprechen",
        "Kann ich mit einem Mitarbeiter sprechen?",
        "Quiero hablar con una persona",
        "¿Puedo hablar con un agente?",
    ],
)
def test_requests_for_a_person_are_recognised(text):
    assert asks_for_a_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "Where can I find a talk on this topic?",
        "What is isomorphic go?",
        "how do I talk to my server from the client",
        "is the agent in the seed a bot",
    ],
)
def test_other_questions_are_not_requests_for_a_person(text):
    assert not asks_for_a_person(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("how much is this?", ProductQuestion.PRICE),
        ("how much for the mug", ProductQuestion.PRICE),
        ("How much?", ProductQuestion.PRICE),
        ("What's the price?", ProductQuestion.PRICE),
        ("does it cost a lot", ProductQuestion.PRICE),
        ("how much would I pay for two", ProductQuestion.PRICE),
        ("how much will it be with the discount", ProductQuestion.PRICE),
        ("is it in stock?", ProductQuestion.STOCK),
        ("how many do you have left?", ProductQuestion.STOCK),
        ("how many are left", ProductQuestion.STOCK),
        ("is this available", ProductQuestion.STOCK),
        ("tell me about this product", ProductQuestion.ABOUT),
        ("what is this?", ProductQuestion.ABOUT),
        ("describe it", ProductQuestion.ABOUT),
    ],
)
def test_product_questions_are_recognised(text, kind):
    assert product_question(text) is kind


@pytest.mark.parametrize(
    "text",
    [
        "What is isomorphic go?",
        "Is there a video of a presentation about this?",
        "What are the benefits of this technology?",
        "do you have a discount code?",
        "how much is shipping?",
        "what does delivery cost",
        "can I return it for a refund?",
        # A quantity, not the price: the page's details answer it.
        "how much coffee does this hold",
        "how much does it weigh",
        "how much does the mug hold?",
    ],
)
def test_other_questions_are_not_product_questions(text):
    assert product_question(text) is None
