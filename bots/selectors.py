from __future__ import annotations

from dataclasses import dataclass

from django.templatetags.static import static

from .base import BotProfile, Explanation, KnowledgeItem, PageContext, Reply
from .importexport import KnowledgeRow
from .models import Agent, ExampleQuestion, KnowledgeEntry


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
    """Whether the bot answers visitors (the seed's is_online_enabled); on until staff say not."""
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


# --------------------------------------------------------------------------- trying questions


@dataclass(frozen=True)
class ExplainedCandidate:
    """A knowledge entry that competed for a question, with its score."""

    key: str
    score: float
    #: The entry, or None when the key names no entry of the agent (e.g. deleted meanwhile).
    entry: KnowledgeEntry | None
    #: The semantic score beside the lexical one (None without the semantic stage).
    semantic: float | None = None


@dataclass(frozen=True)
class BotExplanation:
    """What the live bot answers to a question and, if it can tell, why."""

    reply: Reply
    #: False for bots without ``explain``: only ``reply`` is known.
    explained: bool = False
    #: The candidate the reply came from (ANSWER only).
    answering: ExplainedCandidate | None = None
    #: The other best-scoring candidates, best first.
    runners_up: tuple[ExplainedCandidate, ...] = ()
    threshold: float | None = None
    #: The decision taken, in a sentence.
    decision: str = ""
    semantic_threshold: float | None = None
    semantic_lead: float | None = None


def bot_explain(
    *, question: str, context: PageContext | None = None, limit: int = 5
) -> BotExplanation:
    """Ask the live bot (as visitors would reach it) ``question``, with the entries it weighed."""
    # Imported here: bots.loading itself imports this module.
    from .loading import get_bot

    bot = get_bot()
    explain = getattr(bot, "explain", None)
    if not callable(explain):
        return BotExplanation(reply=bot.respond(question, context=context))
    explanation: Explanation = explain(question, context=context, limit=limit)
    reply = explanation.reply
    keys = [candidate.key for candidate in explanation.candidates]
    if reply.entry_key is not None and reply.entry_key not in keys:
        keys.append(reply.entry_key)  # ranked below the limit (should not happen, but may)
    entries = {
        str(entry.pk): entry
        for entry in KnowledgeEntry.objects.filter(
            agent__slug=bot.slug, pk__in=[key for key in keys if key.isdigit()]
        )
    }
    candidates = {candidate.key: candidate for candidate in explanation.candidates}
    answering = None
    if reply.entry_key is not None:
        found = candidates.get(reply.entry_key)
        answering = ExplainedCandidate(
            key=reply.entry_key,
            score=found.score if found else reply.score,
            entry=entries.get(reply.entry_key),
            semantic=found.semantic if found else None,
        )
    runners_up = tuple(
        ExplainedCandidate(
            key=candidate.key,
            score=candidate.score,
            entry=entries.get(candidate.key),
            semantic=candidate.semantic,
        )
        for candidate in explanation.candidates
        if candidate.key != reply.entry_key
    )
    return BotExplanation(
        reply=reply,
        explained=True,
        answering=answering,
        runners_up=runners_up,
        threshold=explanation.threshold,
        decision=explanation.decision,
        semantic_threshold=explanation.semantic_threshold,
        semantic_lead=explanation.semantic_lead,
    )
