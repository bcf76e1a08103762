"""Property-based fuzzing (Hypothesis) of both sockets' frame handling.

Whatever a visitor's chat box or a staff console sends (any text, any JSON, frames shaped
almost like valid ones, strings around the size limits, lone surrogates, NUL, deep nesting,
binary frames), the consumer

- answers only with JSON objects that have a ``type``;
- answers each invalid frame with exactly one error frame: ``type`` "error", a ``code`` and a
  human sentence, never a traceback, an exception's name or a Python repr;
- never raises, never closes the socket, and the same connection works afterwards;
- stores nothing of a frame unless it was a valid message.

What is valid is decided here, from the README's protocol, not by chat.protocol: the tests
would otherwise agree with any bug in it. After each fuzzed frame the test sends a marker
frame whose error echoes its client_id; the frames a consumer sends itself come in order, so
the ones before a marker's echo answer the frame before it.

Several fuzzed frames share one connection in each example, as a misbehaving client would.
Frames over the per-connection rate limit are fuzzed too: refused unread, whatever they hold.
``--hypothesis-show-statistics`` shows how often each answer came.
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from chat import conf, services
from chat.models import Message

from .conftest import make_agent, new_session_key, staff_communicator, visitor_communicator

# Consumers reach the database from worker threads, so tests commit for real;
# serialized_rollback restores the migrated knowledge base the bot answers from.
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TIMEOUT = 5
QUESTION = "What is isomorphic go?"
ISOMORPHIC_GO_ANSWER = (
    "Isomorphic Go is the methodology to create isomorphic web applications using the Go "
    "(Golang) programming language. An isomorphic web application, is a web application, "
    "that contains code which can run, on both the web client and the web server."
)
# Each example opens its own connection (and conversation): the function-scoped fixtures
# (database, channel layer, agent) are fine to share between examples.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MAX_FRAME = conf.DEFAULTS["CHAT_MAX_FRAME_LENGTH"]
MAX_TEXT = conf.DEFAULTS["CHAT_MAX_MESSAGE_LENGTH"]
# Python's int() refuses longer digit strings, and json.loads with it.
MAX_INT_DIGITS = 4300


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    # Each fuzzed frame is followed by a marker: twice the frames of the client it stands for.
    # The rate limit gets fuzzed frames of its own below.
    settings.CHAT_RATE_LIMIT_MESSAGES = 100_000
    settings.CHAT_RATE_LIMIT_SECONDS = 1


# --- the protocol, as the README states it ----------------------------------------------------

CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
SUGGESTION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MESSAGE_ID = SUGGESTION_ID
# Each console action and the field it needs besides "conversation".
AGENT_FIELDS = {
    "open": None,
    "take": None,
    "message": "text",
    "typing": "active",
    "hand_back": None,
    "transfer": "agent",
    "close": None,
    "sidekick": "active",
    "accepting": "active",
    "heartbeat": None,
}
AGENT_SELF_ACTIONS = {"accepting", "heartbeat"}
# Errors a console gets for a well-formed command the chat cannot carry out.
ACTION_CODES = {
    "not_found",
    "taken",
    "not_yours",
    "agent_unavailable",
    "closed",
    "not_allowed",
    "idempotency_conflict",
}
# A limit a server may put on nesting without being wrong: it may then refuse such a frame
# with a code of its own. Hypothesis's JSON values stay far below it.
DEEP = 64
ANY_CODE: frozenset[str] = frozenset()
# The per-connection rate limit's refusal: a fine answer to any frame.
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Verdict:
    """What a frame deserves.

    ``refuse``: the codes one of which its error must have (ANY_CODE: any will do), or None
    when the frame is valid. ``frame``: the frame, when it is a JSON object; ``may_refuse``
    marks a valid frame nested deeper than DEEP.
    """

    refuse: frozenset[str] | None
    frame: dict[str, Any] | None = None
    may_refuse: bool = False

    def client_id(self) -> Any:
        return self.frame.get("client_id") if self.frame is not None else None


def refused(*codes: str) -> Verdict:
    return Verdict(refuse=frozenset(codes))


def nesting(value: Any) -> int:
    """How many arrays and objects deep ``value`` goes (without recursing: it may be deep)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict | list):
            depth += 1
            todo.extend(
                (item, depth) for item in (value.values() if isinstance(value, dict) else value)
            )
        deepest = max(deepest, depth)
    return deepest


