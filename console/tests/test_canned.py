"""console/canned.py: the placeholders of canned responses."""

import pytest
from django.core.exceptions import ValidationError

from console.canned import PLACEHOLDERS, text_parts, validate_text


def test_the_placeholders_are_the_visitor_s_name_and_the_agent_s():
    assert set(PLACEHOLDERS) == {"visitor_name", "agent_name"}


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Thanks for waiting!", [{"text": "Thanks for waiting!"}]),
        (
            "Hi {visitor_name}, {agent_name} here.",
            [
                {"text": "Hi "},
                {"placeholder": "visitor_name"},
                {"text": ", "},
                {"placeholder": "agent_name"},
                {"text": " here."},
            ],
        ),
        ("{agent_name}{agent_name}", [{"placeholder": "agent_name"}] * 2),
        # Doubled braces are a brace itself, never a placeholder.
        ("Use {{braces}} like {{this}}", [{"text": "Use {braces} like {this}"}]),
        ("{{visitor_name}}", [{"text": "{visitor_name}"}]),
        ("{{{agent_name}}}", [{"text": "{"}, {"placeholder": "agent_name"}, {"text": "}"}]),
        ("", []),
    ],
)
def test_text_is_cut_into_what_is_written_and_placeholders(text, parts):
    assert text_parts(text) == parts
    validate_text(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Hi {visitor}!",
            "Unknown placeholder {visitor}: use {visitor_name} or {agent_name} "
            "(write {{ or }} for a brace itself).",
        ),
        ("{x} and {y} and {x}", "Unknown placeholder {x}, {y}: use"),
        ("{}", "Unknown placeholder {}: use"),
        ("{Visitor_Name}", "Unknown placeholder {Visitor_Name}: use"),
        ("{agent_name!r}", "Unknown placeholder {agent_name!r}: use"),
        ("{agent_name:>9}", "Unknown placeholder {agent_name:>9}: use"),
        ("{ agent_name }", "Unknown placeholder { agent_name }: use"),
        ("Price: 5}", "A brace alone at character 9: write {{ or }} for a brace itself"),
        ("Hi {visitor_name", "A brace alone at character 4"),
        ("{{visitor_name}", "A brace alone at character 15"),
    ],
)
def test_anything_else_between_braces_or_a_brace_alone_is_refused_in_words(text, message):
    with pytest.raises(ValidationError) as refused:
        validate_text(text)
    assert refused.value.messages[0].startswith(message)
