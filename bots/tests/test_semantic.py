"""The semantic index (bots/semantic.py), on hand-made vectors: no model needed."""

import numpy as np

from bots.base import KnowledgeItem, Semantics
from bots.semantic import SemanticIndex, entry_texts

ITEMS = [
    KnowledgeItem("a", "alpha", "Alpha is first. It leads.", examples=("what is alpha?",)),
    KnowledgeItem("b", "beta", "Beta.", examples=()),
]
AXES = {
    "alpha": [1, 0, 0],
    "Alpha is first. It leads.": [0.8, 0.6, 0],
    "Alpha is first.": [0.6, 0.8, 0],
    "what is alpha?": [0, 0, 1],
    "beta": [0, 1, 0],
    "Beta.": [0, 0.6, 0.8],
}


def encode(texts):
    return np.array([AXES[text] for text in texts], dtype=np.float32)


def index() -> SemanticIndex:
    return SemanticIndex(ITEMS, semantics=Semantics(encode=encode, stored=encode))


def test_an_entry_stands_for_its_terms_answer_first_sentence_and_examples():
    assert entry_texts(ITEMS[0]) == [
        "alpha",
        "Alpha is first. It leads.",
        "Alpha is first.",
        "what is alpha?",
    ]
    # A one-sentence answer is not repeated as its own first sentence.
    assert entry_texts(ITEMS[1]) == ["beta", "Beta."]


def test_an_entry_s_score_is_its_best_text_s_cosine():
    found = index()
    question = np.array([0, 0, 1], dtype=np.float32)  # asked like alpha's example
    assert found.scores(question).tolist() == [1.0, np.float32(0.8)]
    assert found.score(question, "b") == np.float32(0.8)
    assert [(m.key, round(m.score, 2)) for m in found.rank(question)] == [("a", 1.0), ("b", 0.8)]
    assert [m.key for m in found.rank(np.array([0, 1, 0], dtype=np.float32), limit=1)] == ["b"]


def test_texts_come_from_the_store_once():
    asked: list[list[str]] = []

    def stored(texts):
        asked.append(list(texts))
        return encode(texts)

    SemanticIndex(ITEMS, semantics=Semantics(encode=encode, stored=stored))
    assert asked == [[*entry_texts(ITEMS[0]), *entry_texts(ITEMS[1])]]


def test_no_entries():
    empty = SemanticIndex([], semantics=Semantics(encode=encode, stored=encode))
    assert len(empty) == 0
    assert empty.scores(np.zeros(3, dtype=np.float32)).size == 0
