from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import meaning
from .base import Bot
from .importexport import KnowledgeRow, normalize_terms
from .models import (
    BotProfile,
    ExampleQuestion,
    KnowledgeEntry,
    OutOfScopeQuestion,
    UnansweredQuestion,
    words_of,
)


def profile_get_or_create(*, bot_class: type[Bot]) -> BotProfile:
    """The stored profile of ``bot_class``, created from the class defaults if missing."""
    profile, _ = BotProfile.objects.get_or_create(
        slug=bot_class.slug,
        defaults={
            "name": bot_class.default_name,
            "title": bot_class.default_title,
            "thumbnail_path": bot_class.default_thumbnail_path,
        },
    )
    return profile


def profile_revision_bump(*, profile_id: int) -> None:
    """Mark the bot's profile as changed; every process rebuilds its bot on next use."""
    BotProfile.objects.filter(pk=profile_id).update(revision=F("revision") + 1)


# --------------------------------------------------------------------------- unanswered questions

_TEXT_MAX = UnansweredQuestion._meta.get_field("text").max_length
_PAGE_MAX = UnansweredQuestion._meta.get_field("last_page").max_length


def _unanswered_question_bump(*, profile_id: int, key: str, page: str) -> bool:
    """Count one more asking of an already recorded question; False if there is none yet."""
    # F() makes the increment happen in the database, so concurrent askings all count.
    return (
        UnansweredQuestion.objects.filter(profile_id=profile_id, key=key).update(
            count=F("count") + 1, last_asked=timezone.now(), last_page=page
        )
        > 0
    )


def unanswered_question_record(*, bot_slug: str, text: str, page: str = "") -> None:
    """Record that the bot could not answer ``text``, asked on the page at path ``page``.

    Questions that differ only in case, spacing or trailing punctuation are counted together.
    Safe against concurrent calls: two processes recording the same new question end with
    count 2. Does nothing if the bot has no stored profile, or the text is blank or
    only punctuation.
    """
    text = text.strip()[:_TEXT_MAX]
    if not UnansweredQuestion.normalize(text):
        return  # blank, or only punctuation: nothing staff could answer
    profile_id = BotProfile.objects.filter(slug=bot_slug).values_list("pk", flat=True).first()
    if profile_id is None:
        return
    key = UnansweredQuestion.key_for(text)
    page = page[:_PAGE_MAX]
    if _unanswered_question_bump(profile_id=profile_id, key=key, page=page):
        return
    vector = _unanswered_question_vector(text)
    if vector is not None:
        same = _unanswered_question_same_meaning(profile_id=profile_id, vector=vector)
        if same is not None and _unanswered_question_bump(
            profile_id=profile_id, key=same, page=page
        ):
            return
    try:
        # A savepoint, so that losing the race below leaves the caller's transaction usable.
        with transaction.atomic():
            now = timezone.now()
            UnansweredQuestion.objects.create(
                profile_id=profile_id,
                key=key,
                text=text,
                first_asked=now,
                last_asked=now,
                last_page=page,
                vector=None if vector is None else vector.tobytes(),
            )
    except IntegrityError:
        # Another process recorded it between our update and our insert: count on its row.
        _unanswered_question_bump(profile_id=profile_id, key=key, page=page)


#: Questions at least this close in meaning are the same question asked in other words
#: ("can gophers swim?", "can a gopher swim"): staff answer them once. Only near-identical
#: ones: a looser bound joins opposites ("rarely asked?" and "often asked?": 0.89).
SAME_MEANING = 0.9
#: Rows compared per recorded question: the most asked, which a new one most likely joins.
_SAME_MEANING_ROWS = 2000


def _unanswered_question_vector(text: str) -> np.ndarray | None:
    found = meaning.semantics()
    if found is None:
        return None
    return found.encode([text])[0].astype(np.float32)


def _unanswered_question_same_meaning(*, profile_id: int, vector: np.ndarray) -> str | None:
    """The key of the recorded question nearest ``vector`` in meaning, if near enough."""
    rows = list(
        UnansweredQuestion.objects.filter(profile_id=profile_id, vector__isnull=False)
        .order_by("-count", "-last_asked")
        .values_list("key", "vector")[:_SAME_MEANING_ROWS]
    )
    if not rows:
        return None
    matrix = np.stack([np.frombuffer(bytes(stored), dtype=np.float32) for _, stored in rows])
    cosines = matrix @ vector
    best = int(np.argmax(cosines))
    return rows[best][0] if cosines[best] >= SAME_MEANING else None


@transaction.atomic
def unanswered_question_to_entry(
    *, question: UnansweredQuestion, terms: str, answer: str
) -> KnowledgeEntry:
    """Answer ``question`` with a new knowledge entry of its bot; the question is then removed.

    Saving the entry bumps the bot's revision (signals), so the live bot answers it next time.
    """
    entry = KnowledgeEntry.objects.create(
        profile_id=question.profile_id, terms=terms.strip(), answer=answer.strip()
    )
    # The question itself is the first way visitors are known to ask it.
    ExampleQuestion.objects.create(entry=entry, text=_one_line(question.text, _EXAMPLE_MAX))
    # By queryset, so that the caller's instance keeps its pk (admin logs it afterwards).
    UnansweredQuestion.objects.filter(pk=question.pk).delete()
    return entry


