import json
from types import SimpleNamespace

import pytest
from django.utils import timezone

from chat.protocol import (
    PageInfo,
    ProtocolError,
    decode_page_info,
    decode_visitor_frame,
    error_frame,
    message_frame,
)

LIMITS = {"max_frame_length": 500, "max_text_length": 100}


def decode(frame) -> object:
    raw = frame if isinstance(frame, str) else json.dumps(frame)
    return decode_visitor_frame(raw, **LIMITS)


def test_a_valid_frame_gives_the_trimmed_text_and_client_id():
    message = decode({"type": "message", "text": "  hello \n", "client_id": "abc-123"})
    assert message.text == "hello"
    assert message.client_id == "abc-123"


def test_client_id_is_optional():
    assert decode({"type": "message", "text": "hi"}).client_id is None


def test_extra_fields_are_ignored():
    assert decode({"type": "message", "text": "hi", "page": "/x"}).text == "hi"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("{", "invalid_json"),
        ("", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('"message"', "invalid_frame"),
        ("null", "invalid_frame"),
        ({"text": "hi"}, "unknown_type"),
        ({"type": "shout", "text": "hi"}, "unknown_type"),
        ({"type": "message"}, "invalid_text"),
        ({"type": "message", "text": 42}, "invalid_text"),
        ({"type": "message", "text": ["hi"]}, "invalid_text"),
        ({"type": "message", "text": ""}, "empty_text"),
        ({"type": "message", "text": " \t\n "}, "empty_text"),
        ({"type": "message", "text": "x" * 101}, "text_too_long"),
        ({"type": "message", "text": "a\x00b"}, "invalid_text"),
        ('{"type": "message", "text": "\\ud800"}', "invalid_text"),
        ({"type": "message", "text": "hi", "client_id": ""}, "invalid_client_id"),
        ({"type": "message", "text": "hi", "client_id": 7}, "invalid_client_id"),
        ({"type": "message", "text": "hi", "client_id": "has space"}, "invalid_client_id"),
        ({"type": "message", "text": "hi", "client_id": "x" * 65}, "invalid_client_id"),
        ("x" * 501, "frame_too_large"),
    ],
)
def test_bad_frames_are_refused_with_a_code_and_a_sentence(frame, code):
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    assert caught.value.code == code
    assert caught.value.detail.endswith(".")


def test_the_limit_counts_the_text_after_trimming():
    assert decode({"type": "message", "text": " " + "x" * 100 + " "}).text == "x" * 100


def test_errors_about_a_message_name_its_client_id():
    with pytest.raises(ProtocolError) as caught:
        decode({"type": "message", "text": "   ", "client_id": "c1"})
    assert caught.value.client_id == "c1"


def test_message_frame_has_the_documented_fields():
    sent_at = timezone.now()
    message = SimpleNamespace(
        uid="5f0c",
        sender_role="bot",
        sender_name="Case",
        sender_title="Resident Isomorphic Gopher Agent",
        text="Hello",
        sent_at=sent_at,
        client_id=None,
    )
    assert message_frame(message) == {
        "type": "message",
        "id": "5f0c",
        "sender": {"role": "bot", "name": "Case", "title": "Resident Isomorphic Gopher Agent"},
        "text": "Hello",
        "sent_at": sent_at.isoformat(),
        "client_id": None,
    }


def test_error_frame():
    assert error_frame("empty_text", "Type a message.") == {
        "type": "error",
        "code": "empty_text",
        "detail": "Type a message.",
    }
    assert error_frame("x", "y.", client_id="c")["client_id"] == "c"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"page=%2Fproducts%2Fmug%2F&product=3", PageInfo("/products/mug/", 3)),
        (b"page=/", PageInfo("/", None)),
        (b"", PageInfo()),
        (b"page=https://evil.example/&product=x", PageInfo()),
        (b"page=//evil.example/", PageInfo()),
        (b"page=/a%20b", PageInfo()),
        (b"page=/" + b"x" * 300, PageInfo()),
        (b"product=0", PageInfo()),
        (b"product=-1", PageInfo()),
        (b"product=" + b"9" * 19, PageInfo()),
        (b"\xff\xfe", PageInfo()),
    ],
)
def test_page_info_keeps_only_well_formed_values(query, expected):
    assert decode_page_info(query) == expected
