from django.db.models import F

from .base import Bot
from .models import Agent


def agent_get_or_create(*, bot_class: type[Bot]) -> Agent:
    """The stored profile of ``bot_class``, created from the class defaults if missing."""
    agent, _ = Agent.objects.get_or_create(
        slug=bot_class.slug,
        defaults={
            "name": bot_class.default_name,
            "title": bot_class.default_title,
            "thumbnail_path": bot_class.default_thumbnail_path,
        },
    )
    return agent


def agent_revision_bump(*, agent_id: int) -> None:
    """Mark the agent's profile as changed; every process rebuilds its bot on next use."""
    Agent.objects.filter(pk=agent_id).update(revision=F("revision") + 1)
