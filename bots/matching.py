"""Finding the knowledge entry a question is about. Plain Python, no ORM.

Entries are indexed once (never per question) by the Snowball stems of their
terms and answers, weighted by IDF (scikit-learn). A question is reduced to
stems the same way, after two repairs: a word the knowledge base does not
know, and that is no English word, is corrected to the nearest word it does
know (one wrong letter, or two in long words; RapidFuzz), and words visitors
use for what the knowledge base names otherwise add those names (bots.thesaurus).

An entry's score is the share of the question's weight it covers: a word
counts fully when it is among the entry's terms and 40% when it only occurs
in its answer, and a word nobody's entry has still weighs in the total. A
question word that the thesaurus knows matches through any word it stands for. So
"kick" scores 1 for the entry about Kick, while "how do I install Go on
Windows?" covers little of any entry; below ``min_score`` the index says it
does not know. Ties go to the entry most similar overall (cosine).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from scipy import sparse

from . import thesaurus
from .base import KnowledgeItem
from .text import (
    STOP_WORDS,
    content_words,
    is_dictionary_word,
    normalize,
    stem,
    stem_all,
    words,
)

TERMS_WEIGHT = 2
ANSWER_ONLY_WEIGHT = 0.4
TIE_BREAK = 0.01
UNKNOWN_WEIGHT = 1.5
#: Chosen on the tuning part of the evaluation set (benchmarks/evaluation).
DEFAULT_MIN_SCORE = 0.45
#: Entries x vocabulary up to which the index is kept in plain arrays (2 MB of floats).
DENSE_CELLS = 250_000


@dataclass(frozen=True)
class Match:
    key: str
    score: float


def _max_typos(word: str) -> int:
    """How many wrong letters a word may have and still be recognised."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class KnowledgeIndex:
    def __init__(
        self, items: Iterable[KnowledgeItem], *, min_score: float = DEFAULT_MIN_SCORE
    ) -> None:
        """Build the index of ``items`` once; answering never refits it."""
        items = list(items)
        self.keys = [item.key for item in items]
        self.min_score = min_score
        tokenized = [(content_words(item.terms), content_words(item.answer)) for item in items]
        unique_words: set[str] = set()
        for terms, answer in tokenized:
            unique_words.update(terms, answer)
        stems = stem_all(unique_words)
        terms_stems = [[stems[word] for word in terms] for terms, _ in tokenized]
        answer_stems = [[stems[word] for word in answer] for _, answer in tokenized]
        # Words the knowledge base contains, to correct typos against, filed by
        # length and by first and by last letter: a word with a typo or two
        # nearly always keeps one of the two, and each bucket is small.
        known_words: dict[tuple[int, str, str], set[str]] = defaultdict(set)
        for word in unique_words:
            known_words[len(word), word[0], ""].add(word)
            known_words[len(word), "", word[-1]].add(word)
        self._known_words = {bucket: sorted(found) for bucket, found in known_words.items()}

        # Imported here: scikit-learn takes 0.4 s to import, which every manage.py command
        # and every process that only serves pages would pay for an index it never builds.
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        # One counting pass over terms and answers alike, then both views of it.
        counter = CountVectorizer(analyzer=_identity)
        try:
            counts = counter.fit_transform(terms_stems + answer_stems)
        except ValueError:
            # No entries, or entries made only of stop words: nothing can match.
            self._vocabulary: dict[str, int] = {}
            self._similarity = None
            return
        in_terms, in_answer = counts[: len(items)], counts[len(items) :]
        tfidf = TfidfTransformer(sublinear_tf=True)
        matrix = tfidf.fit_transform(TERMS_WEIGHT * in_terms + in_answer)
        self._vocabulary = counter.vocabulary_
        self._idf = tfidf.idf_
        # A word no entry has weighs more than the rarest word some entry has:
        # "kick someone out of my discord server" is not about Kick.
        self._unknown_idf = UNKNOWN_WEIGHT * float(self._idf.max())
        in_terms = (in_terms > 0).astype(np.float64)
        in_answer = (in_answer > 0).astype(np.float64)
        coverage = in_terms + ANSWER_ONLY_WEIGHT * (in_answer - in_answer.multiply(in_terms))
        if matrix.shape[0] * matrix.shape[1] <= DENSE_CELLS:
            # A small knowledge base is sliced fastest as plain arrays: scipy's sparse
            # indexing costs more than the few numbers it would save.
            self._similarity, self._coverage = matrix.toarray(), coverage.toarray()
        else:
            # Column slices per question stem are cheapest on compressed sparse columns.
            self._similarity, self._coverage = matrix.tocsc(), coverage.tocsc()

    def __len__(self) -> int:
        return len(self.keys)

    def knows(self, word: str) -> bool:
        """Whether some entry has ``word`` (by its stem, case aside)."""
        return stem(normalize(word)) in self._vocabulary

    def question_slots(self, question: str) -> list[tuple[str, ...] | None]:
        """The question's slots as the index knows them: the stems through which a
        slot may match, or None for a word the index cannot place."""
        found: set[tuple[str, ...] | None] = set()
        unknown = []
        for written, stands_for in thesaurus.slots(words(question)):
            content = [word for word in written if word not in STOP_WORDS]
            if not content and not stands_for:
                continue
            stems = set()
            for word in content:
                word_stem = stem(word)
                if word_stem not in self._vocabulary:
                    corrected = self._correct(word)
                    word_stem = stem(corrected) if corrected else None
                if word_stem is not None:
                    stems.add(word_stem)
            stems.update(s for s in map(stem, stands_for) if s in self._vocabulary)
            if stems:
                found.add(tuple(sorted(stems)))
            elif not stands_for:
                # A word the thesaurus knows is no sign of another topic.
                unknown.append(None)
        return [*sorted(found), *unknown]

    def _correct(self, word: str) -> str | None:
        """The known word nearest to ``word``, within the typos its length allows."""
        allowed = _max_typos(word)
        if not allowed or is_dictionary_word(word):
            return None
        best: tuple[int, str] | None = None
        for length in range(len(word) - allowed, len(word) + allowed + 1):
            for bucket in ((length, word[0], ""), (length, "", word[-1])):
                candidates = self._known_words.get(bucket)
                if not candidates:
                    continue
                found = process.extractOne(
                    word, candidates, scorer=OSA.distance, score_cutoff=allowed
                )
                if found and (best is None or found[1] < best[0]):
                    best = (found[1], found[0])
        return best[1] if best else None

    def rank(self, question: str, *, limit: int = 3) -> list[Match]:
        """The best entries for ``question``, best first, including weak ones."""
        if self._similarity is None:
            return []
        slot_columns = []
        unknown_weight = 0.0
        for slot in self.question_slots(question):
            if slot is None:
                unknown_weight += self._unknown_idf
            else:
                slot_columns.append([self._vocabulary[word_stem] for word_stem in slot])
        if not slot_columns:
            return []
        columns = sorted({column for slot in slot_columns for column in slot})
        position = {column: n for n, column in enumerate(columns)}
        coverage = self._coverage[:, columns]
        if sparse.issparse(coverage):
            coverage = coverage.toarray()
        slot_weights = np.array([self._idf[slot].max() for slot in slot_columns])
        slot_coverage = np.column_stack(
            [
                coverage[:, [position[column] for column in slot]].max(axis=1)
                for slot in slot_columns
            ]
        )
        covered = (slot_coverage @ slot_weights) / (slot_weights.sum() + unknown_weight)
        idf = self._idf[columns]
        cosine = (self._similarity[:, columns] @ idf) / float(np.linalg.norm(idf))
        scores = covered + TIE_BREAK * cosine
        if limit >= len(scores):
            order = np.argsort(-scores)
        else:
            top = np.argpartition(-scores, limit)[:limit]
            order = top[np.argsort(-scores[top])]
        return [Match(self.keys[i], float(scores[i])) for i in order if scores[i] > 0]

    def best_match(self, question: str) -> Match | None:
        """The entry ``question`` is about, or None when no entry scores ``min_score``."""
        ranked = self.rank(question, limit=1)
        if ranked and ranked[0].score >= self.min_score:
            return ranked[0]
        return None
