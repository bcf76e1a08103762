"""Knowledge base files (JSON and CSV): parsing, validation and writing. Plain Python, no ORM.

Parsing never stops at the first problem in the rows: it returns every row it could read and
every problem found, each with the line of the file it is on, so that a person can fix a file in
one go. Nothing is written anywhere here; ``bots.services.knowledge_import`` writes the rows.

JSON: ``{"bot": "case", "entries": [{"terms": "...", "answer": "..."}, ...]}`` (``bot``, the
slug of the bot whose knowledge it is, is optional; files written before it was named so say
``agent``, which is read the same). CSV: a header ``terms,answer`` (either order), then one
entry per record, UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

FORMATS = ("json", "csv")
FIELDS = ("terms", "answer")
#: The field naming the bot whose knowledge a JSON file holds, then its old name.
BOT_FIELDS = ("bot", "agent")
MAX_TERMS_LENGTH = 2000


@dataclass(frozen=True)
class KnowledgeRow:
    terms: str
    answer: str
    #: Where the row starts in the file it was read from (0: not read from a file).
    line: int = 0


@dataclass(frozen=True)
class Problem:
    message: str
    #: The line of the file the problem is on; None for the file as a whole.
    line: int | None = None

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


@dataclass
class ParseResult:
    rows: list[KnowledgeRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: The bot the file names (JSON only), if any.
    bot: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def normalize_terms(terms: str) -> str:
    """The form in which two entries' terms count as the same (case and spacing ignored)."""
    return " ".join(terms.casefold().split())


