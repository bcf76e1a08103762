"""Score Case's matching engine against the seed's algorithm on the evaluation set.

    python -m bots.evaluation.run [--failures] [--categories] [--strict]

Both bots get the seed's knowledge base (bots/migrations/0002_case_knowledge.py,
keys as in ``bots.evaluation.ENTRY_KEYS``) and every question of
``questions.csv``, without any page context. No database is used.

Metrics, for the held-out split, the tune split and all questions:

* answerable accuracy: of the questions a knowledge entry answers, the share
  answered (kind ANSWER) from that entry;
* unanswerable declined: of the questions it cannot answer, the share declined
  (kind FALLBACK);
* smalltalk / handoff intent: the share of those given that kind;
* wrong answers: the share of *all* questions given a knowledge-base ANSWER
  from another entry than expected (any ANSWER to a fallback, smalltalk or
  handoff question is wrong). Lower is better.

Targets, on the held-out split: answerable ≥ 90%, unanswerable declined ≥ 90%,
fewer wrong answers than the baseline. The exit code is 0 unless ``--strict``
is given and a target fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bots.base import Bot, Reply, ReplyKind
from bots.baseline import SeedLsiBot
from bots.evaluation import (
    CATEGORIES,
    ENTRY_KEYS,
    FALLBACK,
    HANDOFF,
    SMALLTALK,
    Question,
    load_questions,
    load_seed,
)

TARGET_ANSWERABLE = 0.90
TARGET_DECLINED = 0.90
SPLIT_VIEWS = ("heldout", "tune", "all")

#: The reply kind expected for questions no knowledge entry answers.
EXPECTED_KIND = {
    FALLBACK: ReplyKind.FALLBACK,
    SMALLTALK: ReplyKind.SMALLTALK,
    HANDOFF: ReplyKind.HANDOFF,
}


# --- metrics (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    hits: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass(frozen=True)
class Metrics:
    #: Answerable questions answered from the expected entry.
    answerable: Tally
    #: Unanswerable questions declined (FALLBACK).
    declined: Tally
    smalltalk: Tally
    handoff: Tally
    #: Questions (all of them) answered from the knowledge base with the wrong entry.
    wrong_answers: Tally


def is_correct(expected: str, reply: Reply) -> bool:
    """Whether ``reply`` is right for a question whose ``expected`` column is this."""
    if expected in EXPECTED_KIND:
        return reply.kind == EXPECTED_KIND[expected]
    return reply.kind == ReplyKind.ANSWER and reply.entry_key == expected


def is_wrong_answer(expected: str, reply: Reply) -> bool:
    """A knowledge-base answer from another entry than expected (or to no entry at all)."""
    return reply.kind == ReplyKind.ANSWER and reply.entry_key != expected


def compute_metrics(results: Iterable[tuple[Question, Reply]]) -> Metrics:
    """The metrics of (question, reply) pairs."""
    results = list(results)

    def tally(keep) -> Tally:
        chosen = [(q, r) for q, r in results if keep(q)]
        return Tally(sum(is_correct(q.expected, r) for q, r in chosen), len(chosen))

    return Metrics(
        answerable=tally(lambda q: q.expected in ENTRY_KEYS),
        declined=tally(lambda q: q.expected == FALLBACK),
        smalltalk=tally(lambda q: q.expected == SMALLTALK),
        handoff=tally(lambda q: q.expected == HANDOFF),
        wrong_answers=Tally(sum(is_wrong_answer(q.expected, r) for q, r in results), len(results)),
    )


def category_tallies(results: Iterable[tuple[Question, Reply]]) -> dict[str, Tally]:
    """Correct replies per category, in the order of CATEGORIES."""
    results = list(results)
    return {
        category: Tally(
            sum(is_correct(q.expected, r) for q, r in results if q.category == category),
            sum(q.category == category for q, _ in results),
        )
        for category in CATEGORIES
    }


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    detail: str


def check_targets(engine: Metrics, baseline: Metrics) -> list[Target]:
    """The targets, to be checked on the held-out split."""

    def at_least(tally: Tally, target: float) -> bool:
        return tally.rate is not None and tally.rate >= target

    return [
        Target(
            f"answerable accuracy >= {TARGET_ANSWERABLE:.0%}",
            at_least(engine.answerable, TARGET_ANSWERABLE),
            _percent(engine.answerable.rate),
        ),
        Target(
            f"unanswerable declined >= {TARGET_DECLINED:.0%}",
            at_least(engine.declined, TARGET_DECLINED),
            _percent(engine.declined.rate),
        ),
        Target(
            "wrong answers fewer than the baseline",
            engine.wrong_answers.hits < baseline.wrong_answers.hits,
            f"{engine.wrong_answers.hits} vs {baseline.wrong_answers.hits}",
        ),
    ]


def select(questions: Sequence[Question], replies: Sequence[Reply], view: str):
    """The (question, reply) pairs of a split, or of all questions for "all"."""
    return [(q, r) for q, r in zip(questions, replies, strict=True) if view in ("all", q.split)]


# --- the bots -----------------------------------------------------------------------------------


def build_engine(knowledge, sample_questions) -> Bot:
    """The new engine (AgentCase), as staff would get it but without the database.

    Its settings (bots.conf.get) are read from chatsite.settings; the app registry
    is not set up (django.setup() would run the apps' ready() hooks), so nothing can
    reach the ORM.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    from bots.agents import AgentCase

    return AgentCase(knowledge=knowledge, sample_questions=sample_questions)


def build_baseline(knowledge, sample_questions) -> Bot:
    return SeedLsiBot(knowledge=knowledge, sample_questions=sample_questions)


def answer_all(bot: Bot, questions: Iterable[Question]) -> list[Reply]:
    return [bot.respond(q.question) for q in questions]


# --- report -------------------------------------------------------------------------------------


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _cell(tally: Tally) -> str:
    return f"{_percent(tally.rate):>6} {tally.hits:>3}/{tally.total:<3}"


METRIC_ROWS = (
    ("answerable accuracy", "answerable"),
    ("unanswerable declined", "declined"),
    ("smalltalk intent", "smalltalk"),
    ("handoff intent", "handoff"),
    ("wrong answers (lower=better)", "wrong_answers"),
)
LABEL = 29
CELL = 15


def format_table(metrics: dict[tuple[str, str], Metrics]) -> list[str]:
    """``metrics`` by (view, "engine" | "baseline")."""
    lines = [
        " " * LABEL + "".join(f"| {view:<{2 * CELL - 1}}" for view in SPLIT_VIEWS),
        " " * LABEL + "| engine         baseline      " * len(SPLIT_VIEWS),
    ]
    for label, field in METRIC_ROWS:
        cells = "".join(
            f"| {_cell(getattr(metrics[view, 'engine'], field)):<{CELL - 1}}"
            f"{_cell(getattr(metrics[view, 'baseline'], field)):<{CELL}}"
            for view in SPLIT_VIEWS
        )
        lines.append(f"{label:<{LABEL}}{cells}")
    return [line.rstrip() for line in lines]


def format_categories(engine_results, baseline_results) -> list[str]:
    views = ("heldout", "all")
    lines = [
        f"{'correct by category':<{LABEL}}"
        + "".join(f"| {view:<{2 * CELL - 1}}" for view in views),
    ]
    tallies = {
        (view, who): category_tallies(select(*results, view))
        for view in views
        for who, results in (("engine", engine_results), ("baseline", baseline_results))
    }
    for category in CATEGORIES:
        lines.append(
            f"  {category:<{LABEL - 2}}"
            + "".join(
                f"| {_cell(tallies[view, 'engine'][category]):<{CELL - 1}}"
                f"{_cell(tallies[view, 'baseline'][category]):<{CELL}}"
                for view in views
            )
        )
    return [line.rstrip() for line in lines]


def _got(reply: Reply) -> str:
    got = str(reply.kind) + (f":{reply.entry_key}" if reply.kind == ReplyKind.ANSWER else "")
    return f"{got} ({reply.score:.2f})"


def format_failures(questions: Sequence[Question], replies: Sequence[Reply]) -> list[str]:
    misses = [
        (q, r) for q, r in zip(questions, replies, strict=True) if not is_correct(q.expected, r)
    ]
    order = {view: n for n, view in enumerate(SPLIT_VIEWS)}
    misses.sort(key=lambda pair: (order[pair[0].split], CATEGORIES.index(pair[0].category)))
    lines = [f"engine misses: {len(misses)} of {len(questions)}"]
    for q, r in misses:
        lines.append(
            f"  {q.split:<7} {q.category:<12} expected {q.expected:<13} "
            f"got {_got(r):<30} {q.question!r}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bots.evaluation.run",
        description="Score the matching engine (AgentCase) against the seed's LSI baseline.",
    )
    parser.add_argument(
        "--failures", action="store_true", help="list every question the engine gets wrong"
    )
    parser.add_argument(
        "--categories", action="store_true", help="also show correct replies per category"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit non-zero when a held-out target fails"
    )
    args = parser.parse_args(argv)

    questions = load_questions()
    knowledge, sample_questions = load_seed()
    engine = build_engine(knowledge, sample_questions)
    baseline = build_baseline(knowledge, sample_questions)
    engine_replies = answer_all(engine, questions)
    baseline_replies = answer_all(baseline, questions)

    metrics = {}
    for view in SPLIT_VIEWS:
        metrics[view, "engine"] = compute_metrics(select(questions, engine_replies, view))
        metrics[view, "baseline"] = compute_metrics(select(questions, baseline_replies, view))

    heldout = sum(q.split == "heldout" for q in questions)
    print(
        f"Case evaluation: {len(questions)} questions ({heldout} held-out, "
        f"{len(questions) - heldout} tune), the seed's {len(knowledge)} knowledge entries"
    )
    print(
        f"engine = {type(engine).__module__}.{type(engine).__qualname__}, "
        f"baseline = {type(baseline).__module__}.{type(baseline).__qualname__}"
    )
    print()
    print("\n".join(format_table(metrics)))
    if args.categories:
        print()
        print(
            "\n".join(format_categories((questions, engine_replies), (questions, baseline_replies)))
        )
    targets = check_targets(metrics["heldout", "engine"], metrics["heldout", "baseline"])
    print()
    print("targets (held-out):")
    for target in targets:
        print(f"  {'PASS' if target.passed else 'FAIL'}  {target.name:<40} {target.detail}")
    if args.failures:
        print()
        print("\n".join(format_failures(questions, engine_replies)))
    if args.strict and not all(target.passed for target in targets):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
