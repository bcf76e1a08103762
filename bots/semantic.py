"""Finding the knowledge entry a question means, by sentence embeddings. Plain Python and
numpy, no ORM.

Each entry is represented by several texts: its terms, its answer, the answer's first
sentence and its example questions, each a unit vector from the sentence encoder. A
question's score for an entry is its best cosine with any of them: a question phrased
like one example needs to resemble that example, not the average of all of them.

The vectors of entries' texts are computed once per text (``Semantics.stored`` keeps
them), never per question; a question costs one encoding and one matrix product.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .base import KnowledgeItem, Semantics

_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])\s")


@dataclass(frozen=True)
class SemanticMatch:
    key: str
    #: The best cosine between the question and one of the entry's texts.
    score: float


def entry_texts(item: KnowledgeItem) -> list[str]:
    """The texts that stand for an entry, each once."""
    texts = [item.terms, item.answer]
    first = _FIRST_SENTENCE.match(item.answer)
    if first:
        texts.append(first.group(1))
    texts.extend(item.examples)
    return list(dict.fromkeys(text.strip() for text in texts if text.strip()))


class SemanticIndex:
    def __init__(self, items: Sequence[KnowledgeItem], *, semantics: Semantics) -> None:
        """Encode (or fetch) every entry's texts once."""
        self.keys = [item.key for item in items]
        self.position = {key: n for n, key in enumerate(self.keys)}
        texts: list[str] = []
        starts: list[int] = []
        for item in items:
            starts.append(len(texts))
            texts.extend(entry_texts(item) or [item.key])
        self._starts = np.array(starts, dtype=np.intp)
        self._vectors = (
            np.ascontiguousarray(semantics.stored(texts), dtype=np.float32)
            if texts
            else np.zeros((0, 0), dtype=np.float32)
        )

    def __len__(self) -> int:
        return len(self.keys)

    def scores(self, question_vector: np.ndarray) -> np.ndarray:
        """Every entry's score for the question, in the order of ``keys``."""
        if not self.keys:
            return np.zeros(0, dtype=np.float32)
        cosines = self._vectors @ question_vector
        return np.maximum.reduceat(cosines, self._starts)

    def score(self, question_vector: np.ndarray, key: str) -> float:
        """One entry's score for the question: a few products, not the whole matrix's."""
        at = self.position[key]
        end = self._starts[at + 1] if at + 1 < len(self._starts) else len(self._vectors)
        return float((self._vectors[self._starts[at] : end] @ question_vector).max())

    def rank(self, question_vector: np.ndarray, *, limit: int = 3) -> list[SemanticMatch]:
        """The best entries for the question, best first."""
        scores = self.scores(question_vector)
        if limit >= len(scores):
            order = np.argsort(-scores)
        else:
            top = np.argpartition(-scores, limit)[:limit]
            order = top[np.argsort(-scores[top])]
        return [SemanticMatch(self.keys[i], float(scores[i])) for i in order]
