"""Trying a question on the live bot (bots/trying.py)."""

import pytest

from bots import conf
from bots.agents import BLENDED_MIN_SCORE, LEXICAL_WEIGHT
from bots.base import Bot, Candidate, Explanation, PageContext, Reply, ReplyKind
from bots.models import KnowledgeEntry
from bots.trying import bot_explain

pytestmark = pytest.mark.django_db


class Echo(Bot):
    """A bot that cannot explain itself."""

    slug = "echo"
    default_name = "Echo"

    def greeting(self) -> str:
        return "Say something."

    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        return Reply(question, ReplyKind.ANSWER)


class Ghost(Echo):
    """Explains with keys that name no stored entry, and answers from one ranked too low."""

    slug = "case"

    def explain(self, question, *, context=None, limit=5) -> Explanation:
        first = KnowledgeEntry.objects.order_by("id").first()
        reply = Reply("Boo.", ReplyKind.ANSWER, entry_key=str(first.pk), score=0.9)
        return Explanation(reply, (Candidate("999999", 0.5), Candidate("not-a-pk", 0.2)), 0.3)


def test_explain_an_answer():
    explanation = bot_explain(question="What is isomorphic go?")
    entry = KnowledgeEntry.objects.get(terms__startswith="isomorphic go")
    assert explanation.explained
    assert explanation.reply.kind == ReplyKind.ANSWER
    assert explanation.answering.entry == entry
    assert explanation.answering.key == str(entry.pk)
    assert explanation.answering.score == pytest.approx(explanation.reply.score)
    assert explanation.threshold == pytest.approx(conf.get("BOT_MIN_SCORE"))
    assert "Answered on words" in explanation.decision
    # Both scores side by side, in the order the semantic stage weighs them.
    weighed = [
        candidate.semantic + LEXICAL_WEIGHT * candidate.score
        for candidate in [explanation.answering, *explanation.runners_up]
    ]
    assert weighed == sorted(weighed, reverse=True)
    assert explanation.semantic_threshold == BLENDED_MIN_SCORE
    assert entry not in [candidate.entry for candidate in explanation.runners_up]
    assert all(candidate.entry is not None for candidate in explanation.runners_up)
    assert len(explanation.runners_up) <= 4


def test_explain_the_fallback():
    explanation = bot_explain(question="zxqv blorp flimflam")
    assert explanation.explained
    assert explanation.reply.kind == ReplyKind.FALLBACK
    assert explanation.answering is None
    assert explanation.decision.startswith("Declined")
    # No entry shares a word with it, and none is near it in meaning.
    assert all(candidate.score == 0 for candidate in explanation.runners_up)
    assert all(candidate.semantic < 0.3 for candidate in explanation.runners_up)


def test_a_bot_without_explain_gives_just_its_reply(settings):
    settings.CHAT_BOT = f"{__name__}.Echo"
    explanation = bot_explain(question="ping")
    assert not explanation.explained
    assert explanation.reply == Reply("ping", ReplyKind.ANSWER)
    assert explanation.answering is None and explanation.threshold is None


def test_candidates_that_name_no_entry_are_kept_without_one(settings):
    settings.CHAT_BOT = f"{__name__}.Ghost"
    explanation = bot_explain(question="anything")
    first = KnowledgeEntry.objects.order_by("id").first()
    assert explanation.answering.entry == first
    assert explanation.answering.score == 0.9  # from the reply: it was not among the candidates
    assert [(c.key, c.entry) for c in explanation.runners_up] == [
        ("999999", None),
        ("not-a-pk", None),
    ]