def judge(raw: str | bytes, rules) -> Verdict:
    """The verdict on one frame: the decoding every frame goes through, then ``rules``,
    which list the problems of a decoded object (an empty set: valid)."""
    if isinstance(raw, bytes):
        return refused("binary_frame")
    if len(raw) > conf.get("CHAT_MAX_FRAME_LENGTH"):
        return refused("frame_too_large")
    try:
        data = json.loads(raw)
    except RecursionError:
        return Verdict(refuse=ANY_CODE)
    except ValueError:
        return refused("invalid_json")
    deep = nesting(data) > DEEP
    if not isinstance(data, dict):
        return Verdict(refuse=ANY_CODE if deep else frozenset({"invalid_frame"}))
    problems = rules(data)
    if problems:
        return Verdict(refuse=ANY_CODE if deep else frozenset(problems), frame=data)
    return Verdict(refuse=None, frame=data, may_refuse=deep)


def client_id_problems(data: dict[str, Any]) -> set[str]:
    client_id = data.get("client_id")
    if client_id is None or (isinstance(client_id, str) and CLIENT_ID.fullmatch(client_id)):
        return set()
    return {"invalid_client_id"}


def text_problems(text: Any) -> set[str]:
    if not isinstance(text, str):
        return {"invalid_text"}
    text = text.strip()
    if not text:
        return {"empty_text"}
    problems = set()
    if len(text) > conf.get("CHAT_MAX_MESSAGE_LENGTH"):
        problems.add("text_too_long")
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        problems.add("invalid_text")
    return problems


def is_id(value: Any) -> bool:
    # type(), not isinstance(): true and false are not ids.
    return type(value) is int and 0 < value < 2**63


def visitor_rules(data: dict[str, Any]) -> set[str]:
    problems = client_id_problems(data)
    kind = data.get("type")
    if kind == "message":
        problems |= text_problems(data.get("text"))
    elif kind == "typing":
        if not isinstance(data.get("active"), bool):
            problems.add("invalid_frame")
    elif kind == "read":
        through = data.get("through")
        if not (isinstance(through, str) and MESSAGE_ID.fullmatch(through)):
            problems.add("invalid_message_id")
        else:
            # A fuzzed id is never one of the conversation's messages.
            problems.add("unknown_message")
    elif kind == "rate":
        problems |= rating_problems(data)
        if not problems:
            # The fuzzed conversation is never closed: nobody ends it (see frame_types).
            problems.add("not_closed")
    else:
        problems.add("unknown_type")
    return problems


def rating_problems(data: dict[str, Any]) -> set[str]:
    problems = set()
    score = data.get("score")
    if type(score) is not int or not 1 <= score <= 5:
        problems.add("invalid_score")
    comment = data.get("comment")
    if comment is None:
        return problems
    if not isinstance(comment, str):
        return problems | {"invalid_comment"}
    comment = comment.strip()
    if len(comment) > 1000:
        problems.add("comment_too_long")
    if "\x00" in comment or any("\ud800" <= char <= "\udfff" for char in comment):
        problems.add("invalid_comment")
    return problems


def agent_rules(data: dict[str, Any]) -> set[str]:
    problems = client_id_problems(data)
    action = data.get("type")
    if not (isinstance(action, str) and action in AGENT_FIELDS):
        return problems | {"unknown_type"}
    if action not in AGENT_SELF_ACTIONS and not is_id(data.get("conversation")):
        problems.add("invalid_frame")
    suggestion = data.get("suggestion")
    if suggestion is not None and not (
        isinstance(suggestion, str) and SUGGESTION_ID.fullmatch(suggestion)
    ):
        problems.add("invalid_suggestion")
    field = AGENT_FIELDS[action]
    if field == "text":
        problems |= text_problems(data.get("text"))
    if field == "active" and not isinstance(data.get("active"), bool):
        problems.add("invalid_frame")
    if field == "agent" and not is_id(data.get("agent")):
        problems.add("invalid_frame")
    return problems


# --- fuzzed inputs ----------------------------------------------------------------------------


class Ref(enum.Enum):
    """Ids known only once an example runs; resolved when the frame is sent."""

    CONVERSATION = "conversation"
    ME = "me"


