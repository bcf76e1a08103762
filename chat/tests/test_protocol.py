import json
from datetime import datetime, timedelta
from datetime import timezone as timezone_module
from types import SimpleNamespace

import pytest
from django.utils import timezone

from chat.listing import EVERYTHING, ConversationFilter, Cursor
from chat.models import Conversation
from chat.protocol import (
    AGENT_ACTIONS,
    AGENT_SELF_ACTIONS,
    MAX_COMMENT_LENGTH,
    AgentCommand,
    End,
    PageInfo,
    ProtocolError,
    Rate,
    Read,
    Typing,
    VisitorMessage,
    conversations_frame,
    decode_agent_frame,
    decode_page_info,
    decode_visitor_frame,
    error_frame,
    message_frame,
    read_frame,
    suggestion_frame,
    typing_frame,
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


# --- reading, ending and rating ----------------------------------------------------------------

MESSAGE_ID = "0b6c1e2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b"


def test_a_read_frame_names_the_message_read_through():
    assert decode({"type": "read", "through": MESSAGE_ID}) == Read(through=MESSAGE_ID)


@pytest.mark.parametrize(
    "through",
    [
        None,
        7,
        "",
        "hello",
        MESSAGE_ID.upper(),
        MESSAGE_ID + "0",
        "{" + MESSAGE_ID + "}",
        [MESSAGE_ID],
    ],
)
def test_a_read_frame_without_a_message_s_id_is_refused(through):
    frame = {"type": "read", "client_id": "r-1"}
    if through is not None:
        frame["through"] = through
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    assert caught.value.code == "invalid_message_id"
    assert caught.value.detail.endswith(".")
    assert caught.value.client_id == "r-1"


def test_an_end_frame_needs_nothing_else():
    assert decode({"type": "end"}) == End()
    assert decode({"type": "end", "reason": "bye"}) == End()


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_a_rating_of_1_to_5_is_accepted_without_a_comment(score):
    assert decode({"type": "rate", "score": score}) == Rate(score=score, comment="")


def test_a_rating_s_comment_is_trimmed_and_may_be_empty_or_null():
    assert decode({"type": "rate", "score": 4, "comment": "  Quick and kind.\n"}) == Rate(
        score=4, comment="Quick and kind."
    )
    assert decode({"type": "rate", "score": 4, "comment": ""}).comment == ""
    assert decode({"type": "rate", "score": 4, "comment": "   "}).comment == ""
    assert decode({"type": "rate", "score": 4, "comment": None}).comment == ""


def rate_with(**fields):
    """Decode a rate frame under a frame limit that leaves room for the longest comment."""
    raw = json.dumps({"type": "rate", **fields})
    return decode_visitor_frame(raw, max_frame_length=5000, max_text_length=100)


def test_a_comment_of_1000_characters_is_accepted_and_1001_is_not():
    assert rate_with(score=5, comment=" " + "x" * 1000 + " ").comment == "x" * 1000
    with pytest.raises(ProtocolError) as caught:
        rate_with(score=5, comment="x" * 1001)
    assert caught.value.code == "comment_too_long"
    assert "1000" in caught.value.detail and "1001" in caught.value.detail


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "invalid_score"),
        ({"score": None}, "invalid_score"),
        ({"score": 0}, "invalid_score"),
        ({"score": 6}, "invalid_score"),
        ({"score": -1}, "invalid_score"),
        ({"score": 4.5}, "invalid_score"),
        ({"score": 5.0}, "invalid_score"),
        ({"score": "5"}, "invalid_score"),
        ({"score": True}, "invalid_score"),
        ({"score": 5, "comment": 5}, "invalid_comment"),
        ({"score": 5, "comment": ["good"]}, "invalid_comment"),
        ({"score": 5, "comment": "a\x00b"}, "invalid_comment"),
        ({"score": 5, "comment": "\ud800"}, "invalid_comment"),
    ],
)
def test_a_bad_rating_is_refused_with_a_code_and_a_sentence(fields, code):
    with pytest.raises(ProtocolError) as caught:
        rate_with(client_id="r-1", **fields)
    assert caught.value.code == code
    assert caught.value.detail.endswith(".")
    assert caught.value.client_id == "r-1"


