"""Reading one visitor's data: finding it (by a conversation of theirs, or by the email address
they left), what erasing it would delete, and its export.

A visitor is their session: the chat finds their conversation by it on every page, and a
left message keeps it too. Found by a conversation, a visitor is every conversation of that
conversation's session, and the messages they left from it or in those conversations. Found
by an email address, they are the messages left with it (in any case), the conversations
those were left in, and the other conversations of the sessions they were left from. A
session key that is empty never joins anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import router
from django.db.models import Model, Q, QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone

from bots.models import UnansweredQuestion
from chat.models import Conversation, LeftMessage, Message


@dataclass(frozen=True)
class VisitorLookup:
    """How staff named the visitor: conversations of theirs, or email addresses they left."""

    conversation_ids: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """What the visitor was found by, as the audit log says it (never the address)."""
        return "email" if self.emails else "conversation"


@dataclass(frozen=True)
class VisitorData:
    """What is stored about the visitor, by row ids; the rows tied to these (messages,
    suggestions, notes, webhook copies…) go with them."""

    lookup: VisitorLookup
    conversation_ids: tuple[int, ...]
    left_message_ids: tuple[int, ...]
    session_keys: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.conversation_ids or self.left_message_ids or self.session_keys)

    def conversations(self) -> QuerySet[Conversation]:
        return Conversation.objects.filter(pk__in=self.conversation_ids)

    def left_messages(self) -> QuerySet[LeftMessage]:
        return LeftMessage.objects.filter(pk__in=self.left_message_ids)


def visitor_data(*, lookup: VisitorLookup) -> VisitorData:
    """Everything stored about the visitor ``lookup`` names, as it is now."""
    emails = Q()
    for email in {e.strip() for e in lookup.emails if e.strip()}:
        emails |= Q(email__iexact=email)
    left_by_email = (
        list(LeftMessage.objects.filter(emails).values_list("pk", "session_key", "conversation_id"))
        if emails
        else []
    )
    sessions = {
        key
        for key in Conversation.objects.filter(pk__in=lookup.conversation_ids).values_list(
            "session_key", flat=True
        )
        if key
    } | {key for _, key, _ in left_by_email if key}
    named = set(lookup.conversation_ids) | {c for _, _, c in left_by_email if c is not None}
    conversation_ids = sorted(
        Conversation.objects.filter(Q(pk__in=named) | Q(session_key__in=sessions)).values_list(
            "pk", flat=True
        )
    )
    left_message_ids = sorted(
        {pk for pk, _, _ in left_by_email}
        | set(
            LeftMessage.objects.filter(
                Q(session_key__in=sessions) | Q(conversation_id__in=conversation_ids)
            ).values_list("pk", flat=True)
        )
    )
    model = session_model()
    if model is not None:
        # Only sessions that are still stored: an expired one may be gone already.
        sessions = set(model.objects.filter(pk__in=sessions).values_list("pk", flat=True))
    return VisitorData(
        lookup=lookup,
        conversation_ids=tuple(conversation_ids),
        left_message_ids=tuple(left_message_ids),
        session_keys=tuple(sorted(sessions)),
    )


def emails_of_left_messages(*, left_message_ids: Iterable[int]) -> tuple[str, ...]:
    """The addresses the left messages were left with, each once (in any case)."""
    emails = LeftMessage.objects.filter(pk__in=list(left_message_ids)).values_list(
        "email", flat=True
    )
    return tuple(sorted({email.lower() for email in emails}))


def session_model() -> type[Model] | None:
    """The model sessions are stored in, when the site keeps them in the database."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return store.get_model_class() if hasattr(store, "get_model_class") else None


def unanswered_questions_of(*, data: VisitorData) -> QuerySet[UnansweredQuestion]:
    """The questions the bot could not answer that only this visitor asked (asked once, in
    the words of one of their messages): those are theirs. One that others asked too is a
    question of many, and carries no link to any of them; retention removes it in time."""
    texts = Message.objects.filter(
        conversation_id__in=data.conversation_ids, sender_role=Message.Role.VISITOR
    ).values_list("text", flat=True)
    keys = {UnansweredQuestion.key_for(text) for text in texts}
    return UnansweredQuestion.objects.filter(key__in=keys, count=1)


