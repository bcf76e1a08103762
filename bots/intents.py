"""What a message is, before what it is about: small talk, a request for a
person, or a question about the product on the page. Plain Python, no ORM."""

from __future__ import annotations

import re
from enum import StrEnum

from .text import words


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    HOW_ARE_YOU = "how_are_you"


class ProductQuestion(StrEnum):
    PRICE = "price"
    STOCK = "stock"
    ABOUT = "about"


def _phrases(*phrases: str) -> re.Pattern[str]:
    alternatives = "|".join(
        sorted((re.escape(p).replace(r"\ ", r"\s+") for p in phrases), key=len, reverse=True)
    )
    return re.compile(rf"\b(?:{alternatives})\b")


SMALL_TALK = {
    SmallTalk.HOW_ARE_YOU: _phrases(
        "how are you",
        "how r u",
        "how are u",
        "how is it going",
        "hows it going",
        "how are things",
        "how do you do",
        "whats up",
        "sup",
        "how have you been",
    ),
    SmallTalk.GREETING: _phrases(
        "hi",
        "hello",
        "hey",
        "heya",
        "hiya",
        "howdy",
        "yo",
        "greetings",
        "hallo",
        "hola",
        "good morning",
        "good afternoon",
        "good evening",
        "morning",
        "evening",
        "hi there",
    ),
    SmallTalk.THANKS: _phrases(
        "thanks",
        "thank you",
        "thank u",
        "thx",
        "ty",
        "tnx",
        "cheers",
        "many thanks",
        "appreciate it",
        "appreciated",
        "great thanks",
        "that helps",
        "that helped",
        "helpful",
        "perfect",
        "awesome",
        "great",
        "cool",
        "nice",
        "got it",
    ),
    SmallTalk.GOODBYE: _phrases(
        "bye",
        "goodbye",
        "good bye",
        "bye bye",
        "see you",
        "see ya",
        "cya",
        "later",
        "see you later",
        "good night",
        "farewell",
        "take care",
        "have a nice day",
        "have a good day",
        "thats all",
        "that is all",
    ),
}

# Words that may stand around small talk without making it a question.
_FILLER = frozenset(
    """
    a all again and bot case dear everyone folks for friend guys it lot much ok okay oh so
    the there this very you your ya yeah yes well mate buddy again today too really
    """.split()
)

HANDOFF = re.compile(
    r"\b(?:"
    r"(?:talk|speak|chat|connect|transfer)(?:\s+me)?\s+(?:to|with)\s+"
    r"(?:a|an|the|some|your|real|live)?\s*(?:real\s+|live\s+|actual\s+)?"
    r"(?:human|person|people|someone|somebody|agent|operator|representative|rep|staff|"
    r"support|customer\s+service|team|manager)"
    r"|(?:real|actual|live)\s+(?:human|person|people|agent|operator|support)"
    r"|human\s+(?:being|agent|support|help)"
    r"|(?:a|an)\s+(?:human|person|agent|operator|representative)\b(?!\s+(?:of|in|on))"
    r"|customer\s+(?:service|support|care)"
    r"|are\s+you\s+(?:a\s+)?(?:bot|robot|human|real)"
    r"|not\s+a\s+bot|no\s+more\s+bots?"
    r"|^\s*(?:human|agent|operator|representative|person)\s*$"
    r")"
)

# The same request in the other languages the chat speaks: the bot's translated phrases tell
# visitors to ask this way ("Sagen Sie einfach „mit einem Menschen sprechen“").
HANDOFF_TRANSLATED = _phrases(
    # German
    "mit einem menschen sprechen",
    "mit einem mitarbeiter sprechen",
    "mit einer mitarbeiterin sprechen",
    "mit einer person sprechen",
    "einen menschen sprechen",
    "echten menschen",
    "kundenservice",
    "kundendienst",
    # Spanish
    "hablar con una persona",
    "hablar con un humano",
    "hablar con un agente",
    "hablar con alguien",
    "una persona real",
    "agente humano",
    "atención al cliente",
    "servicio al cliente",
)

