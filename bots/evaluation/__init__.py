"""An evaluation set for Case: questions as visitors type them, and what each should get.

``questions.csv`` has one question a row, with columns:

* ``question``: as a visitor of the shop would type it in the chat box
  (typos, fragments, casing and punctuation included).
* ``expected``: the knowledge entry that answers it (one of ``ENTRY_KEYS``,
  the seed's nine entries in the order of the migration's KNOWLEDGE list), or
  ``fallback`` (the knowledge base cannot answer it: the bot must decline),
  ``smalltalk`` (greeting, thanks, goodbye) or ``handoff`` (asks for a person).
* ``split``: ``tune`` (look at these while building a matcher) or ``heldout``
  (only measure on these). The held-out questions were written blind: by
  someone who had read the knowledge entries and nothing else, not the engine,
  the thesaurus or the tune questions. A held-out split whose misses have been
  studied is no longer held out: the first one (68 questions) joined ``tune``
  and 79 new blind questions replaced it (three more of those written were
  already tune questions word for word). The seed's sample questions
  (category ``exact``) are only in ``tune``: the greeting shows them.
* ``category``: ``exact`` (the seed's seven sample questions), ``paraphrase``,
  ``typo``, ``word-form``, ``fragment``, ``insult`` (for the "intelligence"
  entry), ``smalltalk``, ``handoff``, ``unanswerable``.

``python -m bots.evaluation.run`` scores the bots on it.
"""

from __future__ import annotations

import csv
import importlib
from dataclasses import dataclass
from pathlib import Path

from bots.base import KnowledgeItem

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


#: The entry each of the seed's sample questions is meant for (the greeting offers them).
SAMPLE_QUESTION_ENTRIES = {
    "What is isomorphic go?": "isomorphic-go",
    "What are the benefits of this technology?": "benefits",
    "Does isomorphic go offer anything react-like?": "cogs",
    "How can I recompile code instantly?": "kick",
    "How can I perform routing in my web app?": "routing",
    "Where can I get starter code?": "starter-code",
    "Where can I find a talk on this topic?": "talk",
}


def load_seed() -> tuple[tuple[KnowledgeItem, ...], tuple[str, ...]]:
    """The seed's knowledge base (keyed as ENTRY_KEYS) and sample questions, from the migration."""
    seed = importlib.import_module("bots.migrations.0002_case_knowledge")
    if len(seed.KNOWLEDGE) != len(ENTRY_KEYS):
        raise RuntimeError(
            f"the migration has {len(seed.KNOWLEDGE)} knowledge entries, "
            f"the evaluation set knows {len(ENTRY_KEYS)}"
        )
    knowledge = tuple(
        KnowledgeItem(key=key, terms=terms, answer=answer)
        for key, (terms, answer) in zip(ENTRY_KEYS, seed.KNOWLEDGE, strict=True)
    )
    return knowledge, tuple(seed.SAMPLE_QUESTIONS)