def format_for_path(path: str) -> str | None:
    """The file format its name suggests (``.json`` or ``.csv``), or None."""
    suffix = PurePath(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


# --------------------------------------------------------------------------- parsing


def parse(data: bytes, *, fmt: str) -> ParseResult:
    """Every row of a knowledge file and every problem with it."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    text, problem = _decode(data)
    if problem is not None:
        return ParseResult(problems=[problem])
    if not text.strip():
        return ParseResult(problems=[Problem("the file is empty")])
    result = _parse_json(text) if fmt == "json" else _parse_csv(text)
    if result.ok and not result.rows:
        result.problems.append(Problem("the file has no entries"))
    return result


def _decode(data: bytes) -> tuple[str, Problem | None]:
    try:
        # utf-8-sig: spreadsheet programs often start UTF-8 files with a byte order mark.
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex()
        return "", Problem(f"not UTF-8 text (byte 0x{byte} at column {column})", line)


def _check_values(values: dict[str, object], line: int) -> list[Problem]:
    """Problems with the text of one entry's fields (those that are text)."""
    problems = []
    for name in FIELDS:
        value = values.get(name)
        if not isinstance(value, str):
            continue
        if not value.strip():
            problems.append(Problem(f"{name} is empty", line))
        elif "\x00" in value:
            # PostgreSQL cannot store NUL characters in text.
            problems.append(Problem(f"{name} contains a NUL character", line))
    terms = values.get("terms")
    if isinstance(terms, str) and len(terms) > MAX_TERMS_LENGTH:
        problems.append(Problem(f"terms longer than {MAX_TERMS_LENGTH} characters", line))
    return problems


class _DuplicateTerms:
    """Finds entries of one file whose terms are the same, case and spacing aside."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def check(self, terms: object, line: int) -> list[Problem]:
        key = normalize_terms(terms) if isinstance(terms, str) else ""
        if not key:
            return []
        if key in self._seen:
            return [Problem(f"duplicate terms (same as line {self._seen[key]})", line)]
        self._seen[key] = line
        return []


def _parse_csv(text: str) -> ParseResult:
    result = ParseResult()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    duplicates = _DuplicateTerms()
    previous_end = 0  # the line the previous record ended on
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not record or record == [""]:
                continue  # blank lines, e.g. at the end of the file
            if header is None:
                header = [name.strip().casefold() for name in record]
                result.problems.extend(_check_header(header, start))
                if result.problems:
                    return result
                continue
            if len(record) != len(header):
                result.problems.append(
                    Problem(
                        f"expected {len(header)} fields, found {len(record)}"
                        " (quote values that contain commas)",
                        start,
                    )
                )
                continue
            values = dict(zip(header, record, strict=True))
            problems = [*_check_values(values, start), *duplicates.check(values["terms"], start)]
            result.problems.extend(problems)
            if not problems:
                result.rows.append(KnowledgeRow(values["terms"], values["answer"], start))
    except csv.Error as exc:
        # The rest of the file cannot be read; what was read before is still reported on. The
        # record's first line: an unclosed quote is only noticed at the end of the file.
        result.problems.append(Problem(f"not valid CSV ({exc})", previous_end + 1))
    return result


def _check_header(header: list[str], line: int) -> list[Problem]:
    problems = []
    for name in header:
        if name not in FIELDS:
            problems.append(
                Problem(f"unknown column {name!r} (the columns are terms,answer)", line)
            )
        elif header.count(name) > 1:
            problems.append(Problem(f"column {name!r} appears twice", line))
    for name in FIELDS:
        if name not in header:
            problems.append(Problem(f"missing column {name!r} (the header is terms,answer)", line))
    return list(dict.fromkeys(problems))


def _parse_json(text: str) -> ParseResult:
    result = ParseResult()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        result.problems.append(
            Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
        )
        return result
    if not isinstance(document, dict):
        result.problems.append(Problem('expected an object {"bot": ..., "entries": [...]}', 1))
        return result
    for name in document:
        if name not in (*BOT_FIELDS, "entries"):
            result.problems.append(
                Problem(f"unknown field {name!r} (the fields are bot, entries)", 1)
            )
    named = [name for name in BOT_FIELDS if name in document]
    bot = document.get(named[0]) if named else None
    if len(named) > 1:
        result.problems.append(Problem("name the bot once: bot (agent is its old name)", 1))
    elif bot is not None and not (isinstance(bot, str) and bot.strip()):
        result.problems.append(Problem(f"{named[0]} must be a non-empty string", 1))
    elif bot is not None:
        result.bot = bot.strip()
    entries = document.get("entries")
    if not isinstance(entries, list):
        result.problems.append(
            Problem("entries is missing" if entries is None else "entries must be a list", 1)
        )
        return result
    duplicates = _DuplicateTerms()
    for entry, line in zip(entries, _entry_lines(text), strict=True):
        problems = _check_entry(entry, line)
        if isinstance(entry, dict):
            problems += [*_check_values(entry, line), *duplicates.check(entry.get("terms"), line)]
        result.problems.extend(problems)
        if not problems:
            result.rows.append(KnowledgeRow(entry["terms"], entry["answer"], line))
    return result


def _check_entry(entry: object, line: int) -> list[Problem]:
    if not isinstance(entry, dict):
        return [Problem('an entry must be an object {"terms": ..., "answer": ...}', line)]
    problems = [
        Problem(f"unknown field {name!r} (the fields are terms, answer)", line)
        for name in entry
        if name not in FIELDS
    ]
    for name in FIELDS:
        if name not in entry:
            problems.append(Problem(f"{name} is missing", line))
        elif not isinstance(entry[name], str):
            problems.append(Problem(f"{name} must be a string", line))
    return problems


_JSON_SPACE = " \t\n\r"


def _entry_lines(text: str) -> list[int]:
    """The line on which each element of the top-level "entries" array starts.

    Only called on text ``json.loads`` accepted, so the structure is known to be sound: walk
    the top-level object with ``raw_decode``, which gives each value's end offset.
    """
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(text) and text[i] in _JSON_SPACE:
            i += 1
        return i

    offsets: list[int] = []
    i = skip(skip(0) + 1)  # past "{"
    while text[i] != "}":
        name, i = decoder.raw_decode(text, i)
        i = skip(skip(i) + 1)  # past ":"
        if name == "entries" and text[i] == "[":
            offsets = []  # with duplicate keys, json.loads keeps the last one
            i = skip(i + 1)
            while text[i] != "]":
                offsets.append(i)
                _, i = decoder.raw_decode(text, i)
                i = skip(i)
                if text[i] == ",":
                    i = skip(i + 1)
            i += 1
        else:
            _, i = decoder.raw_decode(text, i)
        i = skip(i)
        if text[i] == ",":
            i = skip(i + 1)
    return [text.count("\n", 0, offset) + 1 for offset in offsets]


# --------------------------------------------------------------------------- writing


def dump(rows: Iterable[KnowledgeRow], *, fmt: str, bot: str) -> str:
    """A knowledge file that ``parse`` reads back into the same rows."""
    if fmt == "json":
        entries = [{"terms": row.terms, "answer": row.answer} for row in rows]
        return json.dumps({"bot": bot, "entries": entries}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        writer.writerows((row.terms, row.answer) for row in rows)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
