"""Deleting visitors' data: all of one visitor's when staff erase it, and everything past the
retention period every night (with the expired sessions). Every deletion that removes
conversations or left messages is written to the audit log; Django's cascades take what is
tied to a conversation (messages, suggestions, a bot app's membership and webhook copies, and
whatever another app ties to it with a cascading foreign key).

The purge deletes in batches of CHAT_PURGE_BATCH_SIZE rows, each in a transaction of its own,
found by walking the primary key: the chat goes on writing between batches, a purge that
stops half-way has lost nothing it had not finished, and a conversation that came back to
life since it was found is skipped (its last activity is checked again as it is deleted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.models import Entry
from audit.services import entry_record
from botapps.models import WebhookDelivery
from bots.models import UnansweredQuestion
from chat.models import Conversation, LeftMessage

from . import conf, selectors
from .selectors import VisitorData, VisitorLookup

Action = Entry.Action
# A batch's labels and how many rows of each it deleted, as QuerySet.delete() tells them.
Progress = Callable[[dict[str, int]], None]


@dataclass(frozen=True)
class Erased:
    """What an erasure deleted: rows by model label, and the visitor as they were found."""

    data: VisitorData
    deleted: dict[str, int]


def visitor_erase(*, lookup: VisitorLookup, actor_user_id: int | None) -> Erased:
    """Delete everything stored about the visitor ``lookup`` names, in one transaction, as
    it is at this moment (a conversation they started since the confirmation goes too), and
    write it to the audit log: by whom, found how, which conversation numbers and how many
    rows of each kind; never the address or anything the visitor wrote."""
    with transaction.atomic():
        data = selectors.visitor_data(lookup=lookup)
        deleted: Counter[str] = Counter()
        for queryset in selectors.erasure_querysets(data=data):
            _, by_model = queryset.delete()
            deleted.update(by_model)
        deleted = +deleted
        if deleted:
            entry_record(
                action=Action.ERASED,
                actor_user_id=actor_user_id,
                detail={
                    "lookup": lookup.kind,
                    "conversations": list(data.conversation_ids),
                    "counts": selectors.labelled(deleted),
                },
            )
    return Erased(data=data, deleted=dict(deleted))


def visitor_export(*, lookup: VisitorLookup, actor_user_id: int | None) -> dict[str, Any]:
    """The visitor's data as they may have it (selectors.visitor_export), and an entry in the
    audit log that ``actor_user_id`` took it: found how, which conversation numbers, how many
    conversations and left messages."""
    data = selectors.visitor_data(lookup=lookup)
    export = selectors.visitor_export(data=data)
    entry_record(
        action=Action.EXPORTED,
        actor_user_id=actor_user_id,
        detail={
            "lookup": data.lookup.kind,
            "conversations": list(data.conversation_ids),
            "counts": {
                "conversations": len(data.conversation_ids),
                "left messages": len(data.left_message_ids),
            },
        },
    )
    return export


@dataclass
class Purged:
    """What a purge deleted, by model label; the retention it applied (None: off)."""

    retention_days: int | None
    before: datetime | None
    deleted: Counter[str] = field(default_factory=Counter)


def chat_data_purge(
    *, now: datetime | None = None, batch_size: int | None = None, progress: Progress | None = None
) -> Purged:
    """Delete what is older than CHAT_RETENTION_DAYS: conversations whose last activity is
    (with everything tied to them, their left messages included), left messages, webhook
    deliveries and unanswered questions (by when last asked); then one audit entry for all
    of it. With retention off, nothing. ``progress`` hears of each batch."""
    days = conf.get("CHAT_RETENTION_DAYS")
    if not days:
        return Purged(retention_days=None, before=None)
    now = now or timezone.now()
    before = now - timedelta(days=days)
    size = batch_size or conf.get("CHAT_PURGE_BATCH_SIZE")
    purged = Purged(retention_days=days, before=before)

    def with_left_messages(expired: QuerySet[Conversation]) -> Counter[str]:
        # Left messages do not go with their conversation by themselves (staff keep one whose
        # conversation they delete); past retention they do.
        _, left = LeftMessage.objects.filter(conversation__in=expired).delete()
        _, rest = expired.delete()
        return Counter(left) + Counter(rest)

    for queryset, delete in (
        (Conversation.objects.filter(last_message_at__lt=before), with_left_messages),
        (LeftMessage.objects.filter(created_at__lt=before), None),
        (WebhookDelivery.objects.filter(created_at__lt=before), None),
        (UnansweredQuestion.objects.filter(last_asked__lt=before), None),
    ):
        purged.deleted.update(
            delete_in_batches(queryset, batch_size=size, delete=delete, progress=progress)
        )
    purged.deleted = +purged.deleted
    if purged.deleted:
        entry_record(
            action=Action.PURGED,
            detail={
                "retention_days": days,
                "before": before.isoformat(),
                "counts": selectors.labelled(purged.deleted),
            },
        )
    return purged


def sessions_clear_expired(
    *, now: datetime | None = None, batch_size: int | None = None, progress: Progress | None = None
) -> int:
    """Delete the sessions that have expired, in batches (Django's clearsessions deletes
    them in one statement, which holds its locks as long as that takes); how many.
    Sessions kept elsewhere than in the database expire by themselves (their store's
    ``clear_expired``)."""
    model = selectors.session_model()
    if model is None:
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
        return 0
    expired = model.objects.filter(expire_date__lt=now or timezone.now())
    deleted = delete_in_batches(
        expired, batch_size=batch_size or conf.get("CHAT_PURGE_BATCH_SIZE"), progress=progress
    )
    return sum(deleted.values())


def delete_in_batches(
    queryset: QuerySet,
    *,
    batch_size: int,
    delete: Callable[[QuerySet], Counter[str]] | None = None,
    progress: Progress | None = None,
) -> Counter[str]:
    """Delete the rows of ``queryset`` ``batch_size`` at a time, each batch in its own
    transaction, walking the primary key so that each batch starts where the last ended.
    A row is deleted only if it still matches ``queryset`` then. ``delete`` deletes one
    batch (default: its delete()); the rows deleted, by model label."""
    deleted: Counter[str] = Counter()
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        last = ids[-1]
        batch = queryset.filter(pk__in=ids)
        with transaction.atomic():
            if delete is not None:
                by_model = delete(batch)
            else:
                _, by_model = batch.delete()
        by_model = {label: number for label, number in by_model.items() if number}
        deleted.update(by_model)
        if progress is not None:
            progress(by_model)
