"""The bots that can answer visitors. Choose one with the CHAT_BOT setting."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Self

from . import conf, intents
from .base import (
    Bot,
    BotProfile,
    Candidate,
    Explanation,
    KnowledgeItem,
    PageContext,
    ProductFacts,
    Reply,
    ReplyKind,
)
from .intents import ProductQuestion, SmallTalk
from .matching import DEFAULT_MIN_SCORE, KnowledgeIndex

SMALL_TALK_REPLIES = {
    SmallTalk.GREETING: "Hello! What would you like to know about Isomorphic Go?",
    SmallTalk.HOW_ARE_YOU: "I'm doing well, thanks for asking! What can I help you with?",
    SmallTalk.THANKS: "You're welcome! Is there anything else I can help you with?",
    SmallTalk.GOODBYE: "Goodbye, and thanks for stopping by!",
}


class AgentCase(Bot):
    """Case answers questions on Isomorphic Go from a knowledge base staff edit,
    and questions on the product the visitor is looking at."""

    slug = "case"
    default_name = "Case"
    default_title = "Resident Isomorphic Gopher Agent"
    default_thumbnail_path = "images/chat/Case.png"
    fallback = "I don't know the answer to that one."
    handoff = (
        "I'm a bot, and nobody from the team is available to chat right now, sorry. "
        "I can still help with questions on Isomorphic Go and on the products in the shop; "
        "for anything else, please come back later to reach a person."
    )
    no_product = (
        "Which product do you mean? Open its page in the shop and ask me there: "
        "I can tell you its price, whether it is in stock, and what it is."
    )

    def __init__(
        self,
        *,
        knowledge: Iterable[KnowledgeItem] = (),
        sample_questions: Iterable[str] = (),
        min_score: float = DEFAULT_MIN_SCORE,
        rng: random.Random | None = None,
        **identity,
    ) -> None:
        super().__init__(**identity)
        self.knowledge = {item.key: item for item in knowledge}
        self.sample_questions = list(sample_questions)
        self._index = KnowledgeIndex(self.knowledge.values(), min_score=min_score)
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
        if intents.asks_for_a_person(question):
            return Reply(self.handoff, ReplyKind.HANDOFF)
        asked = intents.product_question(question)
        if asked is not None:
            product = context.product if context else None
            if product is None:
                return Reply(self.no_product, ReplyKind.PRODUCT)
            return Reply(product_answer(product, asked), ReplyKind.PRODUCT)
        chat = intents.small_talk(question)
        if chat is not None:
            return Reply(SMALL_TALK_REPLIES[chat], ReplyKind.SMALLTALK)
        match = self._index.best_match(self._topic(question))
        if match is None:
            return Reply(self.fallback, ReplyKind.FALLBACK)
        return Reply(self.knowledge[match.key].answer, ReplyKind.ANSWER, match.key, match.score)

    def _topic(self, question: str) -> str:
        return intents.without_small_talk(question, names=(self.name,))

    def explain(
        self, question: str, *, context: PageContext | None = None, limit: int = 5
    ) -> Explanation:
        """The reply, with the entries that competed for it: for staff trying questions."""
        candidates = tuple(
            Candidate(match.key, match.score)
            for match in self._index.rank(self._topic(question), limit=limit)
        )
        return Explanation(
            reply=self.respond(question, context=context),
            candidates=candidates,
            threshold=self._index.min_score,
        )


def product_answer(product: ProductFacts, asked: ProductQuestion) -> str:
    price = f"${product.price}"
    if product.stock > 0:
        stock = f"{product.name} is in stock: {product.stock} available."
    else:
        stock = f"{product.name} is out of stock right now, sorry."
    if asked is ProductQuestion.PRICE:
        return f"{product.name} costs {price}."
    if asked is ProductQuestion.STOCK:
        return stock
    return f"{product.name}: {product.description} It costs {price}. {stock}"
