"""Finding the knowledge entry a question is about. Plain Python, no ORM.

TF-IDF over each entry's terms (English stop words removed) and cosine
similarity with the question: it answers the seed's sample questions with
their intended entries, deterministically, and below ``min_score`` it admits
it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True)
class Match:
    key: str
    score: float


class KnowledgeIndex:
    def __init__(self, documents: Iterable[tuple[str, str]], *, min_score: float = 0.1) -> None:
        """``documents`` are (key, text) pairs; the index is built once, here."""
        pairs = [(key, text) for key, text in documents]
        self.keys = [key for key, _ in pairs]
        self.min_score = min_score
        self._vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        try:
            self._matrix = self._vectorizer.fit_transform([text for _, text in pairs])
        except ValueError:
            # No entries, or entries made only of stop words: nothing can match.
            self._matrix = None

    def __len__(self) -> int:
        return len(self.keys)

    def rank(self, question: str, *, limit: int = 3) -> list[Match]:
        """The best entries for ``question``, best first, including weak ones."""
        if self._matrix is None:
            return []
        scores = (self._vectorizer.transform([question]) @ self._matrix.T).toarray()[0]
        order = scores.argsort()[::-1][:limit]
        return [Match(self.keys[i], float(scores[i])) for i in order if scores[i] > 0]

    def best_match(self, question: str) -> Match | None:
        """The entry ``question`` is about, or None when no entry scores ``min_score``."""
        ranked = self.rank(question, limit=1)
        if ranked and ranked[0].score >= self.min_score:
            return ranked[0]
        return None
