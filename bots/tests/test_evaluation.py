"""The evaluation set and the scoring of bots on it (bots/evaluation)."""

import csv
import importlib
import re
from collections import Counter

import pytest

from bots.base import Bot, PageContext, Reply, ReplyKind
from bots.evaluation import (
    CATEGORIES,
    COLUMNS,
    ENTRY_KEYS,
    EXPECTED_VALUES,
    QUESTIONS_PATH,
    SAMPLE_QUESTION_ENTRIES,
    Question,
    load_questions,
    load_seed,
    run,
)

SEED = importlib.import_module("bots.migrations.0002_case_knowledge")
QUESTIONS = load_questions()


# --- the evaluation set -------------------------------------------------------------------------


def test_the_csv_has_the_four_columns():
    with open(QUESTIONS_PATH, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    assert tuple(header) == COLUMNS
    assert all(len(row) == len(COLUMNS) for row in rows)
    assert len(rows) == len(QUESTIONS)


def test_every_value_is_known():
    assert {q.expected for q in QUESTIONS} == set(EXPECTED_VALUES)
    assert {q.category for q in QUESTIONS} == set(CATEGORIES)
    assert {q.split for q in QUESTIONS} == {"tune", "heldout"}


def test_the_entry_keys_follow_the_migrations_knowledge():
    assert len(ENTRY_KEYS) == len(SEED.KNOWLEDGE)
    knowledge, _ = load_seed()
    assert [item.key for item in knowledge] == list(ENTRY_KEYS)
    assert knowledge[ENTRY_KEYS.index("talk")].terms.startswith("find talk")
    assert knowledge[ENTRY_KEYS.index("cogs")].terms.startswith("cogs")


def test_the_set_is_big_and_varied_enough():
    expected = Counter(q.expected for q in QUESTIONS)
    category = Counter(q.category for q in QUESTIONS)
    assert len(QUESTIONS) >= 250
    assert expected["fallback"] >= 25
    assert category["typo"] >= 15
    assert expected["smalltalk"] >= 8
    assert expected["handoff"] >= 6
    assert all(expected[key] >= 5 for key in ENTRY_KEYS)


def test_there_are_no_duplicate_questions():
    normalised = Counter(re.sub(r"\s+", " ", q.question.strip().lower()) for q in QUESTIONS)
    assert [question for question, n in normalised.items() if n > 1] == []


def test_the_sample_questions_are_the_exact_category():
    exact = {q.question: q.expected for q in QUESTIONS if q.category == "exact"}
    assert {q.split for q in QUESTIONS if q.category == "exact"} == {"tune"}
    assert exact == SAMPLE_QUESTION_ENTRIES
    assert set(exact) == set(SEED.SAMPLE_QUESTIONS)


def test_categories_agree_with_expected_answers():
    for q in QUESTIONS:
        if q.category == "unanswerable":
            assert q.expected == "fallback", q
        elif q.category in ("smalltalk", "handoff"):
            assert q.expected == q.category, q
        elif q.category == "insult":
            assert q.expected == "intelligence", q
        else:
            assert q.expected in ENTRY_KEYS, q
    assert {q.category for q in QUESTIONS if q.expected == "fallback"} == {"unanswerable"}


@pytest.mark.parametrize("category", [c for c in CATEGORIES if c != "exact"])
def test_a_fair_share_of_each_category_is_held_out(category):
    splits = Counter(q.split for q in QUESTIONS if q.category == category)
    assert splits["heldout"] >= 1 and splits["tune"] >= 1
    assert 0.2 <= splits["heldout"] / (splits["heldout"] + splits["tune"]) <= 0.45


def test_a_malformed_row_is_refused(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text("question,expected,split,category\nhello,greeting,tune,smalltalk\n")
    with pytest.raises(ValueError, match="unknown expected"):
        load_questions(path)
    path.write_text("question,expected\nhello,smalltalk\n")
    with pytest.raises(ValueError, match="columns"):
        load_questions(path)


# --- the metrics --------------------------------------------------------------------------------


def q(question, expected, split="heldout", category="paraphrase"):
    return Question(question, expected, split, category)


def answer(key, score=0.5):
    return Reply("...", ReplyKind.ANSWER, key, score)


def kind(reply_kind):
    return Reply("...", reply_kind)


# Ten questions, each with the reply a fake bot gives.
TINY = [
    (q("what is kick", "kick"), answer("kick")),  # right
    (q("kickstart", "kick"), answer("routing")),  # wrong answer
    (q("routes", "routing"), kind(ReplyKind.FALLBACK)),  # miss, not a wrong answer
    (q("price?", "routing"), kind(ReplyKind.PRODUCT)),  # miss, not a wrong answer
    (q("capital of France", "fallback", category="unanswerable"), kind(ReplyKind.FALLBACK)),
    (q("web hosting", "fallback", category="unanswerable"), answer("kick")),  # wrong answer
    (q("hi", "smalltalk", category="smalltalk"), kind(ReplyKind.SMALLTALK)),
    (q("bye", "smalltalk", category="smalltalk"), answer("talk")),  # wrong answer
    (q("a human", "handoff", "tune", "handoff"), kind(ReplyKind.HANDOFF)),
    (q("operator", "handoff", "tune", "handoff"), kind(ReplyKind.FALLBACK)),  # miss
]


def test_metrics_on_a_tiny_hand_made_set():
    metrics = run.compute_metrics(TINY)
    assert metrics.answerable == run.Tally(1, 4)
    assert metrics.declined == run.Tally(1, 2)
    assert metrics.smalltalk == run.Tally(1, 2)
    assert metrics.handoff == run.Tally(1, 2)
    assert metrics.wrong_answers == run.Tally(3, 10)
    assert metrics.answerable.rate == 0.25
    assert metrics.wrong_answers.rate == 0.3


def test_metrics_of_nothing_have_no_rate():
    metrics = run.compute_metrics([])
    assert metrics.answerable == run.Tally(0, 0)
    assert metrics.answerable.rate is None


def test_correctness_needs_the_right_kind_and_entry():
    assert run.is_correct("kick", answer("kick"))
    assert not run.is_correct("kick", Reply("...", ReplyKind.PRODUCT, "kick"))
    assert run.is_correct("fallback", kind(ReplyKind.FALLBACK))
    assert not run.is_correct("fallback", kind(ReplyKind.SMALLTALK))
    assert run.is_correct("handoff", kind(ReplyKind.HANDOFF))
    assert not run.is_wrong_answer("kick", kind(ReplyKind.FALLBACK))
    assert run.is_wrong_answer("smalltalk", answer("talk"))


def test_splits_select_their_questions():
    questions = [question for question, _ in TINY]
    replies = [reply for _, reply in TINY]
    assert len(run.select(questions, replies, "heldout")) == 8
    assert len(run.select(questions, replies, "tune")) == 2
    assert len(run.select(questions, replies, "all")) == 10


def test_per_category_tallies():
    tallies = run.category_tallies(TINY)
    assert tallies["paraphrase"] == run.Tally(1, 4)
    assert tallies["unanswerable"] == run.Tally(1, 2)
    assert tallies["typo"] == run.Tally(0, 0)


def test_targets():
    def metrics(answerable, declined, wrong):
        return run.Metrics(
            answerable=run.Tally(answerable, 100),
            declined=run.Tally(declined, 100),
            smalltalk=run.Tally(0, 0),
            handoff=run.Tally(0, 0),
            wrong_answers=run.Tally(wrong, 100),
        )

    baseline = metrics(40, 70, 20)
    assert [t.passed for t in run.check_targets(metrics(90, 90, 19), baseline)] == [True] * 3
    assert [t.passed for t in run.check_targets(metrics(89, 95, 20), baseline)] == [
        False,
        True,
        False,
    ]


# --- the command --------------------------------------------------------------------------------


class Perfect(Bot):
    """Knows the evaluation set by heart."""

    slug = "perfect"
    default_name = "Perfect"
    kinds = {
        "fallback": ReplyKind.FALLBACK,
        "smalltalk": ReplyKind.SMALLTALK,
        "handoff": ReplyKind.HANDOFF,
    }

    def __init__(self):
        super().__init__()
        self.expected = {q.question: q.expected for q in QUESTIONS}

    def greeting(self) -> str:
        return "Hi."

    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        expected = self.expected[question]
        if expected in self.kinds:
            return kind(self.kinds[expected])
        return answer(expected, 1.0)


class Silent(Perfect):
    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        return kind(ReplyKind.FALLBACK)


@pytest.mark.parametrize("bot, passes", [(Perfect, True), (Silent, False)])
def test_the_command_prints_the_table_and_targets(monkeypatch, capsys, bot, passes):
    monkeypatch.setattr(run, "build_engine", lambda knowledge, sample_questions: bot())
    assert run.main(["--failures", "--categories"]) == 0
    out = capsys.readouterr().out
    assert f"{len(QUESTIONS)} questions" in out
    for label, _ in run.METRIC_ROWS:
        assert label in out
    # Silent declines everything: right for the unanswerable, and no wrong answers.
    assert out.count("PASS") == (3 if passes else 2)
    assert ("FAIL  answerable accuracy" in out) != passes
    assert ("engine misses: 0 of" in out) == passes
    assert run.main(["--strict"]) == (0 if passes else 1)


def test_the_baseline_is_scored_honestly(monkeypatch, capsys):
    monkeypatch.setattr(run, "build_engine", lambda knowledge, sample_questions: Silent())
    run.main([])
    line = next(line for line in capsys.readouterr().out.splitlines() if "smalltalk" in line)
    # The seed's algorithm has no smalltalk: it answers or says it does not know.
    assert line.count("0.0%") == 6