def test_the_comment_limit_is_what_the_conversation_holds():
    field = Conversation._meta.get_field("rating_comment")
    assert field.max_length == MAX_COMMENT_LENGTH


def test_the_read_frame_carries_the_message_s_id():
    assert read_frame(through=MESSAGE_ID) == {"type": "read", "through": MESSAGE_ID}


def test_an_unknown_type_names_the_visitor_s_frame_types():
    with pytest.raises(ProtocolError) as caught:
        decode({"type": "shout"})
    for kind in ("message", "typing", "read", "end", "rate"):
        assert f'"{kind}"' in caught.value.detail


def test_the_limit_counts_the_text_after_trimming():
    assert decode({"type": "message", "text": " " + "x" * 100 + " "}).text == "x" * 100


def test_errors_about_a_message_name_its_client_id():
    with pytest.raises(ProtocolError) as caught:
        decode({"type": "message", "text": "   ", "client_id": "c1"})
    assert caught.value.client_id == "c1"


def test_a_quick_reply_gives_its_value_untrimmed():
    message = decode(
        {"type": "message", "text": "Talk to a person", "client_id": "q-1", "value": " human "}
    )
    assert message == VisitorMessage(text="Talk to a person", client_id="q-1", value=" human ")


def test_value_is_optional_and_null_is_none():
    assert decode({"type": "message", "text": "hi"}).value is None
    assert decode({"type": "message", "text": "hi", "value": None}).value is None


@pytest.mark.parametrize(
    "value",
    ["a", "x" * 200, "request_human", "größe: 42 €", "🙂" * 200, "has spaces and / slashes"],
)
def test_a_value_of_1_to_200_printable_characters_is_accepted(value):
    # Not \u-escaped: 200 emoji in escapes would be over the frame limit.
    raw = json.dumps({"type": "message", "text": "hi", "value": value}, ensure_ascii=False)
    assert decode(raw).value == value


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ({"value": 7}, "must be a string"),
        ({"value": True}, "must be a string"),
        ({"value": ["request_human"]}, "must be a string"),
        ({"value": {"v": 1}}, "must be a string"),
        ({"value": ""}, "1 to 200 characters long; this one has 0"),
        ({"value": "x" * 201}, "1 to 200 characters long; this one has 201"),
        ({"value": "line\nbreak"}, "control characters"),
        ({"value": "tab\there"}, "control characters"),
        ({"value": "nul\x00"}, "control characters"),
        ({"value": "del\x7f"}, "control characters"),
        ({"value": "c1\x85"}, "control characters"),
        ('{"type": "message", "text": "hi", "client_id": "v-1", "value": "\\ud800"}', "stored"),
    ],
)
def test_a_bad_value_is_refused_with_its_client_id(raw, detail):
    frame = (
        raw
        if isinstance(raw, str)
        else {"type": "message", "text": "hi", "client_id": "v-1", **raw}
    )
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    assert caught.value.code == "invalid_value"
    assert detail in caught.value.detail
    assert caught.value.detail.endswith(".")
    assert caught.value.client_id == "v-1"


def test_a_typing_frame_ignores_a_value():
    assert decode({"type": "typing", "active": True, "value": 7}) == Typing(active=True)


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
        # The page's language, as the page wrote it (chat.languages decides what it means).
        (b"page=/&lang=de", PageInfo("/", None, "de")),
        (b"lang=es-419", PageInfo(language="es-419")),
        (b"lang=pt_BR", PageInfo(language="pt_BR")),
        (b"lang=de%3Bq%3D1", PageInfo()),
        (b"lang=" + b"a" * 9, PageInfo()),
        (b"lang=", PageInfo()),
    ],
)
def test_page_info_keeps_only_well_formed_values(query, expected):
    assert decode_page_info(query) == expected


# --- the visitor's typing frame ---------------------------------------------------------------


@pytest.mark.parametrize("active", [True, False])
def test_a_visitor_typing_frame(active):
    assert decode({"type": "typing", "active": active}) == Typing(active=active)


