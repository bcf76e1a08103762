"""A support team's history, made up at scale: the conversations the console's search and
the reports are measured on (100,000 by default), written with bulk inserts; and the
questions the bot could not answer, for the reports (``unanswered_questions_populate``).

Shaped like a shop's chat: most conversations the bot answers alone, some are handed to a
person (who answers after a while), a few wait for one, some are closed and rated, a few
visitors leave a message with their email address, spread over ``days`` days, each with a
handful of messages drawn from shop-like phrases, in English, German and Spanish, and filed
under labels as a team would (LABELS: shipping questions often, a VIP rarely). Visitors now
and then give an order number or an email address, the long tail of words a real history
has; one word is rare on purpose (RARE_WORD, in about one conversation in 800), to be searched
for. Deterministic for a given ``seed``. The retention purge is measured on it too
(benchmarks/privacy/purge.py).
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
from chat.models import Conversation, ConversationLabel, Label, LeftMessage, Message

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
# Each label's name, colour, and the share of conversations filed under it.
LABELS = [
    ("Shipping", "#2563eb", 0.15),
    ("Returns", "#16a34a", 0.08),
    ("Billing", "#d97706", 0.05),
    ("Feedback", "#7c3aed", 0.04),
    ("Bug", "#dc2626", 0.02),
    ("VIP", "#db2777", 0.003),
]
RARE_WORD = "kaleidoscope"
RARE_QUESTION = f"Is the gopher {RARE_WORD} back in stock?"
# Of the conversations nobody from the team answered, the share whose visitor left a message.
LEFT_MESSAGE_SHARE = 0.05


@dataclass(frozen=True)
class Made:
    conversations: int
    messages: int
    agents: list[int]
    # Each label's id, by name.
    labels: dict[str, int]
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
    labels = {
        name: Label.objects.get_or_create(name=name, defaults={"color": color})[0]
        for name, color, _share in LABELS
    }
    now = timezone.now()
    made_messages = made_left = 0
    for start in range(0, conversations, BATCH):
        rows, texts, leaving, filed = [], [], [], []
        for _ in range(min(BATCH, conversations - start)):
            created = now - timedelta(seconds=rng.uniform(0, days * 86_400))
            handed = rng.random() < 0.3
            closed = rng.random() < 0.8
            agent = rng.choice(staff) if handed else None
            if closed:
                state = Conversation.State.CLOSED
            elif handed:
                state = Conversation.State.AGENT
            else:
                state = Conversation.State.WAITING if rng.random() < 0.1 else Conversation.State.BOT
            conversation = Conversation(
                session_key=uuid.uuid4().hex,
                state=state,
                assigned_agent=agent,
                created_at=created,
                language=rng.choice(["", "", "", "de", "es"]),
                current_page="/products/gopher-coffee-mug/",
            )
            messages = [(Message.Role.BOT, "Case", "Hi there! I'm Case.", created)]
            at = created
            for _turn in range(rng.randint(1, 4)):
                at += timedelta(seconds=rng.uniform(5, 120))
                # The first visitor of a history asks with the rare word, so that even a
                # small one has it to be searched for.
                question = RARE_QUESTION if start == 0 and not rows and _turn == 0 else None
                messages.append((Message.Role.VISITOR, "Visitor", question or _question(rng), at))
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
            filed.append([labels[name] for name, _color, share in LABELS if rng.random() < share])
        with transaction.atomic():
            Conversation.objects.bulk_create(rows)
            ConversationLabel.objects.bulk_create(
                ConversationLabel(
                    conversation=conversation, label=label, added_at=conversation.created_at
                )
                for conversation, on in zip(rows, filed, strict=True)
                for label in on
            )
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
    return Made(
        conversations,
        made_messages,
        [user.pk for user in staff],
        {name: label.pk for name, label in labels.items()},
        made_left,
    )


def _question(rng: random.Random) -> str:
    """A visitor's question: now and then one with an order number or an email address
    (words of their own), rarely the one with RARE_WORD."""
    roll = rng.random()
    if roll < 0.0005:
        return RARE_QUESTION
    if roll < 0.05:
        return f"My order GG-{rng.randrange(100_000, 1_000_000)} has not arrived"
    if roll < 0.08:
        return f"Please write to me at visitor{rng.randrange(1_000_000)}@example.org"
    return rng.choice(QUESTIONS)