@dataclass(frozen=True)
class Text:
    """A text frame, sent as it is."""

    raw: str

    def encode(self, refs: dict[Ref, int]) -> str:
        return self.raw


@dataclass(frozen=True)
class Binary:
    data: bytes

    def encode(self, refs: dict[Ref, int]) -> bytes:
        return self.data


@dataclass(frozen=True)
class Json:
    """A JSON value; ``ascii`` False sends non-ASCII (lone surrogates too) unescaped."""

    value: Any
    ascii: bool = True

    def encode(self, refs: dict[Ref, int]) -> str:
        value = self.value
        if isinstance(value, dict):
            value = {key: refs[v] if isinstance(v, Ref) else v for key, v in value.items()}
        return json.dumps(value, ensure_ascii=self.ascii)


@dataclass(frozen=True)
class Grown:
    """``template`` with FILL replaced by ``fill`` repeated: ``length`` times, or as often as
    makes the whole frame ``length`` characters long. Kept small so a failure prints whole."""

    template: str
    fill: str
    length: int
    whole_frame: bool = False

    def encode(self, refs: dict[Ref, int]) -> str:
        template = template_with_refs(self.template, refs)
        count = self.length - (len(template) - len("FILL")) if self.whole_frame else self.length
        return template.replace("FILL", self.fill * max(count, 0))


@dataclass(frozen=True)
class Deep:
    """``depth`` nested arrays (or objects), alone or as a field of an otherwise valid frame."""

    depth: int
    template: str = "FILL"
    objects: bool = False

    def encode(self, refs: dict[Ref, int]) -> str:
        if self.objects:
            nested = '{"a":' * self.depth + "0" + "}" * self.depth
        else:
            nested = "[" * self.depth + "]" * self.depth
        return template_with_refs(self.template, refs).replace("FILL", nested)


def template_with_refs(template: str, refs: dict[Ref, int]) -> str:
    for ref, value in refs.items():
        template = template.replace(f"<{ref.value}>", str(value))
    return template


SPECIAL_CHARACTERS = (
    "\x00\x01\x08\t\n\x0b\r\x1b\x1f\x7f\x85\xa0\u2028\u2029\u202e\u3000\ufeff\ufffe\uffff"
    "\ud800\udbff\udc00\udfff\U0001f600\U0010ffff\"\\'<>&%{}[]"
)
characters = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),  # lone surrogates, which st.characters() leaves out
    st.sampled_from(SPECIAL_CHARACTERS),
)
any_text = st.text(alphabet=characters, max_size=40)
json_ish_text = st.text(
    alphabet=st.sampled_from('{}[]":,0123456789.-+eEtrufalsnNI \\'), max_size=40
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)
# Mostly valid fields, so that valid frames (and what they store) are fuzzed too.
plain_texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30
)
good_client_ids = st.one_of(
    st.none(), st.sampled_from(["c-1", "c-2"]), st.from_regex(CLIENT_ID, fullmatch=True)
)
good_ids = st.integers(min_value=1, max_value=2**63 - 1)
texts = st.one_of(
    plain_texts,
    any_text,
    st.sampled_from([QUESTION, " hi ", "", "  \n\t ", "\x00", "hi\x00", "\ud800", "ok \udfff"]),
    json_values,
)
client_ids = st.one_of(
    st.sampled_from(["c-1", "c-2", "x" * 64, "x" * 65, "", " ", "a b", "é", "1"]),
    st.from_regex(CLIENT_ID, fullmatch=True),
    any_text,
    json_values,
)
actives = st.one_of(st.booleans(), st.sampled_from([0, 1, "true", None]), json_values)
# Not "end": it closes the conversation the rest of the example talks in (test_consumers
# tests ending a chat).
frame_types = st.one_of(any_text, json_values).filter(lambda kind: kind != "end")
message_ids = st.one_of(
    st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), any_text, json_values
)
scores = st.one_of(st.integers(-1, 7), st.sampled_from([1.0, 4.5, "5", True, None]), json_values)
comments = st.one_of(
    plain_texts,
    texts,
    st.sampled_from(["", "   ", "x" * 1000, " " + "x" * 1000 + " ", "x" * 1001]),
)
ids = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, 1.0, "1", True]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    any_text,
    json_values,
)
extra_fields = st.dictionaries(st.text(max_size=8), json_values, max_size=2)