@pytest.mark.parametrize("active", [None, 1, 0, "true", [], {}])
def test_a_visitor_typing_frame_needs_a_boolean(active):
    frame = {"type": "typing"} if active is None else {"type": "typing", "active": active}
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    assert caught.value.code == "invalid_frame"


# --- the staff console's frames ---------------------------------------------------------------

SUGGESTION_ID = "0b6f8a8e-3c1b-4d2a-9f1e-2a7c5d9e4b10"


def agent(frame) -> AgentCommand:
    raw = frame if isinstance(frame, str) else json.dumps(frame)
    return decode_agent_frame(raw, **LIMITS)


@pytest.mark.parametrize(
    ("frame", "command"),
    [
        ({"type": "open", "conversation": 7}, AgentCommand("open", 7)),
        ({"type": "take", "conversation": 7}, AgentCommand("take", 7)),
        (
            {"type": "message", "conversation": 7, "text": " Hello ", "client_id": "a-1"},
            AgentCommand("message", 7, text="Hello", client_id="a-1"),
        ),
        (
            {"type": "message", "conversation": 7, "text": "Hi", "suggestion": SUGGESTION_ID},
            AgentCommand("message", 7, text="Hi", suggestion=SUGGESTION_ID),
        ),
        (
            {"type": "typing", "conversation": 7, "active": True},
            AgentCommand("typing", 7, active=True),
        ),
        (
            {"type": "typing", "conversation": 7, "active": False},
            AgentCommand("typing", 7, active=False),
        ),
        ({"type": "hand_back", "conversation": 7}, AgentCommand("hand_back", 7)),
        (
            {"type": "transfer", "conversation": 7, "agent": 3},
            AgentCommand("transfer", 7, agent_id=3),
        ),
        ({"type": "close", "conversation": 7}, AgentCommand("close", 7)),
        (
            {"type": "sidekick", "conversation": 7, "active": True},
            AgentCommand("sidekick", 7, active=True),
        ),
        ({"type": "accepting", "active": False}, AgentCommand("accepting", None, active=False)),
        ({"type": "heartbeat"}, AgentCommand("heartbeat")),
        # A conversation on a frame about the agent is not needed, and not read.
        ({"type": "heartbeat", "conversation": "x"}, AgentCommand("heartbeat")),
        # Fields an action does not use are ignored.
        (
            {"type": "take", "conversation": 7, "text": 5, "active": "x", "agent": -1},
            AgentCommand("take", 7),
        ),
        # A suggestion only goes with a message.
        (
            {"type": "close", "conversation": 7, "suggestion": SUGGESTION_ID},
            AgentCommand("close", 7),
        ),
        ({"type": "open", "conversation": 2**63 - 1}, AgentCommand("open", 2**63 - 1)),
        (
            {"type": "note", "conversation": 7, "text": " For the team ", "client_id": "n-1"},
            AgentCommand("note", 7, text="For the team", client_id="n-1"),
        ),
        (
            {"type": "seen", "conversation": 7, "visitor_messages": 3},
            AgentCommand("seen", 7, visitor_messages=3),
        ),
        (
            {"type": "seen", "conversation": 7, "visitor_messages": 0},
            AgentCommand("seen", 7, visitor_messages=0),
        ),
        # A count only goes with "seen".
        (
            {"type": "take", "conversation": 7, "visitor_messages": -4},
            AgentCommand("take", 7),
        ),
    ],
)
def test_every_console_action_decodes(frame, command):
    assert agent(frame) == command


def test_every_action_is_tested():
    assert set(AGENT_ACTIONS) == {
        "open",
        "take",
        "message",
        "typing",
        "hand_back",
        "transfer",
        "close",
        "sidekick",
        "accepting",
        "heartbeat",
        "note",
        "seen",
        "label",
        "list",
    }


CONVERSATION_ACTIONS = sorted(set(AGENT_ACTIONS) - AGENT_SELF_ACTIONS)


