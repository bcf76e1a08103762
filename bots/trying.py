"""Trying a question on the live bot, as staff do in admin: its reply, the entries that
competed for it with their scores, and the decision taken. A read, like the selectors, but
of the bot as it serves (``bots.loading``), which itself reads the selectors."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Explanation, PageContext, Reply
from .loading import get_bot
from .models import KnowledgeEntry


@dataclass(frozen=True)
class ExplainedCandidate:
    """A knowledge entry that competed for a question, with its score."""

    key: str
    score: float
    #: The entry, or None when the key names no entry of the bot (e.g. deleted meanwhile).
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
            profile__slug=bot.slug, pk__in=[key for key in keys if key.isdigit()]
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