def erasure_querysets(*, data: VisitorData) -> list[QuerySet]:
    """What erasing the visitor deletes, outright; Django's cascades take the rest."""
    querysets: list[QuerySet] = [
        unanswered_questions_of(data=data),
        data.left_messages(),
        data.conversations(),
    ]
    model = session_model()
    if model is not None:
        querysets.append(model.objects.filter(pk__in=data.session_keys))
    return querysets


def erasure_counts(*, data: VisitorData) -> dict[str, int]:
    """What erasing the visitor would delete: rows by model label ("chat.Message"), as
    Django's own deletion would count them, cascades included (notes, labels or anything
    else another app ties to a conversation with a cascading foreign key)."""
    collector = Collector(using=router.db_for_write(Conversation))
    for queryset in erasure_querysets(data=data):
        collector.collect(queryset)
    rows: dict[str, set] = defaultdict(set)
    for model, instances in collector.data.items():
        rows[model._meta.label].update(instance.pk for instance in instances)
    # A row reached along two paths (a suggestion: by its conversation and by its question)
    # is one row.
    for queryset in collector.fast_deletes:
        rows[queryset.model._meta.label].update(queryset.values_list("pk", flat=True))
    return {label: len(pks) for label, pks in rows.items() if pks}


def ratings_count(*, data: VisitorData) -> int:
    """Ratings are kept on their conversations: how many of these the visitor rated."""
    return data.conversations().filter(rating_score__isnull=False).count()


FIRST = ["chat.Conversation", "chat.Message", "chat.LeftMessage", "sessions.Session"]


def _ordered(counts: dict[str, int]) -> list[str]:
    """The model labels counted, the visitor's own rows first, then the rest by label."""
    return [label for label in FIRST + sorted(set(counts) - set(FIRST)) if counts.get(label)]


def labelled(counts: dict[str, int]) -> dict[str, int]:
    """Counts by model label ("chat.Message") as people name the rows ("messages")."""
    return {
        str(apps.get_model(label)._meta.verbose_name_plural): counts[label]
        for label in _ordered(counts)
    }


def in_words(counts: dict[str, int]) -> list[str]:
    """Each count by model label in words: "1 conversation", "4 messages"."""
    words = []
    for label in _ordered(counts):
        meta = apps.get_model(label)._meta
        name = meta.verbose_name if counts[label] == 1 else meta.verbose_name_plural
        words.append(f"{counts[label]} {name}")
    return words


def visitor_export(*, data: VisitorData) -> dict[str, Any]:
    """The visitor's data as they could ask for it: their conversations as they saw them
    (every message, the bot's, the agents' and the chat's notices too), their ratings and
    the messages they left. Not what only staff see (suggestions, notes), not copies (webhook
    deliveries), and not their session key: whoever held the file could resume their chat."""
    messages: dict[int, list[dict[str, Any]]] = {pk: [] for pk in data.conversation_ids}
    for message in Message.objects.filter(conversation_id__in=data.conversation_ids).order_by(
        "conversation_id", "id"
    ):
        messages[message.conversation_id].append(
            {
                "sent_at": message.sent_at.isoformat(),
                "from": message.sender_role,
                "name": message.sender_name,
                **({"title": message.sender_title} if message.sender_title else {}),
                "text": message.text,
                **({"attachments": message.attachments} if message.attachments else {}),
                **(
                    {"response_value": message.response_value}
                    if message.response_value is not None
                    else {}
                ),
            }
        )
    conversations = [
        {
            "id": conversation.pk,
            "started_at": conversation.created_at.isoformat(),
            "last_activity_at": conversation.last_message_at.isoformat(),
            "closed_at": _iso(conversation.closed_at),
            "page": conversation.current_page,
            "language": conversation.language,
            "rating": (
                {
                    "score": conversation.rating_score,
                    "comment": conversation.rating_comment,
                    "rated_at": _iso(conversation.rated_at),
                }
                if conversation.rating_score is not None
                else None
            ),
            "messages": messages[conversation.pk],
        }
        for conversation in data.conversations().order_by("created_at", "pk")
    ]
    left_messages = [
        {
            "created_at": left.created_at.isoformat(),
            "name": left.name,
            "email": left.email,
            "text": left.text,
            "page": left.page,
            "conversation": left.conversation_id,
        }
        for left in data.left_messages().order_by("created_at", "pk")
    ]
    return {
        "exported_at": timezone.now().isoformat(),
        "conversations": conversations,
        "left_messages": left_messages,
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None
