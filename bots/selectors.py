from django.templatetags.static import static

from .base import BotProfile, KnowledgeItem
from .models import Agent


def agent_revision(*, slug: str) -> int | None:
    """The current revision of the agent's profile, or None if it has none: one small query."""
    return Agent.objects.filter(slug=slug).values_list("revision", flat=True).first()


def agent_profile(*, slug: str) -> BotProfile:
    agent = Agent.objects.get(slug=slug)
    knowledge = tuple(
        KnowledgeItem(key=str(pk), terms=terms, answer=answer)
        for pk, terms, answer in agent.knowledge.values_list("pk", "terms", "answer")
    )
    sample_questions = tuple(agent.sample_questions.values_list("text", flat=True))
    return BotProfile(
        name=agent.name,
        title=agent.title,
        thumbnail_path=agent.thumbnail_path,
        knowledge=knowledge,
        sample_questions=sample_questions,
        revision=agent.revision,
    )


def thumbnail_url(path: str) -> str:
    """Where the browser finds a thumbnail stored as a static path or a URL."""
    if path.startswith(("/", "http://", "https://")):
        return path
    return static(path)