def like(required: dict, optional: dict) -> st.SearchStrategy[Json]:
    """Frames with the ``required`` fields, some of the ``optional`` ones, and stray ones."""
    frames = st.builds(
        lambda extra, frame: {**extra, **frame},
        extra_fields,
        st.fixed_dictionaries(required, optional=optional),
    )
    return st.builds(Json, frames, st.booleans())


def near(limit: int, spread: int = 3) -> st.SearchStrategy[int]:
    return st.integers(min_value=limit - spread, max_value=limit + spread)


def deep_frames(templates: list[str]) -> st.SearchStrategy[Deep]:
    depths = st.one_of(st.integers(1, 100), st.integers(900, 1100), st.integers(1, MAX_FRAME))
    return st.builds(Deep, depths, st.sampled_from(["FILL", *templates]), st.booleans())


def any_frames() -> list[st.SearchStrategy]:
    """What either socket may get besides frames shaped for it."""
    return [
        any_text.map(Text),
        json_ish_text.map(Text),
        st.builds(Json, json_values, st.booleans()),
        st.binary(max_size=64).map(Binary),
        st.builds(Grown, st.just("FILL"), st.sampled_from("x{ "), near(MAX_FRAME)),
    ]


visitor_optional = {
    "text": texts,
    "client_id": client_ids,
    "active": actives,
    "through": message_ids,
    "score": scores,
    "comment": comments,
}
visitor_inputs = st.one_of(
    like({"type": st.just("message"), "text": plain_texts}, {"client_id": good_client_ids}),
    like({"type": st.just("typing"), "active": st.booleans()}, {}),
    like({"type": st.just("read"), "through": message_ids}, {"client_id": client_ids}),
    like({"type": st.just("read")}, {"through": message_ids, "client_id": client_ids}),
    like(
        {"type": st.just("rate"), "score": st.integers(1, 5)},
        {"comment": st.one_of(plain_texts, st.just("")), "client_id": good_client_ids},
    ),
    like(
        {"type": st.just("rate")}, {"score": scores, "comment": comments, "client_id": client_ids}
    ),
    like({"type": st.just("message"), "text": texts}, {"client_id": client_ids}),
    like({"type": st.just("typing")}, {"active": actives, "client_id": client_ids}),
    like({"type": frame_types}, visitor_optional),
    # A valid message padded with white space to around the frame limit.
    st.builds(
        Grown,
        st.just('{"type": "message", "client_id": "grown", "text": " hi FILL"}'),
        st.sampled_from(" \n"),
        near(MAX_FRAME),
        st.just(True),
    ),
    st.builds(
        Grown,
        st.sampled_from(
            ['{"type": "message", "text": "FILL"}', '{"type": "message", "text": "FILL  "}']
        ),
        st.sampled_from(["x", "é", "\U0001d518", " ", "\\u0000", "\\ud800"]),
        near(MAX_TEXT),
    ),
    st.builds(
        Grown,
        st.just('{"type": "typing", "active": true, "client_id": FILL}'),
        st.just("9"),
        near(MAX_INT_DIGITS),
    ),
    deep_frames(['{"type": "message", "text": "deep", "client_id": "deep", "x": FILL}']),
    *any_frames(),
)

conversation_ids = st.one_of(st.just(Ref.CONVERSATION), ids)
agent_optional = {
    "text": texts,
    "client_id": client_ids,
    "active": actives,
    "agent": st.one_of(st.just(Ref.ME), ids),
    "suggestion": st.one_of(
        st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), any_text, json_values
    ),
}
agent_inputs = st.one_of(
    like(
        {
            "type": st.sampled_from(list(AGENT_FIELDS)),
            "conversation": st.one_of(st.just(Ref.CONVERSATION), good_ids),
        },
        {
            "text": plain_texts,
            "client_id": good_client_ids,
            "active": st.booleans(),
            "agent": st.one_of(st.just(Ref.ME), good_ids),
        },
    ),
    like(
        {"type": st.sampled_from(list(AGENT_FIELDS)), "conversation": conversation_ids},
        agent_optional,
    ),
    like({"type": st.sampled_from(list(AGENT_FIELDS))}, agent_optional),
    like({"type": frame_types}, {"conversation": conversation_ids, **agent_optional}),
    st.builds(
        Grown,
        st.just('{"type": "heartbeat", "pad": "FILL"}'),
        st.sampled_from(" x"),
        near(MAX_FRAME),
        st.just(True),
    ),
    st.builds(
        Grown,
        st.just('{"type": "message", "conversation": <conversation>, "text": "FILL"}'),
        st.sampled_from(["x", "é", " ", "\\u0000"]),
        near(MAX_TEXT),
    ),
    st.builds(
        Grown,
        st.just('{"type": "open", "conversation": FILL}'),
        st.just("9"),
        st.one_of(near(19, 1), near(MAX_INT_DIGITS)),
    ),
    deep_frames(['{"type": "heartbeat", "x": FILL}', '{"type": "open", "conversation": FILL}']),
    *any_frames(),
)


