"""The bots that can answer visitors. Choose one with the CHAT_BOT setting."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Self

import numpy as np
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import conf, intents, products
from .base import (
    Bot,
    BotProfileData,
    Candidate,
    Explanation,
    KnowledgeItem,
    PageContext,
    ProductFacts,
    Reply,
    ReplyKind,
    Semantics,
)
from .intents import SmallTalk
from .matching import DEFAULT_MIN_SCORE, KnowledgeIndex, Match
from .semantic import SemanticIndex
from .text import STOP_WORDS, is_dictionary_word, stem, words

# The bot's own phrases are in the visitor's language (the chat makes replies with it
# active); what it answers from, the knowledge base, is in one language (README, "Languages").
SMALL_TALK_REPLIES = {
    SmallTalk.GREETING: _("Hello! What would you like to know about Isomorphic Go?"),
    SmallTalk.HOW_ARE_YOU: _("I'm doing well, thanks for asking! What can I help you with?"),
    SmallTalk.THANKS: _("You're welcome! Is there anything else I can help you with?"),
    SmallTalk.GOODBYE: _("Goodbye, and thanks for stopping by!"),
}


def greeting(name: str, sample_questions: list[str], *, rng: random.Random) -> str:
    """Case's first message: who it is, and one of the sample questions to ask (which are in
    the knowledge base's language, as its answers are)."""
    if not sample_questions:
        return gettext("Hi there! I'm %(name)s. You can ask me a question on Isomorphic Go.") % {
            "name": name
        }
    return gettext(
        "Hi there! I'm %(name)s. You can ask me a question on Isomorphic Go. "
        'Such as..."%(question)s"'
    ) % {"name": name, "question": rng.choice(sample_questions)}


# The semantic stage's settings, chosen on the tune split of benchmarks/evaluation (never on a
# held-out one). An entry's blended score is its cosine with the question (the best over the
# entry's texts) plus LEXICAL_WEIGHT times its lexical score: meaning decides, and words the
# question shares with the entry break near ties ("a talk on isomorphic go" is nearer in
# meaning to both the talk and what Isomorphic Go is; only the talk entry has "talk").
LEXICAL_WEIGHT = 0.5
#: Where words alone fall short, the best entry answers when its blended score reaches this...
BLENDED_MIN_SCORE = 0.65
#: ... and leads the next entry's by this much: two entries near alike mean unsure.
BLENDED_MIN_LEAD = 0.08
#: Words alone answer only when the entry is also this near the question in meaning: "how do
#: I restart my router" shares two words with the entries on Kick and routing, and neither
#: meaning.
LEXICAL_MIN_SUPPORT = 0.35
#: Words alone answer at once, without the model, when an entry covers this much of the
#: question: on the tune split every such answer was right (103 of 103), and the model's
#: 4 ms are saved for the questions that need it.
LEXICAL_SURE_SCORE = 0.6
#: A question word (an English word) the entry lacks sinks a semantic answer when leaving it
#: out brings the question this much nearer the entry: the word asks for something else.
OFF_TOPIC_WORD_PULL = 0.08
#: Question words tried that way: a question has few content words.
OFF_TOPIC_WORDS_TRIED = 4
#: Lexical candidates blended with the semantic scores: the rest score 0 on words.
LEXICAL_CANDIDATES = 10
#: A page's passage answers a question whose cosine with it, plus PASSAGE_WORDS_WEIGHT times
#: the share of the question's words it has, reaches this.
PASSAGE_MIN_SCORE = 0.5
PASSAGE_WORDS_WEIGHT = 0.5
#: Products whose passages' vectors a process keeps.
PASSAGE_CACHE_SIZE = 256


@dataclass(frozen=True)
class _Decision:
    reply: Reply
    #: The decision in a sentence, for staff trying questions.
    why: str


@dataclass(frozen=True)
class _PassageMatch:
    passage: products.Passage
    #: Cosine plus PASSAGE_WORDS_WEIGHT times the share of the question's words it has.
    score: float
    cosine: float
    #: The vectors of the passage's texts.
    vectors: np.ndarray


@dataclass(frozen=True)
class _PageVectors:
    """A product page's passages and the vectors of their texts (``starts``: where each
    passage's rows begin)."""

    passages: list[products.Passage]
    vectors: np.ndarray
    starts: np.ndarray


