"""The seed's own answering algorithm, re-implemented as a yardstick. Plain Python, no ORM.

``SeedLsiBot`` is what the Go seed (AgentCase.Reply, with james-bowman/nlp)
did, so that a new matching engine can be measured against where the project
started. It is not meant to be served.

Faithful to the seed:

* It refits on every question: the corpus is rebuilt from the knowledge
  entries' *terms* (never the answers) and the whole pipeline is fitted again.
* The corpus starts with an empty document (the seed's ``make([]string, 1)``
  followed by ``append``); its vector is zero, so it can never be matched.
* Count vectoriser with English stop words removed, as ``nlp.NewCountVectoriser(true)``:
  lowercased, tokens are runs of ASCII word characters (Go's ``\\w+``, so
  "don't" gives "don" and "t", and one-letter tokens are kept); stop words are
  dropped from the vocabulary only, and words the corpus lacks are ignored.
* TF-IDF as ``nlp.NewTfidfTransformer()``: raw counts times
  ``idf = ln((1 + n) / (1 + df))``, n counting the empty document too; no
  ``+ 1`` on the idf and no L2 normalisation (scikit-learn adds both by default,
  so they are switched off / taken back here).
* Truncated SVD to 4 dimensions as ``nlp.NewTruncatedSVD(4)``: the term-document
  matrix A is factorised (exactly, with numpy's SVD, so it is deterministic),
  documents become ``Σ_k V_kᵀ`` and the question ``U_kᵀ q``.
* Cosine similarity against every document; the first document with a strictly
  higher similarity than all before it wins (``similarity > highestSimilarity``,
  starting from -1). No threshold: any cosine at all gets an answer.
* The only fallback, "I don't know the answer to that one.", is when no cosine
  can be computed: the question's vector is zero, as for a question without a
  single known term (in Go every cosine is then NaN, and NaN > -1 is false).

Where it differs:

* Stop words: scikit-learn's English list instead of Go nlp's. Both are the
  Glasgow list; they differ in "i", "fifty", "thick" (only scikit-learn) and
  the misspellings "fify", "thickv" (only Go). None of these is in the seed's
  terms, so the vocabulary is the same.
* Corpus order: Go built the corpus by ranging over a map, so its order (and
  with it who wins an exact tie) changed from run to run. Here it is the order
  of the knowledge entries.
* Vectors that are zero in exact arithmetic. With 4 dimensions the SVD keeps
  only the strongest few groups of co-occurring terms; an entry whose terms
  share nothing with those groups is projected onto zero, and so is a
  question made only of such terms. For the seed's knowledge base that is the
  "talk" and "cogs" entries (the 5th singular vector is "cogs" alone). In
  floating point these vectors are round-off of about 1e-16, not zero, and Go
  took their cosines at face value: which entry such a question got then
  depended on the round-off, and with it on the corpus order, which Go's map
  iteration shuffled at every start. (Here, with numpy's SVD over 20 shuffled
  corpus orders, "Where can I find a talk on this topic?" got the talk entry
  12 times, benefits 4 times, and kick, intelligence, cogs or no answer once
  each.) By default a projection smaller than ``ZERO_TOLERANCE`` times the
  vector it came from is taken as the zero it is: such entries are never
  matched, and such questions fall back like a question with no known term
  (so the seed's sample question for the talk entry falls back).
  ``keep_round_off=True`` keeps the round-off, as Go did; it is then
  deterministic for one machine and corpus order only.
* The scores are plain Python floats; the seed returned only the text.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Self

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from . import agents
from .agents import AgentCase
from .base import Bot, BotProfileData, KnowledgeItem, PageContext, Reply, ReplyKind

#: The number of latent dimensions the seed reduced to (``nlp.NewTruncatedSVD(4)``).
DIMENSIONS = 4

#: A projected vector this small relative to its TF-IDF vector is zero (round-off only).
ZERO_TOLERANCE = 1e-9

#: Go's ``\w+`` (ASCII word characters, one-letter tokens included).
GO_TOKEN_PATTERN = r"(?a)\w+"


class SeedLsiBot(Bot):
    """Case as the seed built it: latent semantic indexing over the entries' terms."""

    slug = "seed-lsi"
    default_name = "Case"
    default_title = "Resident Isomorphic Gopher Agent"
    default_thumbnail_path = "images/chat/Case.png"
    fallback = AgentCase.fallback

    def __init__(
        self,
        *,
        knowledge: Iterable[KnowledgeItem] = (),
        sample_questions: Iterable[str] = (),
        keep_round_off: bool = False,
        rng: random.Random | None = None,
        **identity,
    ) -> None:
        super().__init__(**identity)
        self.knowledge = tuple(knowledge)
        self.keep_round_off = keep_round_off
        self.sample_questions = list(sample_questions)
        self._rng = rng or random.Random()

    @classmethod
    def from_profile(cls, profile: BotProfileData, *, semantics=None) -> Self:
        return cls(
            name=profile.name,
            title=profile.title,
            thumbnail_path=profile.thumbnail_path,
            knowledge=profile.knowledge,
            sample_questions=profile.sample_questions,
        )

    def greeting(self) -> str:
        return agents.greeting(self.name, self.sample_questions, rng=self._rng)

    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        scores = self.similarities(question)
        best, highest = None, -1.0
        for index, score in enumerate(scores):
            # Go: `if similarity > highestSimilarity` — NaN never passes, ties keep the first.
            if score > highest:
                best, highest = index, score
        if best is None:
            return Reply(self.fallback, ReplyKind.FALLBACK)
        item = self.knowledge[best]
        return Reply(item.answer, ReplyKind.ANSWER, item.key, float(highest))

    def similarities(self, question: str) -> list[float]:
        """The cosine of ``question`` with each entry, in order; NaN where undefined.

        Fits the whole pipeline again, as the seed did for every question.
        """
        documents, query = self._fit_lsi([""] + [item.terms for item in self.knowledge], question)
        if documents is None:
            return [float("nan")] * len(self.knowledge)
        query_norm = np.linalg.norm(query)
        scores = []
        for column in documents.T[1:]:  # the empty first document is never an answer
            norm = np.linalg.norm(column)
            if query_norm == 0.0 or norm == 0.0:
                scores.append(float("nan"))
            else:
                scores.append(float(query @ column / (query_norm * norm)))
        return scores

    def _fit_lsi(self, corpus: list[str], question: str) -> tuple[np.ndarray | None, np.ndarray]:
        """Fit count → TF-IDF → SVD(4) on ``corpus``; the documents' and the question's vectors.

        Returns (k × documents, k-vector); vectors that are zero but for
        round-off are made exactly zero unless ``keep_round_off``. (None, empty)
        when the corpus has no term.
        """
        vectoriser = CountVectorizer(stop_words="english", token_pattern=GO_TOKEN_PATTERN)
        try:
            counts = vectoriser.fit_transform(corpus)
        except ValueError:  # empty vocabulary: nothing can ever be matched
            return None, np.zeros(0)
        transformer = TfidfTransformer(norm=None, smooth_idf=True).fit(counts)
        # scikit-learn's smoothed idf is ln((1 + n) / (1 + df)) + 1; Go nlp's lacks the + 1.
        transformer.idf_ = transformer.idf_ - 1.0
        terms_by_documents = transformer.transform(counts).toarray().T
        query_tfidf = transformer.transform(vectoriser.transform([question])).toarray()[0]

        u, sigma, vt = np.linalg.svd(terms_by_documents, full_matrices=False)
        documents = sigma[:DIMENSIONS, None] * vt[:DIMENSIONS]  # Σ_k V_kᵀ, as Go nlp
        query = u[:, :DIMENSIONS].T @ query_tfidf  # U_kᵀ q
        if self.keep_round_off:
            return documents, query
        for column in range(documents.shape[1]):
            if np.linalg.norm(documents[:, column]) <= ZERO_TOLERANCE * np.linalg.norm(
                terms_by_documents[:, column]
            ):
                documents[:, column] = 0.0
        if np.linalg.norm(query) <= ZERO_TOLERANCE * np.linalg.norm(query_tfidf):
            query = np.zeros_like(query)
        return documents, query