def complete(action, **fields):
    """A valid frame of ``action``, changed by ``fields`` (None removes one)."""
    frame = {"type": action, "conversation": 7}
    frame.update(
        {
            "message": {"text": "hi"},
            "note": {"text": "hi"},
            "transfer": {"agent": 3},
            "seen": {"visitor_messages": 2},
            "label": {"label": 3},
        }.get(action, {})
    )
    if action in ("typing", "sidekick", "accepting", "label"):
        frame["active"] = True
    frame.update(fields)
    return {key: value for key, value in frame.items() if value is not None}


@pytest.mark.parametrize("action", CONVERSATION_ACTIONS)
@pytest.mark.parametrize(
    "conversation", ["missing", None, "7", 7.0, 7.5, True, False, 0, -1, 2**63, [7], {"id": 7}]
)
def test_a_conversation_action_needs_a_positive_whole_conversation_id(action, conversation):
    frame = complete(action)
    if conversation == "missing":
        del frame["conversation"]
    else:
        frame["conversation"] = conversation
    with pytest.raises(ProtocolError) as caught:
        agent(frame)
    assert caught.value.code == "invalid_frame"
    assert "conversation" in caught.value.detail


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("", "invalid_json"),
        ("[]", "invalid_frame"),
        ("null", "invalid_frame"),
        ({"conversation": 7}, "unknown_type"),
        ({"type": "dance", "conversation": 7}, "unknown_type"),
        ({"type": "Take", "conversation": 7}, "unknown_type"),
        ({"type": None}, "unknown_type"),
        ({"type": ["take"], "conversation": 7}, "unknown_type"),
        (complete("message", text=None), "invalid_text"),
        (complete("message", text=7), "invalid_text"),
        (complete("message", text=""), "empty_text"),
        (complete("message", text="  \n "), "empty_text"),
        (complete("message", text="x" * 101), "text_too_long"),
        (complete("message", text="a\x00b"), "invalid_text"),
        ('{"type": "message", "conversation": 7, "text": "\\udc00"}', "invalid_text"),
        (complete("message", client_id="has space"), "invalid_client_id"),
        (complete("message", client_id=5), "invalid_client_id"),
        (complete("message", suggestion="not-a-uuid"), "invalid_suggestion"),
        (complete("message", suggestion=SUGGESTION_ID.upper()), "invalid_suggestion"),
        (complete("message", suggestion=SUGGESTION_ID + "0"), "invalid_suggestion"),
        (complete("message", suggestion=7), "invalid_suggestion"),
        (complete("transfer", agent=None), "invalid_frame"),
        (complete("transfer", agent=0), "invalid_frame"),
        (complete("transfer", agent=-3), "invalid_frame"),
        (complete("transfer", agent=True), "invalid_frame"),
        (complete("transfer", agent="3"), "invalid_frame"),
        (complete("typing", active=None), "invalid_frame"),
        (complete("typing", active=1), "invalid_frame"),
        (complete("sidekick", active="yes"), "invalid_frame"),
        (complete("accepting", active=None), "invalid_frame"),
        (complete("accepting", active=0), "invalid_frame"),
        (complete("note", text=""), "empty_text"),
        (complete("note", text="x" * 101), "text_too_long"),
        (complete("note", client_id="has space"), "invalid_client_id"),
        (complete("seen", visitor_messages=None), "invalid_frame"),
        (complete("seen", visitor_messages=-1), "invalid_frame"),
        (complete("seen", visitor_messages=1.5), "invalid_frame"),
        (complete("seen", visitor_messages=True), "invalid_frame"),
        (complete("seen", visitor_messages="3"), "invalid_frame"),
        ("x" * 501, "frame_too_large"),
    ],
)
def test_bad_console_frames_are_refused_with_a_code_and_a_sentence(frame, code):
    with pytest.raises(ProtocolError) as caught:
        agent(frame)
    assert caught.value.code == code
    assert caught.value.detail.endswith(".")


def test_console_errors_about_a_message_name_its_client_id():
    with pytest.raises(ProtocolError) as caught:
        agent(complete("message", text="", client_id="a-9"))
    assert caught.value.client_id == "a-9"
    with pytest.raises(ProtocolError) as caught:
        agent(complete("message", conversation=-1, client_id="a-9"))
    assert caught.value.client_id == "a-9"


