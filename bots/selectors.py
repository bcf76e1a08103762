from __future__ import annotations

from django.templatetags.static import static

from .base import BotProfileData, KnowledgeItem
from .importexport import KnowledgeRow
from .models import BotProfile, ExampleQuestion


def profile_revision(*, slug: str) -> int | None:
    """The current revision of the bot's profile, or None if it has none: one small query."""
    return BotProfile.objects.filter(slug=slug).values_list("revision", flat=True).first()


def profile_revision_and_online(*, slug: str) -> tuple[int, bool] | None:
    """The profile's revision and whether the bot answers visitors, in one small query."""
    return BotProfile.objects.filter(slug=slug).values_list("revision", "is_online_enabled").first()


def profile_data(*, slug: str) -> BotProfileData:
    profile = BotProfile.objects.get(slug=slug)
    examples: dict[int, list[str]] = {}
    for entry_id, text in ExampleQuestion.objects.filter(entry__profile=profile).values_list(
        "entry_id", "text"
    ):
        examples.setdefault(entry_id, []).append(text)
    knowledge = tuple(
        KnowledgeItem(key=str(pk), terms=terms, answer=answer, examples=tuple(examples.get(pk, ())))
        for pk, terms, answer in profile.knowledge.values_list("pk", "terms", "answer")
    )
    sample_questions = tuple(profile.sample_questions.values_list("text", flat=True))
    out_of_scope = tuple(profile.out_of_scope.values_list("text", flat=True))
    return BotProfileData(
        name=profile.name,
        title=profile.title,
        thumbnail_path=profile.thumbnail_path,
        knowledge=knowledge,
        sample_questions=sample_questions,
        out_of_scope=out_of_scope,
        revision=profile.revision,
    )


def thumbnail_url(path: str) -> str:
    """Where the browser finds a thumbnail stored as a static path or a URL."""
    if path.startswith(("/", "http://", "https://")):
        return path
    return static(path)


def bot_online_enabled(*, slug: str) -> bool:
    """Whether the bot answers visitors; on until staff switch it off."""
    enabled = (
        BotProfile.objects.filter(slug=slug).values_list("is_online_enabled", flat=True).first()
    )
    return True if enabled is None else enabled


def profile_exists(*, slug: str) -> bool:
    return BotProfile.objects.filter(slug=slug).exists()


def knowledge_export_rows(*, bot_slug: str) -> list[KnowledgeRow]:
    """The bot's knowledge entries in the order they were made; raises BotProfile.DoesNotExist."""
    profile = BotProfile.objects.get(slug=bot_slug)
    return [
        KnowledgeRow(terms=terms, answer=answer)
        for terms, answer in profile.knowledge.order_by("id").values_list("terms", "answer")
    ]
