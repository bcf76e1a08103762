"""An evaluation set for Case: questions as visitors type them, and what each should get.

``questions.csv`` has one question a row, with columns:

* ``question``: as a visitor of the shop would type it in the chat box
  (typos, fragments, casing and punctuation included).
* ``expected``: the knowledge entry that answers it (one of ``ENTRY_KEYS``,
  the seed's nine entries in the order of the migration's KNOWLEDGE list), or
  ``fallback`` (the knowledge base cannot answer it: the bot must decline),
  ``smalltalk`` (greeting, thanks, goodbye) or ``handoff`` (asks for a person).
* ``split``: ``tune`` (look at these while building a matcher) or ``heldout``
  (only measure on these). About 35% of each category is held out, spread over
  the expected answers; the split is fixed in the file, never recomputed.
* ``category``: ``exact`` (the seed's seven sample questions), ``paraphrase``,
  ``typo``, ``word-form``, ``fragment``, ``insult`` (for the "intelligence"
  entry), ``smalltalk``, ``handoff``, ``unanswerable``.

``python -m bots.evaluation.run`` scores the bots on it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

QUESTIONS_PATH = Path(__file__).with_name("questions.csv")

#: The seed's knowledge entries, in the order of KNOWLEDGE in
#: bots/migrations/0002_case_knowledge.py.
ENTRY_KEYS = (
    "isomorphic-go",
    "kick",
    "starter-code",
    "intelligence",
    "talk",
    "benefits",
    "routing",
    "templates",
    "cogs",
)
FALLBACK = "fallback"
SMALLTALK = "smalltalk"
HANDOFF = "handoff"
EXPECTED_VALUES = (*ENTRY_KEYS, FALLBACK, SMALLTALK, HANDOFF)

SPLITS = ("tune", "heldout")
CATEGORIES = (
    "exact",
    "paraphrase",
    "typo",
    "word-form",
    "fragment",
    "insult",
    "smalltalk",
    "handoff",
    "unanswerable",
)
COLUMNS = ("question", "expected", "split", "category")


@dataclass(frozen=True)
class Question:
    question: str
    expected: str
    split: str
    category: str

    @property
    def answerable(self) -> bool:
        """Whether a knowledge entry answers it."""
        return self.expected in ENTRY_KEYS


def load_questions(path: Path | str = QUESTIONS_PATH) -> list[Question]:
    """The evaluation questions, in file order; raises ValueError on a malformed row."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: columns must be {','.join(COLUMNS)}")
        questions = []
        for line, row in enumerate(reader, start=2):
            question = Question(**{column: (row[column] or "").strip() for column in COLUMNS})
            if not question.question:
                raise ValueError(f"{path}:{line}: empty question")
            if question.expected not in EXPECTED_VALUES:
                raise ValueError(f"{path}:{line}: unknown expected {question.expected!r}")
            if question.split not in SPLITS:
                raise ValueError(f"{path}:{line}: unknown split {question.split!r}")
            if question.category not in CATEGORIES:
                raise ValueError(f"{path}:{line}: unknown category {question.category!r}")
            questions.append(question)
    return questions