# --- frames the server sends ------------------------------------------------------------------


def stored_message(role, client_id):
    return SimpleNamespace(
        uid="5f0c",
        sender_role=role,
        sender_name="Anna",
        sender_title="",
        text="Hello",
        sent_at=timezone.now(),
        client_id=client_id,
    )


def test_a_visitor_sees_only_the_client_ids_of_visitor_messages():
    assert message_frame(stored_message("visitor", "v-1"), for_visitor=True)["client_id"] == "v-1"
    for role in ("agent", "bot", "system"):
        assert message_frame(stored_message(role, "a-1"), for_visitor=True)["client_id"] is None
        assert message_frame(stored_message(role, "a-1"))["client_id"] == "a-1"


ATTACHMENTS = [
    {
        "text": "Anything else?",
        "actions": [
            {"type": "button", "text": "Talk to a person", "value": "request_human"},
            {"type": "link", "text": "Read the docs", "link": "https://example.com/docs"},
        ],
    }
]


def test_a_message_with_attachments_carries_them():
    message = stored_message("bot", None)
    message.attachments = ATTACHMENTS
    message.response_value = None
    for for_visitor in (True, False):
        frame = message_frame(message, for_visitor=for_visitor)
        assert frame["attachments"] == ATTACHMENTS
        assert "response_value" not in frame
    json.dumps(frame)  # the frame goes out as JSON as it is


def test_a_quick_reply_carries_its_response_value():
    message = stored_message("visitor", "v-1")
    message.attachments = []
    message.response_value = "request_human"
    frame = message_frame(message, for_visitor=True)
    assert frame["response_value"] == "request_human"
    assert "attachments" not in frame


def test_a_plain_message_has_neither_attachments_nor_response_value():
    message = stored_message("bot", None)
    message.attachments = []
    message.response_value = None
    assert set(message_frame(message)) == {"type", "id", "sender", "text", "sent_at", "client_id"}


def test_a_sender_without_a_title_has_no_title():
    assert message_frame(stored_message("agent", None))["sender"] == {
        "role": "agent",
        "name": "Anna",
    }


def test_suggestion_and_typing_frames():
    suggestion = SimpleNamespace(
        conversation_id=7, uid="s-1", text="Try this.", question=SimpleNamespace(uid="q-1")
    )
    assert suggestion_frame(suggestion) == {
        "type": "suggestion",
        "conversation": 7,
        "id": "s-1",
        "text": "Try this.",
        "question": "q-1",
    }
    assert typing_frame(active=True) == {"type": "typing", "active": True}
    sender = {"role": "agent", "name": "Anna", "title": "Support"}
    assert typing_frame(active=False, sender=sender) == {
        "type": "typing",
        "active": False,
        "sender": sender,
    }


# --- size limits, at the boundary, for both decoders ------------------------------------------


def decode_with(decoder, frame):
    raw = frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False)
    return decoder(raw, **LIMITS)


def message_of(decoder, **fields):
    """A valid message frame for ``decoder``, changed by ``fields``."""
    frame = {"type": "message", "text": "hi"}
    if decoder is decode_agent_frame:
        frame["conversation"] = 7
    frame.update(fields)
    return frame


def padded_to(frame: dict, length: int) -> str:
    """``frame`` as JSON of exactly ``length`` characters, padded in a field nobody reads."""
    raw = json.dumps({**frame, "pad": ""})
    raw = json.dumps({**frame, "pad": "p" * (length - len(raw))})
    assert len(raw) == length
    return raw


DECODERS = pytest.mark.parametrize(
    "decoder", [decode_visitor_frame, decode_agent_frame], ids=["visitor", "console"]
)


@DECODERS
def test_a_frame_of_exactly_the_limit_is_read_and_one_more_is_not(decoder):
    assert decode_with(decoder, padded_to(message_of(decoder), 500)).text == "hi"
    with pytest.raises(ProtocolError) as caught:
        decode_with(decoder, padded_to(message_of(decoder), 501))
    assert caught.value.code == "frame_too_large"
    assert caught.value.detail == "A frame may hold at most 500 characters."


