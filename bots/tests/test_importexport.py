"""Knowledge files, parsed and checked alone: plain Python, no database."""

import json

import pytest

from bots.importexport import (
    KnowledgeRow,
    Problem,
    dump,
    format_for_path,
    normalize_terms,
    parse,
)

ROWS = [
    KnowledgeRow("isomorphic go", "Isomorphic Go is the methodology..."),
    KnowledgeRow("commas, quotes", 'He said "hi", then left.'),
    KnowledgeRow("multi line", "First line\nsecond line\r\nthird, with a comma"),
    KnowledgeRow("unicode ünïcödé 漢字", "Emoji 🐹 and accents: é"),
]


def messages(data: bytes | str, fmt: str) -> list[str]:
    if isinstance(data, str):
        data = data.encode()
    return [str(problem) for problem in parse(data, fmt=fmt).problems]


def csv_file(*lines: str) -> str:
    return "\r\n".join(lines) + "\r\n"


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_dump_then_parse_gives_the_same_rows(fmt):
    result = parse(dump(ROWS, fmt=fmt, bot="case").encode(), fmt=fmt)
    assert result.ok, result.problems
    assert [(row.terms, row.answer) for row in result.rows] == [
        (row.terms, row.answer) for row in ROWS
    ]


def test_json_dump_is_readable_utf8_and_names_the_bot():
    text = dump(ROWS, fmt="json", bot="case")
    assert "漢字" in text  # not \u escapes
    document = json.loads(text)
    assert document["bot"] == "case"
    assert document["entries"][0] == {"terms": "isomorphic go", "answer": ROWS[0].answer}


def test_csv_dump_has_the_header_and_quotes_what_needs_it():
    text = dump(ROWS, fmt="csv", bot="case")
    assert text.startswith("terms,answer\r\n")
    assert '"commas, quotes","He said ""hi"", then left."' in text


def test_rows_know_their_line():
    result = parse(dump(ROWS, fmt="csv", bot="case").encode(), fmt="csv")
    # The multi-line answer (row 3) takes three lines.
    assert [row.line for row in result.rows] == [2, 3, 4, 7]
    result = parse(dump(ROWS, fmt="json", bot="case").encode(), fmt="json")
    assert [row.line for row in result.rows] == [4, 8, 12, 16]


def test_json_bot_is_read_and_optional():
    entries = b'"entries": [{"terms": "a", "answer": "b"}]'
    assert parse(b'{"bot": "case", ' + entries + b"}", fmt="json").bot == "case"
    # Files written when the field was called "agent" read the same.
    assert parse(b'{"agent": "case", ' + entries + b"}", fmt="json").bot == "case"
    result = parse(b"{" + entries + b"}", fmt="json")
    assert result.ok and result.bot is None


def test_json_naming_the_bot_twice_is_a_problem():
    data = b'{"bot": "case", "agent": "case", "entries": []}'
    assert [str(p) for p in parse(data, fmt="json").problems] == [
        "line 1: name the bot once: bot (agent is its old name)"
    ]


def test_csv_columns_may_come_in_any_order_with_a_bom_and_blank_lines():
    data = "\ufeffAnswer, Terms\r\n\r\nHello.,greeting hello\r\n\r\n".encode()
    result = parse(data, fmt="csv")
    assert result.ok, result.problems
    assert result.rows == [KnowledgeRow("greeting hello", "Hello.", 3)]


def test_helpers():
    assert normalize_terms("  Isomorphic   GO\tweb ") == "isomorphic go web"
    assert format_for_path("kb.JSON") == "json"
    assert format_for_path("/tmp/kb.csv") == "csv"
    assert format_for_path("kb.txt") is None
    assert str(Problem("the file is empty")) == "the file is empty"
    assert str(Problem("answer is empty", 7)) == "line 7: answer is empty"
    with pytest.raises(ValueError):
        parse(b"x", fmt="xml")


# --------------------------------------------------------------------------- refused files


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(fmt, data):
    assert messages(data, fmt) == ["the file is empty"]


@pytest.mark.parametrize(
    ("data", "fmt"),
    [("terms,answer\r\n", "csv"), ('{"agent": "case", "entries": []}', "json")],
)
def test_a_file_without_entries_is_refused(data, fmt):
    assert messages(data, fmt) == ["the file has no entries"]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_non_utf8_bytes_are_refused_with_their_line(fmt):
    data = b"terms,answer\r\nok,fine\r\ncaf\xe9,latin-1\r\n"
    assert messages(data, fmt) == ["line 3: not UTF-8 text (byte 0xe9 at column 4)"]