@transaction.atomic
def unanswered_question_add_terms(
    *, question: UnansweredQuestion, entry: KnowledgeEntry
) -> KnowledgeEntry:
    """Answer ``question`` with an existing entry by adding the question's words it lacks to its
    terms; the question is then removed."""
    if entry.profile_id != question.profile_id:
        raise ValueError("The entry belongs to another bot than the question.")
    # Locked, so that a concurrent edit of the terms is not overwritten by a stale copy.
    entry = KnowledgeEntry.objects.select_for_update().get(pk=entry.pk)
    present = set(words_of(entry.terms))
    missing = [word for word in question.words if word not in present]
    if missing:
        entry.terms = " ".join([entry.terms.strip(), *missing]).strip()
        entry.save(update_fields=["terms", "updated_at"])
    UnansweredQuestion.objects.filter(pk=question.pk).delete()
    return entry


@transaction.atomic
def unanswered_question_add_example(
    *, question: UnansweredQuestion, entry: KnowledgeEntry
) -> KnowledgeEntry:
    """Answer ``question`` with an existing entry by keeping it as one of the entry's example
    questions (the semantic stage then matches questions like it); the question is removed."""
    if entry.profile_id != question.profile_id:
        raise ValueError("The entry belongs to another bot than the question.")
    ExampleQuestion.objects.get_or_create(entry=entry, text=_one_line(question.text, _EXAMPLE_MAX))
    UnansweredQuestion.objects.filter(pk=question.pk).delete()
    return entry


def unanswered_question_to_out_of_scope(*, question: UnansweredQuestion) -> OutOfScopeQuestion:
    """Settle ``question`` as one the bot is right to decline: it is kept as an out-of-scope
    question of its bot (questions near it in meaning are declined too) and removed."""
    kept, _ = OutOfScopeQuestion.objects.get_or_create(
        profile_id=question.profile_id, text=_one_line(question.text, _OUT_OF_SCOPE_MAX)
    )
    UnansweredQuestion.objects.filter(pk=question.pk).delete()
    return kept


_EXAMPLE_MAX = ExampleQuestion._meta.get_field("text").max_length
_OUT_OF_SCOPE_MAX = OutOfScopeQuestion._meta.get_field("text").max_length


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    deleted: int
    #: Rows whose entry already had exactly these terms and answer.
    unchanged: int = 0


@transaction.atomic
def knowledge_import(
    *,
    bot_slug: str,
    rows: Sequence[KnowledgeRow],
    replace: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Write validated rows into the bot's knowledge base, all or nothing.

    A row whose normalised terms equal an entry's updates that entry; other rows become new
    entries. With ``replace``, entries matching no row are deleted, so that the knowledge base
    is exactly the rows. With ``dry_run`` everything is done and then rolled back, so the counts
    are exactly what a real import would do. Raises ``BotProfile.DoesNotExist`` for an unknown
    bot.
    """
    # Locking the profile serialises imports of the same knowledge base.
    profile = BotProfile.objects.select_for_update().get(slug=bot_slug)
    existing: dict[str, KnowledgeEntry] = {}
    for entry in KnowledgeEntry.objects.filter(profile=profile).order_by("id"):
        existing.setdefault(normalize_terms(entry.terms), entry)
    matched: set[int] = set()
    to_create: list[KnowledgeEntry] = []
    to_update: list[KnowledgeEntry] = []
    unchanged = 0
    for row in rows:
        entry = existing.get(normalize_terms(row.terms))
        if entry is None or entry.pk in matched:
            to_create.append(KnowledgeEntry(profile=profile, terms=row.terms, answer=row.answer))
            continue
        matched.add(entry.pk)
        if entry.terms == row.terms and entry.answer == row.answer:
            unchanged += 1
            continue
        entry.terms, entry.answer = row.terms, row.answer
        entry.updated_at = timezone.now()
        to_update.append(entry)
    to_delete = (
        list(
            KnowledgeEntry.objects.filter(profile=profile)
            .exclude(pk__in=matched)
            .values_list("pk", flat=True)
        )
        if replace
        else []
    )
    # Bulk writes send no post_save signals: the revision is bumped once, below, instead.
    KnowledgeEntry.objects.bulk_create(to_create)
    KnowledgeEntry.objects.bulk_update(to_update, ["terms", "answer", "updated_at"])
    KnowledgeEntry.objects.filter(pk__in=to_delete).delete()
    if to_create or to_update or to_delete:
        profile_revision_bump(profile_id=profile.pk)
    if dry_run:
        transaction.set_rollback(True)
    return ImportResult(
        created=len(to_create), updated=len(to_update), deleted=len(to_delete), unchanged=unchanged
    )