@DECODERS
def test_an_oversized_frame_is_refused_before_it_is_parsed(decoder):
    # Were it parsed, this would be invalid_json: the length alone decides, unread.
    with pytest.raises(ProtocolError) as caught:
        decode_with(decoder, "{" * 501)
    assert caught.value.code == "frame_too_large"


@DECODERS
def test_text_of_exactly_the_limit_is_accepted_and_one_more_is_refused_in_words(decoder):
    assert decode_with(decoder, message_of(decoder, text="x" * 100)).text == "x" * 100
    with pytest.raises(ProtocolError) as caught:
        decode_with(decoder, message_of(decoder, text="x" * 101, client_id="c-1"))
    assert caught.value.code == "text_too_long"
    assert caught.value.detail == "Messages are limited to 100 characters; this one has 101."
    assert caught.value.client_id == "c-1"


@DECODERS
def test_the_text_limit_counts_characters_not_bytes(decoder):
    # 100 characters of 4 UTF-8 bytes each: what the visitor sees as 100 characters is 100.
    assert decode_with(decoder, message_of(decoder, text="🐹" * 100)).text == "🐹" * 100
    with pytest.raises(ProtocolError) as caught:
        decode_with(decoder, message_of(decoder, text="🐹" * 101))
    assert caught.value.code == "text_too_long"


@DECODERS
def test_a_client_id_of_64_characters_is_accepted_and_65_is_not(decoder):
    assert decode_with(decoder, message_of(decoder, client_id="c" * 64)).client_id == "c" * 64
    with pytest.raises(ProtocolError) as caught:
        decode_with(decoder, message_of(decoder, client_id="c" * 65))
    assert caught.value.code == "invalid_client_id"
    assert "1 to 64" in caught.value.detail


@DECODERS
def test_an_unknown_type_is_quoted_short_in_the_error(decoder):
    with pytest.raises(ProtocolError) as caught:
        decode_with(decoder, message_of(decoder, type="t" * 400))
    assert caught.value.code == "unknown_type"
    assert "t" * 41 not in caught.value.detail
    assert len(caught.value.detail) < 200


def test_console_ids_are_bounded_like_the_database_column():
    assert agent(complete("transfer", agent=2**63 - 1)).agent_id == 2**63 - 1
    for too_big in (2**63, 10**100):
        with pytest.raises(ProtocolError) as caught:
            agent(complete("transfer", agent=too_big))
        assert caught.value.code == "invalid_frame"
        assert "agent" in caught.value.detail


def test_a_console_suggestion_is_exactly_one_id_long():
    assert agent(complete("message", suggestion=SUGGESTION_ID)).suggestion == SUGGESTION_ID
    with pytest.raises(ProtocolError) as caught:
        agent(complete("message", suggestion=SUGGESTION_ID + "x" * 300))
    assert caught.value.code == "invalid_suggestion"


# --- the console's list: labels, filters, search, pages -----------------------------------------

MONDAY = datetime(2026, 12, 7, tzinfo=timezone_module(timedelta(hours=1)))


def test_a_label_is_put_on_and_taken_off_by_its_id():
    assert agent({"type": "label", "conversation": 7, "label": 3, "active": True}) == (
        AgentCommand("label", 7, active=True, label_id=3)
    )
    assert agent({"type": "label", "conversation": 7, "label": 3, "active": False}) == (
        AgentCommand("label", 7, active=False, label_id=3)
    )
    for label in (None, 0, "3", True, 3.5):
        with pytest.raises(ProtocolError) as caught:
            agent(complete("label", label=label))
        assert (caught.value.code, "label" in caught.value.detail) == ("invalid_frame", True)
    with pytest.raises(ProtocolError):
        agent(complete("label", active=None))