def test_csv_row_problems_have_their_line_numbers():
    data = csv_file(
        "terms,answer",
        "good,fine",  # 2
        "no answer,",  # 3
        ",no terms",  # 4
        '"multi',  # 5: a record over two lines
        'line terms",   ',  # 6: blank answer
        "one,two,three",  # 7
        "Good ,dup of line 2",  # 8
        "lonely",  # 9
        "nul,a\x00b",  # 10
        "x" * 2001 + ",long",  # 11
    )
    assert messages(data, "csv") == [
        "line 3: answer is empty",
        "line 4: terms is empty",
        "line 5: answer is empty",
        "line 7: expected 2 fields, found 3 (quote values that contain commas)",
        "line 8: duplicate terms (same as line 2)",
        "line 9: expected 2 fields, found 1 (quote values that contain commas)",
        "line 10: answer contains a NUL character",
        "line 11: terms longer than 2000 characters",
    ]


def test_terms_of_exactly_2000_characters_are_fine():
    assert messages(csv_file("terms,answer", "x" * 2000 + ",ok"), "csv") == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("terms", ["line 1: missing column 'answer' (the header is terms,answer)"]),
        (
            "question,answer",
            [
                "line 1: unknown column 'question' (the columns are terms,answer)",
                "line 1: missing column 'terms' (the header is terms,answer)",
            ],
        ),
        ("terms,answer,terms", ["line 1: column 'terms' appears twice"]),
        (
            "isomorphic go,Isomorphic Go is...",
            [
                "line 1: unknown column 'isomorphic go' (the columns are terms,answer)",
                "line 1: unknown column 'isomorphic go is...' (the columns are terms,answer)",
                "line 1: missing column 'terms' (the header is terms,answer)",
                "line 1: missing column 'answer' (the header is terms,answer)",
            ],
        ),
    ],
)
def test_csv_wrong_or_missing_columns_are_refused(header, expected):
    assert messages(csv_file(header, "a,b"), "csv") == expected


def test_csv_syntax_error_is_reported_after_the_row_problems_before_it():
    data = csv_file("terms,answer", "a,", 'b,"unterminated', "c,d", "e,f")
    assert messages(data, "csv") == [
        "line 2: answer is empty",
        "line 3: not valid CSV (unexpected end of data)",
    ]
    assert messages(csv_file("terms,answer", 'a,"quoted"trailing'), "csv") == [
        "line 2: not valid CSV (',' expected after '\"')"
    ]


def test_json_syntax_errors_have_line_and_column():
    data = '{"entries": [\n  {"terms": "a", "answer": "b"}\n  {"terms": "c"}\n]}'
    assert messages(data, "json") == ["line 3: not valid JSON: Expecting ',' delimiter (column 3)"]


def test_json_entry_problems_have_the_line_the_entry_starts_on():
    data = """{
  "agent": "case",
  "entries": [
    {"terms": "good", "answer": "fine"},
    {"terms": "no answer", "answer": ""},
    {
      "answer": "where are the terms?"
    },
    {"terms": 42, "answer": ["not", "text"]},
    "just a string",
    {"terms": "GOOD", "answer": "duplicate", "extra": 1},
    {"terms": "%s", "answer": "long"},
    {"terms": "with [brackets] and {braces}", "answer": "fine too"}
  ]
}""" % ("x" * 2001)
    assert messages(data, "json") == [
        "line 5: answer is empty",
        "line 6: terms is missing",
        "line 9: terms must be a string",
        "line 9: answer must be a string",
        'line 10: an entry must be an object {"terms": ..., "answer": ...}',
        "line 11: unknown field 'extra' (the fields are terms, answer)",
        "line 11: duplicate terms (same as line 4)",
        "line 12: terms longer than 2000 characters",
    ]


def test_json_entries_on_one_line_and_odd_spacing():
    data = '\n\n  { "agent" : "case" , "entries" :[{"terms":"a","answer":"b"} ,\n{"terms":"c"}]}'
    assert messages(data, "json") == ["line 4: answer is missing"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('["a", "b"]', ['line 1: expected an object {"bot": ..., "entries": [...]}']),
        ('{"agent": "case"}', ["line 1: entries is missing"]),
        ('{"entries": {"terms": "a"}}', ["line 1: entries must be a list"]),
        (
            '{"agent": 3, "entries": [{"terms": "a", "answer": "b"}]}',
            ["line 1: agent must be a non-empty string"],
        ),
        (
            '{"entries": [{"terms": "a", "answer": "b"}], "sample": []}',
            ["line 1: unknown field 'sample' (the fields are bot, entries)"],
        ),
    ],
)
def test_json_wrong_shape_is_refused(data, expected):
    assert messages(data, "json") == expected
