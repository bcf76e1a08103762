"""Canned responses' placeholders: the little grammar a response's text is written in.

``{visitor_name}`` and ``{agent_name}`` (the only placeholders, ``PLACEHOLDERS``) are filled
when an agent inserts the response into the composer: the visitor's name, and the agent's own
as visitors see it. ``{{`` and ``}}`` stand for a brace itself. Anything else between braces,
and a brace alone, is an error the admin and the console show, never a surprise in front of a
visitor.

The text is parsed here once, into parts the console joins with the names (``text_parts``):
the browser never interprets the grammar, and a name is inserted as plain text, so a visitor
called ``{agent_name}`` or ``<b>`` is written as such and never expanded or rendered.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

#: Each placeholder, and what it becomes.
PLACEHOLDERS = {
    "visitor_name": "the visitor's name",
    "agent_name": "your name as visitors see it",
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def text_parts(text: str) -> list[dict[str, str]]:
    """The text as parts, in order: ``{"text": ...}`` as written, and ``{"placeholder":
    name}`` for each placeholder. Raises ValidationError for what is not in the grammar."""
    parts: list[dict[str, str]] = []
    unknown: list[str] = []
    literal: list[str] = []
    position = 0
    for token in _TOKEN.finditer(text):
        literal.append(text[position : token.start()])
        position = token.end()
        found = token.group(0)
        if found in ("{{", "}}"):
            literal.append(found[0])
        elif token.group(1) is None:
            raise ValidationError(
                "A brace alone at character %(at)d: write {{ or }} for a brace itself, and "
                "placeholders as {visitor_name} or {agent_name}.",
                code="lone_brace",
                params={"at": token.start() + 1},
            )
        elif token.group(1) in PLACEHOLDERS:
            parts.append({"text": "".join(literal)})
            literal = []
            parts.append({"placeholder": token.group(1)})
        else:
            unknown.append(found)
    literal.append(text[position:])
    if unknown:
        raise ValidationError(
            "Unknown placeholder %(unknown)s: use %(known)s (write {{ or }} for a brace itself).",
            code="unknown_placeholder",
            params={
                "unknown": ", ".join(dict.fromkeys(unknown)),
                "known": " or ".join("{" + name + "}" for name in PLACEHOLDERS),
            },
        )
    parts.append({"text": "".join(literal)})
    return [part for part in parts if part.get("text") != ""]


def validate_text(text: str) -> None:
    """A canned response's text validator: the grammar of ``text_parts``."""
    text_parts(text)
