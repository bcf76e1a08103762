"""What the example bot says: its topics, its buttons, and what it makes of a visitor's
message. The part to change to make the bot your own; bot.py deals with the site."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The "Talk to a person" button's value: the platform's convention for asking for people.
HUMAN = "request_human"


@dataclass(frozen=True)
class Topic:
    value: str  # the quick-reply button's value, sent back as response_value
    label: str
    answer: str
    stems: tuple[str, ...]  # typed words starting with one of these are about the topic


TOPICS = (
    Topic(
        "opening_hours",
        "Opening hours",
        "Our team is here Monday to Friday, 9:00 to 17:00 (CET). "
        "The shop itself takes orders around the clock.",
        ("open", "hour", "clos", "weekend"),
    ),
    Topic(
        "delivery_times",
        "Delivery times",
        "Orders placed before 14:00 leave the warehouse the same day "
        "and arrive in 1 to 3 working days.",
        ("deliver", "ship", "arriv", "parcel", "package", "dispatch"),
    ),
)
# Whole words only: "personal" or "agency" are no request for a person.
PERSON_WORDS = frozenset(
    "person persons human humans agent agents someone somebody operator people staff "
    "representative".split()
)
GREETING_WORDS = frozenset("hi hello hey hiya yo morning afternoon evening good there".split())


@dataclass(frozen=True)
class Reply:
    kind: str  # "handover", "answer", "greeting" or "fallback"
    text: str = ""


def decide(text: str, response_value: str | None = None) -> Reply:
    """What to do about a visitor's message: a pressed button says it exactly (its value);
    a typed message is read for a few words."""
    if response_value == HUMAN:
        return Reply("handover")
    for topic in TOPICS:
        if response_value == topic.value:
            return Reply("answer", topic.answer)
    words = re.findall(r"[a-z]+", (text or "").lower())
    if PERSON_WORDS.intersection(words):
        return Reply("handover")
    scores = [sum(w.startswith(topic.stems) for w in words) for topic in TOPICS]
    if max(scores, default=0) > 0:
        return Reply("answer", TOPICS[scores.index(max(scores))].answer)
    if words and set(words) <= GREETING_WORDS:
        return Reply("greeting", "Hello again! What would you like to know?")
    return Reply(
        "fallback",
        "Sorry, I can only help with opening hours and delivery times. "
        "Pick one below, or ask for a person.",
    )


def greeting(name: str, answer: Reply | None = None) -> str:
    hello = f"Hi, I'm {name}!"
    if answer is not None and answer.kind == "answer":
        return f"{hello} {answer.text}"
    return f"{hello} I can tell you about opening hours and delivery times, or find you a person."


def menu(link: str | None) -> list[dict]:
    """The quick replies and the link under each of the bot's messages."""
    actions = [{"type": "button", "text": t.label, "value": t.value} for t in TOPICS]
    actions.append({"type": "button", "text": "Talk to a person", "value": HUMAN})
    if link:
        actions.append({"type": "link", "text": "Visit the shop", "link": link})
    return [{"text": "What would you like to know?", "actions": actions}]


def from_visitor(message: dict) -> bool:
    """Only what visitors write: the bot hears of its own messages, people's and the
    chat's notices too."""
    return message.get("type") == "msg" and message.get("sender_type") == "visitor"
