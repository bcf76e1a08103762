"""Score Case on the evaluation set: with its semantic stage, on words alone, and the seed's
algorithm as the baseline.

    python -m benchmarks.evaluation.run [--failures] [--categories] [--strict]

Every bot gets the seed's knowledge base (bots/migrations/0002_case_knowledge.py, keys as
in ``benchmarks.evaluation.ENTRY_KEYS``, with the example questions of 0006_case_examples.py)
and every question of ``questions.csv``, asked on the page the row names (``products.json``)
or on a page without a product, where a product is found by name. No database is used.

Metrics, for each held-out split, the tune split and all questions:

* answerable accuracy: of the questions a knowledge entry or a product page answers, the
  share answered (kind ANSWER) from that entry, or (kind PRODUCT) with the page's fact;
* unanswerable declined: of the questions nothing answers (``fallback``, and
  ``page-silent``: on the product, which its page does not say), the share declined;
* smalltalk / handoff intent: the share of those given that kind;
* wrong answers: of *all* questions, those given an answer that is not theirs: a
  knowledge-base answer from another entry (or to a question no entry answers), or a
  product answer without the asked fact (a question on which product, "which product do you
  mean?", is no answer and no wrong one). Lower is better.

Targets, on each held-out split, for the engine (the semantic stage when the model is
installed): answerable >= 90%, unanswerable declined >= 95%, no wrong answer. The exit code
is 0 unless ``--strict`` is given and a target fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from benchmarks.evaluation import (
    CATEGORIES,
    FALLBACK,
    HANDOFF,
    HELDOUT_SPLITS,
    PAGE_SILENT,
    PRODUCT,
    SMALLTALK,
    Question,
    load_out_of_scope,
    load_products,
    load_questions,
    load_seed,
)
from benchmarks.source_language import in_source_language
from bots.base import Bot, PageContext, ProductFacts, Reply, ReplyKind
from bots.baseline import SeedLsiBot

TARGET_ANSWERABLE = 0.90
TARGET_DECLINED = 0.95
SPLIT_VIEWS = (*HELDOUT_SPLITS, "tune", "all")
BOTS = ("engine", "lexical", "baseline")

#: The reply kind expected for questions no knowledge entry or page answers.
EXPECTED_KIND = {
    FALLBACK: ReplyKind.FALLBACK,
    PAGE_SILENT: ReplyKind.FALLBACK,
    SMALLTALK: ReplyKind.SMALLTALK,
    HANDOFF: ReplyKind.HANDOFF,
}
#: The reply to a price question off product pages that names no product: no answer, and
#: not a wrong one. Set by build_engine.
ASKS_WHICH_PRODUCT = {"Which product do you mean?"}


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


def is_correct(expected: str, reply: Reply, fact: str = "") -> bool:
    """Whether ``reply`` is right for a question whose ``expected`` column is this."""
    if expected in EXPECTED_KIND:
        return reply.kind == EXPECTED_KIND[expected]
    if expected == PRODUCT:
        return reply.kind == ReplyKind.PRODUCT and fact.casefold() in reply.text.casefold()
    return reply.kind == ReplyKind.ANSWER and reply.entry_key == expected


def is_wrong_answer(expected: str, reply: Reply, fact: str = "") -> bool:
    """An answer that is not the question's: a knowledge-base answer from another entry
    than expected (or to no entry at all), or a product answer without the asked fact."""
    if reply.kind == ReplyKind.ANSWER:
        return reply.entry_key != expected
    if reply.kind == ReplyKind.PRODUCT and reply.text not in ASKS_WHICH_PRODUCT:
        return not is_correct(expected, reply, fact)
    return False


def compute_metrics(results: Iterable[tuple[Question, Reply]]) -> Metrics:
    """The metrics of (question, reply) pairs."""
    results = list(results)

    def tally(keep) -> Tally:
        chosen = [(q, r) for q, r in results if keep(q)]
        return Tally(sum(is_correct(q.expected, r, q.fact) for q, r in chosen), len(chosen))

    return Metrics(
        answerable=tally(lambda q: q.answerable),
        declined=tally(lambda q: q.expected in (FALLBACK, PAGE_SILENT)),
        smalltalk=tally(lambda q: q.expected == SMALLTALK),
        handoff=tally(lambda q: q.expected == HANDOFF),
        wrong_answers=Tally(
            sum(is_wrong_answer(q.expected, r, q.fact) for q, r in results), len(results)
        ),
    )


def category_tallies(results: Iterable[tuple[Question, Reply]]) -> dict[str, Tally]:
    """Correct replies per category, in the order of CATEGORIES."""
    results = list(results)
    return {
        category: Tally(
            sum(is_correct(q.expected, r, q.fact) for q, r in results if q.category == category),
            sum(q.category == category for q, _ in results),
        )
        for category in CATEGORIES
    }


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    detail: str


def check_targets(engine: Metrics) -> list[Target]:
    """The targets, to be checked on each held-out split."""

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
            "no wrong answer",
            engine.wrong_answers.hits == 0,
            f"{engine.wrong_answers.hits} of {engine.wrong_answers.total}",
        ),
    ]


def select(questions: Sequence[Question], replies: Sequence[Reply], view: str):
    """The (question, reply) pairs of a split, or of all questions for "all"."""
    return [(q, r) for q, r in zip(questions, replies, strict=True) if view in ("all", q.split)]


# --- the bots -----------------------------------------------------------------------------------


def build_engine(knowledge, sample_questions, *, semantic: bool = True) -> Bot:
    """Case (AgentCase), as staff would get it but without the database: with its semantic
    stage when ``semantic`` and the model is installed, else on words alone.

    Its settings (bots.conf.get) are read from chatsite.settings; the app registry
    is not set up (django.setup() would run the apps' ready() hooks), so nothing can
    reach the ORM.
    """
    in_source_language()
    from bots.agents import AgentCase

    bot = AgentCase(
        knowledge=knowledge,
        out_of_scope=load_out_of_scope(),
        sample_questions=sample_questions,
        semantics=load_semantics() if semantic else None,
    )
    ASKS_WHICH_PRODUCT.add(bot.no_product)
    return bot


def load_semantics():
    """The sentence encoder without the database (its vectors are not kept), or None."""
    from bots import conf, embedding
    from bots.base import Semantics

    if not conf.get("BOT_SEMANTIC"):
        return None
    encoder = embedding.load_encoder(cache_dir=conf.model_cache_dir())
    if encoder is None:
        return None
    return Semantics(encode=encoder.encode, stored=encoder.encode)


def build_baseline(knowledge, sample_questions) -> Bot:
    in_source_language()
    return SeedLsiBot(knowledge=knowledge, sample_questions=sample_questions)


def page_context(question: Question, products: dict[str, ProductFacts]) -> PageContext:
    """The page a question is asked on: its product's, or a page where the bot may look a
    product up by name."""
    if question.page:
        return PageContext(page=f"/products/{question.page}/", product=products[question.page])
    from bots.products import named_product

    return PageContext(page="/", find_product=lambda text: named_product(text, products.values()))


def answer_all(bot: Bot, questions: Iterable[Question]) -> list[Reply]:
    products = load_products()
    return [bot.respond(q.question, context=page_context(q, products)) for q in questions]


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
CELL = 16


def format_table(metrics: dict[tuple[str, str], Metrics], view: str, title: str) -> list[str]:
    """One split's metrics, a column a bot; ``metrics`` by (view, bot)."""
    lines = [
        f"{title:<{LABEL}}" + "".join(f"| {who:<{CELL - 1}}" for who in BOTS),
    ]
    for label, field in METRIC_ROWS:
        cells = "".join(
            f"| {_cell(getattr(metrics[view, who], field)):<{CELL - 1}}" for who in BOTS
        )
        lines.append(f"{label:<{LABEL}}{cells}")
    return [line.rstrip() for line in lines]


def format_categories(replies: dict[str, list[Reply]], questions: Sequence[Question]) -> list[str]:
    """Correct replies per category, on the held-out splits together and on all questions."""
    views = {"held out": HELDOUT_SPLITS, "all": ("tune", *HELDOUT_SPLITS)}
    lines = [
        f"{'correct by category':<{LABEL}}"
        + "".join(f"| {view + ' (' + ', '.join(BOTS[:2]) + ')':<{2 * CELL - 1}}" for view in views)
    ]
    tallies = {
        (view, who): category_tallies(
            (q, r) for q, r in zip(questions, replies[who], strict=True) if q.split in splits
        )
        for view, splits in views.items()
        for who in BOTS[:2]
    }
    for category in CATEGORIES:
        lines.append(
            f"  {category:<{LABEL - 2}}"
            + "".join(
                f"| {_cell(tallies[view, BOTS[0]][category]):<{CELL - 1}}"
                f"{_cell(tallies[view, BOTS[1]][category]):<{CELL}}"
                for view in views
            )
        )
    return [line.rstrip() for line in lines]


def _got(reply: Reply) -> str:
    got = str(reply.kind) + (f":{reply.entry_key}" if reply.kind == ReplyKind.ANSWER else "")
    return f"{got} ({reply.score:.2f})"


def format_failures(questions: Sequence[Question], replies: Sequence[Reply]) -> list[str]:
    misses = [
        (q, r)
        for q, r in zip(questions, replies, strict=True)
        if not is_correct(q.expected, r, q.fact)
    ]
    order = {view: n for n, view in enumerate(SPLIT_VIEWS)}
    misses.sort(key=lambda pair: (order[pair[0].split], CATEGORIES.index(pair[0].category)))
    lines = [f"engine misses: {len(misses)} of {len(questions)}"]
    for q, r in misses:
        where = f" [{q.page}]" if q.page else ""
        lines.append(
            f"  {q.split:<8} {q.category:<12} expected {q.expected:<13} "
            f"got {_got(r):<30} {q.question!r}{where}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.evaluation.run",
        description="Score Case, with and without its semantic stage, against the seed's LSI.",
    )
    parser.add_argument(
        "--failures",
        action="store_true",
        help="list every tune question the engine gets wrong (held-out misses stay unseen)",
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
    bots = {
        "engine": build_engine(knowledge, sample_questions),
        "lexical": build_engine(knowledge, sample_questions, semantic=False),
        "baseline": build_baseline(knowledge, sample_questions),
    }
    replies = {who: answer_all(bot, questions) for who, bot in bots.items()}
    metrics = {
        (view, who): compute_metrics(select(questions, replies[who], view))
        for view in SPLIT_VIEWS
        for who in BOTS
    }

    sizes = ", ".join(
        f"{sum(q.split == split for q in questions)} {split}" for split in (*HELDOUT_SPLITS, "tune")
    )
    print(
        f"Case evaluation: {len(questions)} questions ({sizes}), "
        f"the seed's {len(knowledge)} knowledge entries, {len(load_products())} product pages"
    )
    semantic = getattr(bots["engine"], "semantic", False)
    print(
        f"engine = {type(bots['engine']).__qualname__} "
        + ("with its semantic stage" if semantic else "WITHOUT its semantic stage (no model)")
        + ", lexical = the same on words alone, baseline = the seed's LSI"
    )
    for view in SPLIT_VIEWS:
        if view != "all" and not any(q.split == view for q in questions):
            continue
        print()
        print("\n".join(format_table(metrics, view, view)))
    if args.categories:
        print()
        print("\n".join(format_categories(replies, questions)))
    passed = True
    for split in [split for split in HELDOUT_SPLITS if any(q.split == split for q in questions)]:
        targets = check_targets(metrics[split, "engine"])
        passed = passed and all(target.passed for target in targets)
        print()
        print(f"targets ({split}):")
        for target in targets:
            print(f"  {'PASS' if target.passed else 'FAIL'}  {target.name:<40} {target.detail}")
    if args.failures:
        print()
        tune = [n for n, q in enumerate(questions) if q.split == "tune"]
        print(
            "\n".join(
                format_failures([questions[n] for n in tune], [replies["engine"][n] for n in tune])
            )
        )
    if args.strict and not passed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