class AgentCase(Bot):
    """Case answers questions on Isomorphic Go from a knowledge base staff edit,
    and questions on the product the visitor is looking at."""

    slug = "case"
    default_name = "Case"
    default_title = "Resident Isomorphic Gopher Agent"
    default_thumbnail_path = "images/chat/Case.png"
    fallback = _("I don't know the answer to that one.")
    handoff = _(
        "I'm a bot, and nobody from the team is available to chat right now, sorry. "
        "I can still help with questions on Isomorphic Go and on the products in the shop; "
        "for anything else, please come back later to reach a person."
    )
    no_product = _(
        "Which product do you mean? Open its page in the shop and ask me there: "
        "I can tell you its price, whether it is in stock, and what it is."
    )

    def __init__(
        self,
        *,
        knowledge: Iterable[KnowledgeItem] = (),
        sample_questions: Iterable[str] = (),
        out_of_scope: Iterable[str] = (),
        min_score: float = DEFAULT_MIN_SCORE,
        semantics: Semantics | None = None,
        rng: random.Random | None = None,
        **identity,
    ) -> None:
        super().__init__(**identity)
        self.knowledge = {item.key: item for item in knowledge}
        self.sample_questions = list(sample_questions)
        self._index = KnowledgeIndex(self.knowledge.values(), min_score=min_score)
        self._semantics = semantics
        self._meaning = (
            SemanticIndex(list(self.knowledge.values()), semantics=semantics)
            if semantics is not None
            else None
        )
        self.out_of_scope = tuple(dict.fromkeys(t.strip() for t in out_of_scope if t.strip()))
        self._out_of_scope = (
            semantics.stored(list(self.out_of_scope))
            if semantics is not None and self.out_of_scope
            else None
        )
        self._passages: OrderedDict[ProductFacts, _PageVectors] = OrderedDict()
        self._rng = rng or random.Random()

    @classmethod
    def from_profile(cls, profile: BotProfileData, *, semantics: Semantics | None = None) -> Self:
        return cls(
            name=profile.name,
            title=profile.title,
            thumbnail_path=profile.thumbnail_path,
            knowledge=profile.knowledge,
            sample_questions=profile.sample_questions,
            out_of_scope=profile.out_of_scope,
            min_score=conf.get("BOT_MIN_SCORE"),
            semantics=semantics,
        )

    @property
    def semantic(self) -> bool:
        """Whether the bot understands meaning, beside words (the model is installed)."""
        return self._meaning is not None

    def greeting(self) -> str:
        return greeting(self.name, self.sample_questions, rng=self._rng)

    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        return self._decide(question, context).reply

    def explain(
        self, question: str, *, context: PageContext | None = None, limit: int = 5
    ) -> Explanation:
        """The reply, the entries that competed for it with their lexical and semantic scores,
        and the decision taken: for staff trying questions."""
        decision = self._decide(question, context)
        topic = self._topic(question)
        lexical = {match.key: match.score for match in self._index.rank(topic, limit=limit)}
        semantic: dict[str, float] = {}
        if self._meaning is not None and topic:
            vector = self._semantics.encode([topic])[0]
            semantic = {m.key: m.score for m in self._meaning.rank(vector, limit=limit)}
            # The lexical candidates' meaning too, so that both scores show for each.
            scores = self._meaning.scores(vector)
            semantic.update({key: float(scores[self._meaning.position[key]]) for key in lexical})
        keys = list(dict.fromkeys([*lexical, *semantic]))
        # In the order the semantic stage weighs them (on words alone: their lexical score).
        keys.sort(
            key=lambda key: -(semantic.get(key, 0.0) + LEXICAL_WEIGHT * lexical.get(key, 0.0))
        )
        candidates = tuple(
            Candidate(key, lexical.get(key, 0.0), semantic.get(key) if semantic else None)
            for key in keys[:limit]
        )
        return Explanation(
            reply=decision.reply,
            candidates=candidates,
            threshold=self._index.min_score,
            decision=decision.why,
            semantic_threshold=BLENDED_MIN_SCORE if self.semantic else None,
            semantic_lead=BLENDED_MIN_LEAD if self.semantic else None,
        )

    # --- deciding --------------------------------------------------------------------------

    def _decide(self, question: str, context: PageContext | None) -> _Decision:
        if intents.asks_for_a_person(question):
            return _Decision(Reply(self.handoff, ReplyKind.HANDOFF), "Asks for a person.")
        on_page = context.product if context else None
        asked = intents.product_question(question)
        if asked is not None:
            product = on_page or self._named_product(question, context)
            if product is None:
                return _Decision(
                    Reply(self.no_product, ReplyKind.PRODUCT),
                    f"A {asked} question, with no product on the page nor named.",
                )
            return _Decision(
                Reply(products.answer(product, asked), ReplyKind.PRODUCT),
                f"A {asked} question on {product.name}, answered from the catalog.",
            )
        chat = intents.small_talk(question)
        if chat is not None:
            return _Decision(Reply(SMALL_TALK_REPLIES[chat], ReplyKind.SMALLTALK), "Small talk.")

        topic = self._topic(question)
        lexical = self._index.rank(topic, limit=LEXICAL_CANDIDATES)
        match = lexical[0] if lexical and lexical[0].score >= self._index.min_score else None
        if match is not None and (self._meaning is None or match.score >= LEXICAL_SURE_SCORE):
            return self._answer_on_words(match.key, match.score)
        # Looked up only now: off product pages it costs the chat a database query.
        product = on_page or self._named_product(question, context)
        if self._meaning is not None and topic:
            decision = self._decide_on_meaning(topic, lexical, on_page=on_page, named=product)
            if decision is not None:
                return decision
        if product is not None and products.refers_to(question, product):
            return _Decision(
                Reply(products.page_silent(product), ReplyKind.FALLBACK),
                f"About {product.name}, and its page does not answer it.",
            )
        return _Decision(
            Reply(self.fallback, ReplyKind.FALLBACK),
            "Declined: no entry covers enough of the question"
            + (", nor is one near enough in meaning." if self.semantic else "."),
        )

    def _answer_on_words(self, key: str, score: float) -> _Decision:
        return _Decision(
            Reply(self.knowledge[key].answer, ReplyKind.ANSWER, key, score),
            f"Answered on words: the entry covers {score:.2f} of the question "
            f"(at least {self._index.min_score:.2f}).",
        )

    def _decide_on_meaning(
        self,
        topic: str,
        lexical: list[Match],
        *,
        on_page: ProductFacts | None,
        named: ProductFacts | None,
    ) -> _Decision | None:
        """The knowledge base's answer or the product page's, or None when neither is sure.

        The page of the product asked about (the page's own, or one the question names)
        answers when one of its passages is at least as near the question as any entry."""
        vector = self._semantics.encode([topic])[0]
        semantic = self._meaning.scores(vector)
        product = on_page or named
        if product is not None:
            passage = self._best_passage(product, topic, vector)
            if passage is not None and passage.score >= max(
                PASSAGE_MIN_SCORE, self._blended_best(semantic, lexical)
            ):
                # "What's the price of shipping?" is near the page's price, and nearer to
                # what the shop charges for shipping, which no page says.
                beside = self._nearest_out_of_scope(vector, passage.cosine)
                if beside is not None:
                    return self._declined_as_out_of_scope(passage.score, beside)
                if self._passage_off_topic_word(topic, vector, product, passage) is None:
                    return self._answer_from_page(product, passage)
        return self._decide_on_knowledge(topic, vector, semantic, lexical)

    def _blended(self, semantic: np.ndarray, lexical: list[Match]) -> np.ndarray:
        blended = semantic.copy()
        position = self._meaning.position
        for match in lexical:
            blended[position[match.key]] += LEXICAL_WEIGHT * match.score
        return blended

    def _blended_best(self, semantic: np.ndarray, lexical: list[Match]) -> float:
        blended = self._blended(semantic, lexical)
        return float(blended.max()) if len(blended) else 0.0

    def _decide_on_knowledge(
        self, topic: str, vector: np.ndarray, semantic: np.ndarray, lexical: list[Match]
    ) -> _Decision | None:
        if lexical and lexical[0].score >= self._index.min_score:
            best = lexical[0]
            support = float(semantic[self._meaning.position[best.key]])
            if support >= LEXICAL_MIN_SUPPORT:
                beside = self._nearest_out_of_scope(vector, support)
                if beside is not None:
                    return self._declined_as_out_of_scope(best.score, beside)
                return self._answer_on_words(best.key, best.score)
        blended = self._blended(semantic, lexical)
        if len(blended) == 0:
            return None
        order = np.argsort(-blended)[:2]
        best_at = int(order[0])
        score = float(blended[best_at])
        lead = score - (float(blended[order[1]]) if len(order) > 1 else 0.0)
        if score < BLENDED_MIN_SCORE or lead < BLENDED_MIN_LEAD:
            return None
        key = self._meaning.keys[best_at]
        beside = self._nearest_out_of_scope(vector, float(semantic[best_at]))
        if beside is not None:
            return self._declined_as_out_of_scope(score, beside)
        pulling = self._entry_off_topic_word(topic, vector, key)
        if pulling is not None:
            return _Decision(
                Reply(self.fallback, ReplyKind.FALLBACK),
                f"Declined: near an entry ({score:.2f}), but “{pulling}” asks for something "
                "it does not answer.",
            )
        return _Decision(
            Reply(self.knowledge[key].answer, ReplyKind.ANSWER, key, score),
            f"Answered on meaning: blended score {score:.2f} (cosine "
            f"{float(semantic[best_at]):.2f} + {LEXICAL_WEIGHT} x words), {lead:.2f} ahead of "
            f"the next entry (at least {BLENDED_MIN_SCORE:.2f} and {BLENDED_MIN_LEAD:.2f}).",
        )

    def _answer_from_page(self, product: ProductFacts, passage: _PassageMatch) -> _Decision:
        return _Decision(
            Reply(products.quote(product, passage.passage), ReplyKind.PRODUCT),
            f"Answered from the {product.name} page: score {passage.score:.2f} (cosine "
            f"{passage.cosine:.2f} + {PASSAGE_WORDS_WEIGHT} x words; at least "
            f"{PASSAGE_MIN_SCORE:.2f}).",
        )

    def _declined_as_out_of_scope(self, score: float, beside: str) -> _Decision:
        return _Decision(
            Reply(self.fallback, ReplyKind.FALLBACK),
            f"Declined: near an answer ({score:.2f}), but as near to “{beside}”, a question "
            "out of scope.",
        )

    def _nearest_out_of_scope(self, vector: np.ndarray, score: float) -> str | None:
        """The out-of-scope question at least as near the question as the answer it would
        get (cosine ``score``), if any: then that answer is no surer a reading of it."""
        if self._out_of_scope is None:
            return None
        cosines = self._out_of_scope @ vector
        at = int(np.argmax(cosines))
        if float(cosines[at]) >= score:
            return self.out_of_scope[at]
        return None

    def _off_topic_word(
        self,
        topic: str,
        vector: np.ndarray,
        *,
        texts: Iterable[str],
        nearness: Callable[[np.ndarray], float],
    ) -> str | None:
        """An English question word that the answer's ``texts`` lack and that pulls the
        question away from them: without it, the question is much nearer (``nearness``, of a
        question's vector). None when there is none. (A misspelt word pulls too, being noise
        to the model: it is no English word.)"""
        known = {stem(word) for word in words(" ".join(texts))}
        written = words(topic)
        content = [word for word in dict.fromkeys(written) if word not in STOP_WORDS]
        lacking = [
            word
            for word in content
            if not word.isdigit() and stem(word) not in known and is_dictionary_word(word)
        ]
        if not lacking or len(lacking) == len(content):
            # Nothing to leave out, or no word of the answer at all: a paraphrase, which the
            # score itself judges.
            return None
        score = nearness(vector)
        lacking = lacking[:OFF_TOPIC_WORDS_TRIED]
        variants = [" ".join(w for w in written if w != word) for word in lacking]
        for word, without in zip(lacking, self._semantics.encode(variants), strict=True):
            if nearness(without) - score >= OFF_TOPIC_WORD_PULL:
                return word
        return None

    def _entry_off_topic_word(self, topic: str, vector: np.ndarray, key: str) -> str | None:
        item = self.knowledge[key]
        return self._off_topic_word(
            topic,
            vector,
            texts=[item.terms, item.answer, *item.examples],
            nearness=lambda asked: self._meaning.score(asked, key),
        )

    def _passage_off_topic_word(
        self, topic: str, vector: np.ndarray, product: ProductFacts, passage: _PassageMatch
    ) -> str | None:
        vectors = passage.vectors
        return self._off_topic_word(
            topic,
            vector,
            texts=[*passage.passage.texts, product.name],
            nearness=lambda asked: float((vectors @ asked).max()),
        )

    def _best_passage(
        self, product: ProductFacts, topic: str, vector: np.ndarray
    ) -> _PassageMatch | None:
        """The passage of the product's page nearest the question, with its score."""
        cached = self._passages.get(product)
        if cached is None:
            found = products.passages(product)
            texts = [text for passage in found for text in passage.texts]
            starts = np.cumsum([0] + [len(passage.texts) for passage in found[:-1]])
            cached = _PageVectors(found, self._semantics.stored(texts), starts)
            self._passages[product] = cached
            if len(self._passages) > PASSAGE_CACHE_SIZE:
                self._passages.popitem(last=False)
        else:
            self._passages.move_to_end(product)
        found = cached.passages
        if not found:
            return None
        # A passage's cosine is its best text's: the detail itself, or the question it answers.
        cosines = np.maximum.reduceat(cached.vectors @ vector, cached.starts)
        scores = cosines + PASSAGE_WORDS_WEIGHT * np.array(
            products.shared_words(topic, product, found)
        )
        best = int(np.argmax(scores))
        rows = cached.vectors[cached.starts[best] : cached.starts[best] + len(found[best].texts)]
        return _PassageMatch(found[best], float(scores[best]), float(cosines[best]), rows)

    def _named_product(self, question: str, context: PageContext | None) -> ProductFacts | None:
        """The product a question asked off product pages names by a word the knowledge base
        does not use: "the hoodie", "the book", but not "isomorphic", which names a topic."""
        if context is None or context.find_product is None:
            return None
        product = context.find_product(question)
        if product is None:
            return None
        naming = products.name_words(question) & products.name_words(product.name)
        if all(self._index.knows(word) for word in naming):
            return None
        return product

    def _topic(self, question: str) -> str:
        return intents.without_small_talk(question, names=(self.name,))