def test_a_list_frame_names_a_filter_and_where_the_page_starts():
    cursor = Cursor(MONDAY, 42)
    command = agent(
        {
            "type": "list",
            "client_id": "l-1",
            "filter": {
                "labels": [5, 3, 5],
                "state": "waiting",
                "agent": 9,
                "since": "2026-12-07T00:00:00+01:00",
                "until": "2026-12-08T00:00:00+01:00",
                "search": "  refund   hoodie ",
            },
            "after": str(cursor),
        }
    )
    assert command == AgentCommand(
        "list",
        client_id="l-1",
        list_filter=ConversationFilter(
            labels=(3, 5),
            state="waiting",
            agent=9,
            since=MONDAY,
            until=MONDAY + timedelta(days=1),
            search="refund hoodie",
        ),
        after=cursor,
    )
    assert command.after.last_message_at == MONDAY
    # No filter and no cursor: the first page of every conversation; null is as good as none.
    assert agent({"type": "list"}) == AgentCommand("list", list_filter=EVERYTHING)
    assert agent({"type": "list", "filter": {"labels": None, "search": None}}) == (
        AgentCommand("list", list_filter=EVERYTHING)
    )
    assert agent({"type": "list", "filter": {"agent": "none"}}).list_filter.agent == "none"


@pytest.mark.parametrize(
    ("fields", "code", "detail"),
    [
        ({"filter": []}, "invalid_filter", "filter must be an object"),
        ({"filter": {"label": 3}}, "invalid_filter", "Unknown filter field 'label'"),
        ({"filter": {"labels": 3}}, "invalid_filter", "labels must be a list"),
        ({"filter": {"labels": [0]}}, "invalid_filter", "labels must be a list"),
        ({"filter": {"labels": [True]}}, "invalid_filter", "labels must be a list"),
        ({"filter": {"labels": list(range(1, 12))}}, "invalid_filter", "at most 10 labels"),
        ({"filter": {"state": "open"}}, "invalid_filter", "state must be one of"),
        ({"filter": {"agent": "nobody"}}, "invalid_filter", "agent must be"),
        ({"filter": {"agent": -2}}, "invalid_filter", "agent must be"),
        ({"filter": {"since": "2026-12-07"}}, "invalid_filter", "offset from UTC"),
        ({"filter": {"since": "yesterday"}}, "invalid_filter", "since must be"),
        ({"filter": {"until": 1765065600}}, "invalid_filter", "until must be"),
        (
            {"filter": {"since": "2026-12-08T00:00Z", "until": "2026-12-07T00:00Z"}},
            "invalid_filter",
            "since must come before until",
        ),
        ({"filter": {"search": 5}}, "invalid_filter", "search must be text"),
        ({"filter": {"search": "a\x00b"}}, "invalid_filter", "search must be text"),
        ({"filter": {"search": "x" * 201}}, "invalid_filter", "limited to 200 characters"),
        ({"filter": {"search": "?! -- ..."}}, "invalid_filter", "no word to look for"),
        ({"after": "yesterday"}, "invalid_cursor", '"next" of a conversations frame'),
        ({"after": "12.0"}, "invalid_cursor", "next"),
        ({"after": "1" * 21 + ".5"}, "invalid_cursor", "next"),
        ({"after": "5." + "9" * 19}, "invalid_cursor", "next"),
        ({"after": 5}, "invalid_cursor", "next"),
    ],
)
def test_a_bad_filter_or_cursor_is_refused_with_what_is_wrong(fields, code, detail):
    with pytest.raises(ProtocolError) as caught:
        agent({"type": "list", "client_id": "l-2", **fields})
    assert caught.value.code == code
    assert detail in caught.value.detail
    assert caught.value.detail.endswith(".")
    assert caught.value.client_id == "l-2"


def test_a_page_of_the_list_says_its_filter_and_the_pages_around_it():
    wanted = ConversationFilter(labels=(3,), search="hoodie", agent="none")
    frame = conversations_frame(
        conversations=[{"id": 1}],
        conversation_filter=wanted,
        after=Cursor(MONDAY, 9),
        next_page=None,
        client_id="l-3",
    )
    assert frame == {
        "type": "conversations",
        "filter": {"labels": [3], "agent": "none", "search": "hoodie"},
        "after": str(Cursor(MONDAY, 9)),
        "next": None,
        "conversations": [{"id": 1}],
        "client_id": "l-3",
    }
