from __future__ import annotations

from django.templatetags.static import static

from .base import BotProfile, KnowledgeItem
from .importexport import KnowledgeRow
from .models import Agent, ExampleQuestion


def agent_revision(*, slug: str) -> int | None:
    """The current revision of the agent's profile, or None if it has none: one small query."""
    return Agent.objects.filter(slug=slug).values_list("revision", flat=True).first()


def agent_revision_and_online(*, slug: str) -> tuple[int, bool] | None:
    """The profile's revision and whether the bot answers visitors, in one small query."""
    return Agent.objects.filter(slug=slug).values_list("revision", "is_online_enabled").first()


def agent_profile(*, slug: str) -> BotProfile:
    agent = Agent.objects.get(slug=slug)
    examples: dict[int, list[str]] = {}
    for entry_id, text in ExampleQuestion.objects.filter(entry__agent=agent).values_list(
        "entry_id", "text"
    ):
        examples.setdefault(entry_id, []).append(text)
    knowledge = tuple(
        KnowledgeItem(key=str(pk), terms=terms, answer=answer, examples=tuple(examples.get(pk, ())))
        for pk, terms, answer in agent.knowledge.values_list("pk", "terms", "answer")
    )
    sample_questions = tuple(agent.sample_questions.values_list("text", flat=True))
    out_of_scope = tuple(agent.out_of_scope.values_list("text", flat=True))
    return BotProfile(
        name=agent.name,
        title=agent.title,
        thumbnail_path=agent.thumbnail_path,
        knowledge=knowledge,
        sample_questions=sample_questions,
        out_of_scope=out_of_scope,
        revision=agent.revision,
    )


def thumbnail_url(path: str) -> str:
    """Where the browser finds a thumbnail stored as a static path or a URL."""
    if path.startswith(("/", "http://", "https://")):
        return path
    return static(path)


def agent_online_enabled(*, slug: str) -> bool:
    """Whether the bot answers visitors; on until staff switch it off."""
    enabled = Agent.objects.filter(slug=slug).values_list("is_online_enabled", flat=True).first()
    return True if enabled is None else enabled


def agent_exists(*, slug: str) -> bool:
    return Agent.objects.filter(slug=slug).exists()


def knowledge_export_rows(*, agent_slug: str) -> list[KnowledgeRow]:
    """The agent's knowledge entries in the order they were made; raises Agent.DoesNotExist."""
    agent = Agent.objects.get(slug=agent_slug)
    return [
        KnowledgeRow(terms=terms, answer=answer)
        for terms, answer in agent.knowledge.order_by("id").values_list("terms", "answer")
    ]
