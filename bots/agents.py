"""The bots that can answer visitors. Choose one with the CHAT_BOT setting."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Self

from . import conf
from .base import (
    Bot,
    BotProfile,
    Candidate,
    Explanation,
    KnowledgeItem,
    PageContext,
    Reply,
    ReplyKind,
)
from .matching import KnowledgeIndex


class AgentCase(Bot):
    """Case answers questions on Isomorphic Go from a knowledge base staff edit."""

    slug = "case"
    default_name = "Case"
    default_title = "Resident Isomorphic Gopher Agent"
    default_thumbnail_path = "images/chat/Case.png"
    fallback = "I don't know the answer to that one."

    def __init__(
        self,
        *,
        knowledge: Iterable[KnowledgeItem] = (),
        sample_questions: Iterable[str] = (),
        min_score: float = 0.1,
        rng: random.Random | None = None,
        **identity,
    ) -> None:
        super().__init__(**identity)
        self.knowledge = {item.key: item for item in knowledge}
        self.sample_questions = list(sample_questions)
        self._index = KnowledgeIndex(
            ((item.key, item.terms) for item in self.knowledge.values()), min_score=min_score
        )
        self._rng = rng or random.Random()

    @classmethod
    def from_profile(cls, profile: BotProfile) -> Self:
        return cls(
            name=profile.name,
            title=profile.title,
            thumbnail_path=profile.thumbnail_path,
            knowledge=profile.knowledge,
            sample_questions=profile.sample_questions,
            min_score=conf.get("BOT_MIN_SCORE"),
        )

    def greeting(self) -> str:
        greeting = f"Hi there! I'm {self.name}. You can ask me a question on Isomorphic Go."
        if self.sample_questions:
            greeting += f' Such as..."{self._rng.choice(self.sample_questions)}"'
        return greeting

    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        match = self._index.best_match(question)
        if match is None:
            return Reply(self.fallback, ReplyKind.FALLBACK)
        return Reply(self.knowledge[match.key].answer, ReplyKind.ANSWER, match.key, match.score)

    def explain(
        self, question: str, *, context: PageContext | None = None, limit: int = 5
    ) -> Explanation:
        """The reply, with the entries that competed for it: for staff trying questions."""
        candidates = tuple(
            Candidate(match.key, match.score) for match in self._index.rank(question, limit=limit)
        )
        return Explanation(
            reply=self.respond(question, context=context),
            candidates=candidates,
            threshold=self._index.min_score,
        )