_PRICE = _phrases(
    "price",
    "prices",
    "pricing",
    "cost",
    "costs",
    "costing",
    "expensive",
    "cheap",
    "cheaper",
    "on sale",
    "usd",
    "dollars",
)
# "How much is it?", "how much for this", "how much would I pay", but not "how much coffee
# does it hold?" nor "how much does it weigh?".
_HOW_MUCH = re.compile(
    r"\bhow\s+much\b(?=\s*$|\s+(?:is|are|was|for|it|they|this|that|"
    r"these|those|the|a|an|money|dollars?|usd)\b)"
    r"|\bhow\s+much\s+(?:do|does|did|would|will|should)\b.*\b(?:charge|pay|be|run)\b"
)
_STOCK = _phrases(
    "in stock",
    "stock",
    "available",
    "availability",
    "sold out",
    "out of stock",
    "any left",
    "how many left",
    "how many are left",
    "how many do you have",
    "have left",
    "have any",
    "still have",
    "can i buy",
    "can i order",
    "inventory",
    "do you have it",
)
# What the shop charges or does around an order, not the product on the page:
# "how much is shipping?" is for the knowledge base (or staff), not the price tag.
_ORDER_SERVICES = _phrases(
    "shipping",
    "delivery",
    "deliver",
    "postage",
    "tax",
    "taxes",
    "vat",
    "customs",
    "return",
    "returns",
    "refund",
    "membership",
    "subscription",
)
_ABOUT = re.compile(
    r"\b(?:tell\s+me\s+(?:more\s+)?about|describe|details\s+(?:of|on|about)|"
    r"more\s+info(?:rmation)?\s+(?:on|about))\s+(?:this|it|that)\b"
    r"|\b(?:about|describe)\s+(?:this|the)\s+(?:product|item)\b"
    r"|^\s*(?:what\s+is|whats)\s+(?:this|it|that)(?:\s+(?:product|item|thing))?\s*$"
    r"|^\s*(?:description|details|more\s+info|tell\s+me\s+more)\s*$"
)


def small_talk(text: str) -> SmallTalk | None:
    """The kind of small talk ``text`` is, when it is nothing else."""
    normalized = " ".join(words(text))
    if not normalized:
        return None
    found = None
    remainder = normalized
    for kind, pattern in SMALL_TALK.items():
        if pattern.search(remainder):
            found = found or kind
            remainder = pattern.sub(" ", remainder)
    if found is None or any(word not in _FILLER for word in remainder.split()):
        return None
    return found


# Phrases around a question that ask nothing themselves: "quick question, what is X? asking
# for a friend" asks what X is. Left in, their words would count against a sure match.
_ASIDES = _phrases(
    "quick question",
    "a quick question",
    "one more question",
    "another question",
    "just a question",
    "asking for a friend",
    "for a friend",
    "for a school project",
    "for my school project",
    "for a project",
    "for my homework",
    "just curious",
    "just wondering",
    "i was wondering",
    "i am wondering",
    "im wondering",
    "out of curiosity",
    "by the way",
    "btw",
    "if you dont mind",
    "if you can",
    "if possible",
    "any help",
    "any help appreciated",
    "any ideas",
    "any tips",
    "help me out",
    "so much",
    "in advance",
    "thanks in advance",
    "sorry to bother",
    "sorry to bother you",
    "please",
    "pls",
    "plz",
    "lol",
)


def without_small_talk(text: str, *, names: tuple[str, ...] = ()) -> str:
    """``text`` without greetings, thanks, asides and the bot's name: "hi Case, quick
    question: what is X?" is about X."""
    normalized = " ".join(words(text))
    normalized = _ASIDES.sub(" ", normalized)
    for pattern in SMALL_TALK.values():
        normalized = pattern.sub(" ", normalized)
    dropped = {word for name in names for word in words(name)}
    return " ".join(word for word in normalized.split() if word not in dropped)


def asks_for_a_person(text: str) -> bool:
    normalized = " ".join(words(text))
    return bool(HANDOFF.search(normalized) or HANDOFF_TRANSLATED.search(normalized))


def product_question(text: str) -> ProductQuestion | None:
    """Which product question ``text`` is, if any (asked about the product on the page)."""
    normalized = " ".join(words(text))
    if _ORDER_SERVICES.search(normalized):
        return None
    if "$" in text or _PRICE.search(normalized) or _HOW_MUCH.search(normalized):
        return ProductQuestion.PRICE
    if _STOCK.search(normalized):
        return ProductQuestion.STOCK
    if _ABOUT.search(normalized):
        return ProductQuestion.ABOUT
    return None