# --- answers ----------------------------------------------------------------------------------

ERROR_KEYS = {"type", "code", "detail", "client_id", "conversation"}
RATE_LIMITED_KEYS = {*ERROR_KEYS, "retry_after"}
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
LEAKS = re.compile(
    r"Traceback|File \"|line \d+|\b\w*(Error|Exception|Warning)\b|<[\w.]+ object at|0x[0-9a-f]{6,}"
)


def check_error_frame(frame: dict[str, Any]) -> None:
    """An error as chat.protocol.error_frame builds it: a code and a sentence for people."""
    code, detail = frame.get("code"), frame.get("detail")
    assert set(frame) <= (RATE_LIMITED_KEYS if code == RATE_LIMITED else ERROR_KEYS), frame
    if "retry_after" in frame:
        assert type(frame["retry_after"]) is int and frame["retry_after"] > 0, frame
    assert isinstance(code, str) and re.fullmatch(r"[a-z][a-z_]*", code), frame
    assert isinstance(detail, str) and 10 <= len(detail) <= 300, frame
    assert detail.rstrip().endswith((".", "!", "?")), frame
    # What is quoted echoes the frame (its type, say); a leak is what is not.
    assert not LEAKS.search(QUOTED.sub("''", detail)), frame
    # A client_id is echoed only when it is one.
    if "client_id" in frame:
        assert isinstance(frame["client_id"], str), frame
        assert CLIENT_ID.fullmatch(frame["client_id"]), frame


class Socket:
    """One communicator and what it sent us, frame by frame, checked as it comes."""

    def __init__(self, communicator) -> None:
        self.communicator = communicator
        self.seen: list[dict[str, Any]] = []

    async def next(self, what: str) -> dict[str, Any]:
        try:
            output = await self.communicator.receive_output(TIMEOUT)
        except Exception as exc:
            raise AssertionError(f"the consumer raised (while waiting for {what})") from exc
        assert output["type"] == "websocket.send", f"the socket was closed ({what}): {output}"
        assert output.get("bytes") is None, f"a binary frame ({what}): {output}"
        frame = json.loads(output["text"])
        assert isinstance(frame, dict), f"not a JSON object ({what}): {frame!r}"
        assert isinstance(frame.get("type"), str) and frame["type"], f"no type: {frame!r}"
        if frame["type"] == "error":
            check_error_frame(frame)
        self.seen.append(frame)
        return frame

    async def send(self, raw: str | bytes) -> None:
        # Not send_to: it cannot send an empty text or binary frame.
        key = "bytes" if isinstance(raw, bytes) else "text"
        await self.communicator.send_input({"type": "websocket.receive", key: raw})

    async def answer_to(self, raw: str | bytes, what: str) -> list[dict[str, Any]]:
        """Send ``raw``, then a marker; the frames before the marker's echo."""
        marker = f"fuzz-marker.{uuid.uuid4().hex}"
        await self.send(raw)
        await self.send(json.dumps({"type": "fuzz-marker", "client_id": marker}))
        frames = []
        while True:
            frame = await self.next(what)
            if frame["type"] == "error" and frame.get("client_id") == marker:
                assert frame["code"] in {"unknown_type", RATE_LIMITED}, frame
                return frames
            frames.append(frame)

    async def close(self, *, failed: bool) -> None:
        if failed:
            # Already failing: the test's own error is the one to see.
            with contextlib.suppress(Exception):
                await self.communicator.disconnect()
        else:
            await self.communicator.disconnect()


def describe(index: int, item: Any, raw: str | bytes) -> str:
    return f"input #{index} {item!r:.300} (sent {len(raw)} {type(raw).__name__})"


