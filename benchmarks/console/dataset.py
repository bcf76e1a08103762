"""A support team's history, made up at scale: the conversations the console's search and
the reports are measured on (100,000 by default), written with bulk inserts; and the
questions the bot could not answer, for the reports (``unanswered_questions_populate``).

Shaped like a shop's chat: most conversations the bot answers alone, some are handed to a
person (who answers after a while), some are closed and rated, a few visitors leave a message
with their email address, spread over ``days`` days, each with a handful of messages drawn
from shop-like phrases, in English, German and Spanish. Deterministic for a given ``seed``.
The retention purge is measured on it too (benchmarks/privacy/purge.py).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from bots.loading import bot_class
from bots.models import UnansweredQuestion
from bots.services import profile_get_or_create
from chat.models import Conversation, LeftMessage, Message

QUESTIONS = [
    "Do you ship to Germany?",
    "How much is the gopher mug?",
    "Is the plush gopher machine washable?",
    "When will my order arrive?",
    "Can I return the hoodie if it does not fit?",
    "What is isomorphic go?",
    "Do you have the book in paperback?",
    "My discount code does not work",
    "I want to talk to a human",
    "Wie lange dauert der Versand nach Berlin?",
    "¿Hacen envíos a España?",
    "Is the coffee mug dishwasher safe?",
    "Where can I get starter code?",
    "Can I change the delivery address?",
]
ANSWERS = [
    "We ship worldwide; Germany takes 3 to 5 working days.",
    "The Gopher Coffee Mug is $12.50 and in stock.",
    "Yes, at 30 degrees in a laundry bag.",
    "Orders leave within a day; you get a tracking link by email.",
    "Returns are free within 30 days.",
    "Isomorphic Go is the methodology to create isomorphic web applications.",
    "Let me look into that for you.",
    "Thanks, I've applied the discount by hand.",
]
BATCH = 5_000
# Of the conversations nobody from the team answered, the share whose visitor left a message.
LEFT_MESSAGE_SHARE = 0.05


@dataclass(frozen=True)
class Made:
    conversations: int
    messages: int
    agents: list[int]
    left_messages: int = 0


def unanswered_questions_populate(*, questions: int, days: int = 90, seed: int = 1) -> int:
    """``questions`` different questions the site's bot could not answer, asked over the last
    ``days`` days, a few times each (a handful of them often): what the reports list."""
    rng = random.Random(seed)
    profile = profile_get_or_create(bot_class=bot_class())
    now = timezone.now()
    rows = []
    for number in range(questions):
        first = now - timedelta(seconds=rng.uniform(0, days * 86_400))
        text = f"{rng.choice(QUESTIONS).rstrip('?')} (variant {number})?"
        rows.append(
            UnansweredQuestion(
                profile=profile,
                text=text,
                key=UnansweredQuestion.key_for(text),
                count=max(1, int(rng.paretovariate(1.2))),
                first_asked=first,
                last_asked=first + (now - first) * rng.random(),
            )
        )
    UnansweredQuestion.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def populate(
    *, conversations: int = 100_000, days: int = 90, agents: int = 10, seed: int = 1
) -> Made:
    """``conversations`` conversations (and their messages) over the last ``days`` days,
    answered by ``agents`` staff members made for it, in batches of BATCH."""
    rng = random.Random(seed)
    User = get_user_model()
    staff = [
        User.objects.get_or_create(
            username=f"bench-agent-{i}", defaults={"is_staff": True, "first_name": f"Agent {i}"}
        )[0]
        for i in range(agents)
    ]
    now = timezone.now()
    made_messages = made_left = 0
    for start in range(0, conversations, BATCH):
        rows, texts, leaving = [], [], []
        for _ in range(min(BATCH, conversations - start)):
            created = now - timedelta(seconds=rng.uniform(0, days * 86_400))
            handed = rng.random() < 0.3
            closed = rng.random() < 0.8
            agent = rng.choice(staff) if handed else None
            conversation = Conversation(
                session_key=uuid.uuid4().hex,
                state=(
                    Conversation.State.CLOSED
                    if closed
                    else (Conversation.State.AGENT if handed else Conversation.State.BOT)
                ),
                assigned_agent=agent,
                created_at=created,
                language=rng.choice(["", "", "", "de", "es"]),
                current_page="/products/gopher-coffee-mug/",
            )
            messages = [(Message.Role.BOT, "Case", "Hi there! I'm Case.", created)]
            at = created
            for _turn in range(rng.randint(1, 4)):
                at += timedelta(seconds=rng.uniform(5, 120))
                messages.append((Message.Role.VISITOR, "Visitor", rng.choice(QUESTIONS), at))
                at += timedelta(seconds=rng.uniform(1, 4))
                if handed:
                    at += timedelta(seconds=rng.uniform(20, 900))  # a person takes a while
                    name = agent.first_name
                    messages.append((Message.Role.AGENT, name, rng.choice(ANSWERS), at))
                else:
                    messages.append((Message.Role.BOT, "Case", rng.choice(ANSWERS), at))
            conversation.last_message_at = at
            if closed:
                conversation.closed_at = at + timedelta(minutes=5)
                if rng.random() < 0.25:
                    conversation.rating_score = rng.choice([2, 3, 4, 4, 5, 5, 5])
                    conversation.rated_at = conversation.closed_at
            rows.append(conversation)
            texts.append(messages)
            leaving.append(not handed and rng.random() < LEFT_MESSAGE_SHARE)
        with transaction.atomic():
            Conversation.objects.bulk_create(rows)
            batch = [
                Message(
                    conversation=conversation,
                    sender_role=role,
                    sender_name=name,
                    text=text,
                    sent_at=sent_at,
                    sender_user=conversation.assigned_agent if role == Message.Role.AGENT else None,
                )
                for conversation, messages in zip(rows, texts, strict=True)
                for role, name, text, sent_at in messages
            ]
            Message.objects.bulk_create(batch)
            left = [
                LeftMessage(
                    name=f"Visitor {start + n}",
                    email=f"visitor{start + n}@example.com",
                    text=rng.choice(QUESTIONS),
                    session_key=conversation.session_key,
                    conversation=conversation,
                    page=conversation.current_page,
                    created_at=conversation.last_message_at,
                )
                for n, (conversation, leaves) in enumerate(zip(rows, leaving, strict=True))
                if leaves
            ]
            LeftMessage.objects.bulk_create(left)
        made_messages += len(batch)
        made_left += len(left)
    return Made(conversations, made_messages, [user.pk for user in staff], made_left)
