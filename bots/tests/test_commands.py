"""knowledge_export and knowledge_import, run as management commands."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bots import loading
from bots.models import BotProfile, KnowledgeEntry

pytestmark = pytest.mark.django_db

TRICKY = [
    ("commas, quotes", 'He said "hi", then left.'),
    ("multi line", "First line\nsecond line\r\nthird, with a comma"),
    ("unicode ünïcödé 漢字", "Emoji 🐹 and accents: é"),
]


def export(*args: str) -> str:
    out = StringIO()
    call_command("knowledge_export", *args, stdout=out)
    return out.getvalue()


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("knowledge_import", *args, stdout=out)
    return out.getvalue()


def entries() -> list[tuple[str, str]]:
    return list(
        KnowledgeEntry.objects.filter(profile__slug="case")
        .order_by("id")
        .values_list("terms", "answer")
    )


def revision() -> int:
    return BotProfile.objects.get(slug="case").revision


def refused(*args: str) -> str:
    before, rev = entries(), revision()
    with pytest.raises(CommandError) as caught:
        run_import(*args)
    assert entries() == before, "a refused file changed the knowledge base"
    assert revision() == rev
    return str(caught.value)


@pytest.fixture
def tricky_entries():
    profile = BotProfile.objects.get(slug="case")
    for terms, answer in TRICKY:
        KnowledgeEntry.objects.create(profile=profile, terms=terms, answer=answer)


# --------------------------------------------------------------------------- export


def test_export_json_to_stdout_by_default():
    document = json.loads(export())
    assert document["bot"] == "case"
    assert [(e["terms"], e["answer"]) for e in document["entries"]] == entries()


def test_export_csv_to_a_file_chosen_by_extension(tmp_path):
    path = tmp_path / "kb.csv"
    assert export("--output", str(path)) == ""
    data = path.read_bytes()
    assert data.startswith(b"terms,answer\r\n")
    assert data.count(b"\r\n") == 10


def test_export_of_an_unknown_bot_fails():
    with pytest.raises(CommandError, match="unknown bot 'nobody'"):
        export("--bot", "nobody")


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_round_trips_exactly(tmp_path, fmt, tricky_entries):
    path = tmp_path / f"kb.{fmt}"
    export("--output", str(path))
    original = entries()
    exported = path.read_bytes()

    # Into the same knowledge base: nothing to do.
    assert "0 created, 0 updated, 0 deleted, 12 unchanged" in run_import(str(path))

    # Into an empty one: the same entries, in the same order, and the same file again.
    KnowledgeEntry.objects.filter(profile__slug="case").delete()
    assert "12 created, 0 updated, 0 deleted" in run_import(str(path))
    assert entries() == original
    export("--output", str(path))
    assert path.read_bytes() == exported

    # Into an edited one, with --replace: exactly the file's entries again.
    profile = BotProfile.objects.get(slug="case")
    KnowledgeEntry.objects.filter(terms="multi line").update(answer="edited")
    KnowledgeEntry.objects.filter(terms__startswith="cogs").delete()
    KnowledgeEntry.objects.create(profile=profile, terms="extra", answer="gone soon")
    output = run_import(str(path), "--replace")
    assert "1 created, 1 updated, 1 deleted, 10 unchanged" in output
    assert sorted(entries()) == sorted(original)


def test_stdout_export_round_trips_through_a_file(tmp_path, tricky_entries):
    path = tmp_path / "kb.txt"
    path.write_text(export("--format", "csv"), encoding="utf-8", newline="")
    original = entries()
    KnowledgeEntry.objects.filter(profile__slug="case").delete()
    run_import(str(path), "--format", "csv")
    assert entries() == original


# --------------------------------------------------------------------------- import


def test_import_merges_updating_and_adding(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text(
        "terms,answer\nStarter Code  starter kit,Use the new kit.\ngophers juggle,On Sundays.\n",
        encoding="utf-8",
    )
    output = run_import(str(path))
    assert output.strip() == (
        f"Imported {path} into case: 1 created, 1 updated, 0 deleted, 0 unchanged."
    )
    assert len(entries()) == 10
    bot = loading.get_bot()
    assert bot.reply("Where can I get starter code?") == "Use the new kit."
    assert bot.reply("Do gophers juggle?") == "On Sundays."


def test_import_replace_keeps_exactly_the_files_entries(tmp_path):
    path = tmp_path / "kb.json"
    path.write_text(
        json.dumps({"entries": [{"terms": "gophers juggle", "answer": "On Sundays."}]}),
        encoding="utf-8",
    )
    assert "1 created, 0 updated, 9 deleted" in run_import(str(path), "--replace")
    assert entries() == [("gophers juggle", "On Sundays.")]
    assert loading.get_bot().reply("What is isomorphic go?") == (
        "I don't know the answer to that one."
    )


def test_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "kb.json"
    path.write_text(
        json.dumps(
            {
                "entries": [
                    {"terms": "gophers juggle", "answer": "On Sundays."},
                    {"terms": "starter code starter kit", "answer": "New kit."},
                ]
            }
        ),
        encoding="utf-8",
    )
    before, rev = entries(), revision()
    output = run_import(str(path), "--replace", "--dry-run")
    assert output.strip() == (
        f"Dry run, nothing was changed. Importing {path} into case would give: "
        "1 created, 1 updated, 8 deleted, 0 unchanged."
    )
    assert entries() == before
    assert revision() == rev


def test_the_bot_comes_from_the_option_then_the_file(tmp_path):
    BotProfile.objects.create(slug="molly", name="Molly", thumbnail_path="x.png")
    path = tmp_path / "kb.json"
    path.write_text(
        json.dumps({"agent": "molly", "entries": [{"terms": "a", "answer": "b"}]}),
        encoding="utf-8",
    )
    run_import(str(path))
    assert KnowledgeEntry.objects.filter(profile__slug="molly").count() == 1
    run_import(str(path), "--bot", "case")
    assert ("a", "b") in entries()
    # --agent, the option's old name, still works.
    KnowledgeEntry.objects.filter(profile__slug="case", terms="a").delete()
    run_import(str(path), "--agent", "case")
    assert ("a", "b") in entries()


def test_nothing_is_half_applied_when_the_50th_row_is_bad(tmp_path):
    lines = ["terms,answer"]
    lines += [f"topic number {n},Answer {n}." for n in range(1, 61)]
    lines[50] = "topic number 50,"  # the 50th row, on line 51
    path = tmp_path / "kb.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = refused(str(path))
    assert message.splitlines()[1:] == ["  line 51: answer is empty"]
    assert "nothing was changed" in message


def test_every_problem_is_listed_up_to_twenty(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text("terms,answer\n" + "x,\n" * 25, encoding="utf-8")
    lines = refused(str(path)).splitlines()
    assert lines[1] == "  line 2: answer is empty"
    assert lines[2] == "  line 3: answer is empty"
    assert lines[3] == "  line 3: duplicate terms (same as line 2)"
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "  ... and 29 more"


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "kb.csv", "the file is empty"),
        (b"terms,answer\n", "kb.csv", "the file has no entries"),
        (b"terms,answer\nok,fine\nbad,\xff\n", "kb.csv", "line 3: not UTF-8 text"),
        (b"terms,reply\nok,fine\n", "kb.csv", "line 1: unknown column 'reply'"),
        (b"terms\nok\n", "kb.csv", "line 1: missing column 'answer'"),
        (b"terms,answer\na,b\nA ,c\n", "kb.csv", "line 3: duplicate terms (same as line 2)"),
        (
            b"terms,answer\n" + b"t" * 2001 + b",long\n",
            "kb.csv",
            "line 2: terms longer than 2000 characters",
        ),
        (
            b'{"entries": [\n{"terms": "a", "answer": "b"},\n]}',
            "kb.json",
            "line 3: not valid JSON: Expecting value (column 1)",
        ),
        (
            b'{"entries": [\n{"terms": "a", "answer": "b"},\n\n{"terms": "c",\n "answer": " "}]}',
            "kb.json",
            "line 4: answer is empty",
        ),
        (
            b'{"agent": "nobody", "entries": [{"terms": "a", "answer": "b"}]}',
            "kb.json",
            "unknown bot 'nobody'",
        ),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(tmp_path, content, name, expected):
    path = tmp_path / name
    path.write_bytes(content)
    message = refused(str(path))
    assert message.startswith(f"{path} was not imported, nothing was changed:\n")
    assert message.splitlines()[1].startswith(f"  {expected}")


def test_unknown_bot_option_is_refused(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text("terms,answer\na,b\n", encoding="utf-8")
    assert "unknown bot 'nobody'" in refused(str(path), "--bot", "nobody")


def test_unreadable_or_unknown_files_are_refused(tmp_path):
    assert "cannot read" in refused(str(tmp_path / "missing.csv"))
    path = tmp_path / "kb.txt"
    path.write_text("terms,answer\na,b\n", encoding="utf-8")
    assert "give --format json or csv" in refused(str(path))
    # The extension is only a default.
    assert "line 1: not valid JSON" in refused(str(path), "--format", "json")