def own_errors(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The errors among ``frames`` that answer the frame sent; the bot's come separately."""
    return [f for f in frames if f["type"] == "error" and f["code"] != "bot_unavailable"]


def check_refusal(verdict: Verdict, errors: list[dict[str, Any]], what: str) -> bool:
    """Whether the frame was refused, after checking the refusal is the one it deserves."""
    # For --hypothesis-show-statistics: how often each answer was fuzzed.
    answered = errors[0]["code"] if errors else "no error"
    event(f"{answered} ({'valid' if verdict.refuse is None else 'invalid'})")
    for error in errors:
        # Echoed to tell the client which of its messages failed: never another's id.
        if "client_id" in error:
            assert error["client_id"] == verdict.client_id(), f"{what}: {error}"
    if errors and errors[0]["code"] == RATE_LIMITED:
        assert len(errors) == 1, f"{what}: {errors}"
        return True
    if verdict.refuse is not None:
        assert len(errors) == 1, f"{what} deserves one error {sorted(verdict.refuse)}: {errors}"
        [error] = errors
        assert "conversation" not in error, f"{what}: {error}"
        assert not verdict.refuse or error["code"] in verdict.refuse, (
            f"{what} deserves one of {sorted(verdict.refuse)}: {error}"
        )
        return True
    # An error about a conversation answers a command that was carried out (or tried).
    if verdict.may_refuse and errors and "conversation" not in errors[0]:
        assert len(errors) == 1, f"{what}: {errors}"
        return True
    return False


# --- the visitor's socket ---------------------------------------------------------------------


@database_sync_to_async
def stored(session_key: str) -> list[tuple[str, str, str | None, str]]:
    return list(
        Message.objects.filter(conversation__session_key=session_key)
        .order_by("pk")
        .values_list("sender_role", "text", "client_id", "uid")
    )


# When written, each of these crashed the consumer: RecursionError out of json.loads. Under
# the default recursion limit of 1000, some 950 nested arrays (1,900 characters) do; Hypothesis
# runs tests with 2000 more frames allowed, hence the frames filled up to the limit here.
DEEP_EDGE_CASES = [
    Deep(MAX_FRAME // 2 - 1),
    Deep(MAX_FRAME // 6 - 1, objects=True),
    Deep(7900, '{"type": "message", "text": "deep", "client_id": "deep", "x": FILL}'),
]


@FUZZ
@given(inputs=st.lists(visitor_inputs, min_size=1, max_size=8))
@example(inputs=DEEP_EDGE_CASES)
@example(
    inputs=[
        Text(""),
        Binary(b""),
        Text("\ud800"),
        Json({"type": "message", "text": "\ud800", "client_id": "s-1"}, ascii=False),
        Json({"type": "message", "text": "a\x00b", "client_id": "n-1"}),
        Grown('{"type": "message", "text": " FILL  "}', "x", MAX_TEXT),
        Grown('{"type": "message", "text": "FILL"}', "x", MAX_TEXT + 1),
        Grown(
            '{"type": "message", "client_id": "grown", "text": " hi FILL"}', " ", MAX_FRAME, True
        ),
        Grown("FILL", "x", MAX_FRAME + 1),
        Grown('{"type": "typing", "active": true, "client_id": FILL}', "9", MAX_INT_DIGITS + 1),
        Json({"type": "message", "text": "once", "client_id": "c-1"}),
        Json({"type": "message", "text": "twice?", "client_id": "c-1"}),
        Text('{"type": "message", "text": NaN}'),
        Json({"type": ["message"], "text": "hi"}),
    ]
)
async def test_the_visitor_socket_answers_any_frames_and_keeps_working(inputs):
    session_key = await database_sync_to_async(new_session_key)()
    socket = Socket(visitor_communicator(session_key))
    connected, _ = await socket.communicator.connect()
    assert connected
    failed = True
    try:
        assert (await socket.next("the status"))["type"] == "status"
        greeting = await socket.next("the greeting")
        assert greeting["sender"]["role"] == "bot"

        posted: list[tuple[str, str | None]] = []
        for index, item in enumerate(inputs):
            raw = item.encode({})
            what = describe(index, item, raw)
            verdict = judge(raw, visitor_rules)
            frames = await socket.answer_to(raw, what)
            errors = own_errors(frames)
            if check_refusal(verdict, errors, what):
                continue
            assert not errors, f"{what} is valid: {errors}"
            if verdict.frame["type"] == "message":
                posted.append((verdict.frame["text"].strip(), verdict.frame.get("client_id")))
        assert not [f for f in socket.seen if f.get("code") == "bot_unavailable"], inputs

        # The same connection still talks to the bot.
        probe = f"probe-{uuid.uuid4().hex}"
        await socket.send(json.dumps({"type": "message", "text": QUESTION, "client_id": probe}))
        while True:
            ack = await socket.next("the probe's acknowledgement")
            if ack["type"] == "message" and ack["client_id"] == probe:
                break
        assert ack["text"] == QUESTION
        reply = await socket.next("the bot's answer to the probe")
        while not (reply["type"] == "message" and reply["sender"]["role"] == "bot"):
            reply = await socket.next("the bot's answer to the probe")
        assert reply["text"] == ISOMORPHIC_GO_ANSWER

        # Stored: the valid messages, a resend (same client_id) once, and nothing else.
        rows = await stored(session_key)
        expected, client_ids_seen = [], set()
        for text, client_id in [*posted, (QUESTION, probe)]:
            if client_id is None or client_id not in client_ids_seen:
                expected.append((text, client_id))
                client_ids_seen.add(client_id)
        assert [(text, cid) for role, text, cid, _ in rows if role == "visitor"] == expected
        if not posted:
            assert [role for role, *_ in rows] == ["bot", "visitor", "bot"]
        # Each valid message was acknowledged (a resend with the message first stored).
        acks = [
            frame
            for frame in socket.seen
            if frame["type"] == "message" and frame["sender"]["role"] == "visitor"
        ]
        assert len(acks) == len(posted) + 1
        visitor_uids = {str(uid) for role, _, _, uid in rows if role == "visitor"}
        assert {frame["id"] for frame in acks} == visitor_uids
        failed = False
    finally:
        await socket.close(failed=failed)


# --- over the rate limit ---------------------------------------------------------------------


@pytest.fixture
def one_frame_an_hour(settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 1
    settings.CHAT_RATE_LIMIT_SECONDS = 3600


@pytest.mark.usefixtures("one_frame_an_hour")
@settings(FUZZ, max_examples=60)
@given(inputs=st.lists(st.one_of(visitor_inputs, agent_inputs), min_size=1, max_size=6))
@example(inputs=DEEP_EDGE_CASES)
async def test_frames_over_the_rate_limit_are_refused_unread_whatever_they_hold(inputs):
    session_key = await database_sync_to_async(new_session_key)()
    socket = Socket(visitor_communicator(session_key))
    connected, _ = await socket.communicator.connect()
    assert connected
    failed = True
    try:
        assert (await socket.next("the status"))["type"] == "status"
        assert (await socket.next("the greeting"))["sender"]["role"] == "bot"
        # The one frame the limit lets through; its marker is already refused.
        assert not await socket.answer_to(json.dumps({"type": "typing", "active": True}), "typing")

        for index, item in enumerate(inputs):
            raw = item.encode({Ref.CONVERSATION: 1, Ref.ME: 1})
            what = describe(index, item, raw)
            verdict = judge(raw, visitor_rules)
            frames = await socket.answer_to(raw, what)
            errors = [frame for frame in frames if frame["type"] == "error"]
            assert [error["code"] for error in errors] == [RATE_LIMITED], f"{what}: {frames}"
            [error] = errors
            assert "retry_after" in error, f"{what}: {error}"
            # The page learns which of its messages to send again, if it can be read.
            sent = verdict.client_id() if verdict.frame is not None else None
            if not (isinstance(sent, str) and CLIENT_ID.fullmatch(sent)):
                sent = None
            if verdict.refuse == ANY_CODE or verdict.may_refuse:
                assert error.get("client_id") in {None, sent}, f"{what}: {error}"
            else:
                assert error.get("client_id") == sent, f"{what}: {error}"

        assert [role for role, *_ in await stored(session_key)] == ["bot"]
        failed = False
    finally:
        await socket.close(failed=failed)


# --- the staff console ------------------------------------------------------------------------


@pytest.fixture
def agent(db):
    return make_agent("fuzzy", first_name="Fuzzy", present=False)


@database_sync_to_async
def new_conversation() -> int:
    return services.conversation_open(session_key=new_session_key()).pk


@database_sync_to_async
def newest_message_pk() -> int:
    return Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@database_sync_to_async
def messages_after(pk: int) -> list[tuple[str, int, str]]:
    return list(
        Message.objects.filter(pk__gt=pk)
        .order_by("pk")
        .values_list("sender_role", "conversation_id", "text")
    )


@FUZZ
@given(inputs=st.lists(agent_inputs, min_size=1, max_size=8))
@example(
    inputs=[
        *DEEP_EDGE_CASES[:2],
        Deep(7900, '{"type": "open", "conversation": FILL}'),
        Deep(7900, '{"type": "heartbeat", "x": FILL}'),
    ]
)
@example(
    inputs=[
        Json({"type": "open", "conversation": 987654321}),
        Json({"type": "open", "conversation": -1}),
        Json({"type": "open", "conversation": 2**63 - 1}),
        Json({"type": "open", "conversation": 2**63}),
        Json({"type": "open", "conversation": "1"}),
        Json({"type": "take", "conversation": True}),
        Json({"type": "transfer", "conversation": Ref.CONVERSATION, "agent": Ref.ME}),
        Json({"type": "take", "conversation": Ref.CONVERSATION, "client_id": "t-1"}),
        Json(
            {"type": "message", "conversation": Ref.CONVERSATION, "text": " hi ", "client_id": "m"}
        ),
        Json(
            {"type": "message", "conversation": Ref.CONVERSATION, "text": "again", "client_id": "m"}
        ),
        Json({"type": "message", "conversation": Ref.CONVERSATION, "text": "\ud800"}),
        Json({"type": "close", "conversation": Ref.CONVERSATION}),
        Json({"type": "accepting", "active": "no"}),
        Json({"type": "message", "conversation": 1, "text": "hi", "suggestion": "not-an-id"}),
        Grown('{"type": "open", "conversation": FILL}', "9", MAX_INT_DIGITS + 1),
        Binary(b"\xff"),
    ]
)
async def test_the_staff_console_answers_any_frames_and_keeps_working(agent, inputs):
    conversation, probe = await new_conversation(), await new_conversation()
    refs = {Ref.CONVERSATION: conversation, Ref.ME: agent.pk}
    before = await newest_message_pk()
    socket = Socket(await database_sync_to_async(staff_communicator)(agent))
    connected, _ = await socket.communicator.connect()
    assert connected
    failed = True
    try:
        assert [(await socket.next("the snapshot"))["type"] for _ in range(3)] == [
            "hello",
            "presence",
            "conversations",
        ]

        posted: set[tuple[int, str]] = set()
        for index, item in enumerate(inputs):
            raw = item.encode(refs)
            what = describe(index, item, raw)
            verdict = judge(raw, agent_rules)
            frames = await socket.answer_to(raw, what)
            errors = own_errors(frames)
            if check_refusal(verdict, errors, what):
                continue
            command = verdict.frame
            target = (
                command.get("conversation") if command["type"] not in AGENT_SELF_ACTIONS else None
            )
            # A command the chat cannot carry out is told so, about its conversation.
            assert len(errors) <= 1, f"{what}: {errors}"
            for error in errors:
                assert error["code"] in ACTION_CODES, f"{what}: {error}"
                assert error.get("conversation") == target, f"{what}: {error}"
            if command["type"] == "open":
                opened = [f for f in frames if f["type"] == "opened"]
                assert bool(errors) != bool(opened), f"{what}: {frames}"
                assert all(f["conversation"]["id"] == target for f in opened), f"{what}: {opened}"
            if command["type"] == "message" and not errors:
                posted.add((target, command["text"].strip()))

        # The same console still works: a heartbeat, then a conversation opens.
        frames = await socket.answer_to(json.dumps({"type": "heartbeat"}), "the heartbeat")
        assert not own_errors(frames), frames
        frames = await socket.answer_to(
            json.dumps({"type": "open", "conversation": probe}), "the probe's open"
        )
        assert [f["conversation"]["id"] for f in frames if f["type"] == "opened"] == [probe]
        assert not own_errors(frames), frames

        # Stored: only the agent's valid messages (and notices of what the commands did).
        added = await messages_after(before)
        assert not [row for row in added if row[0] == "visitor"], added
        assert {(cid, text) for role, cid, text in added if role == "agent"} <= posted
        failed = False
    finally:
        await socket.close(failed=failed)
