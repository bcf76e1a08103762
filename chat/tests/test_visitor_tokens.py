import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing

from chat import visitor_tokens
from chat.visitor_tokens import InvalidToken, session_key_of, token_in_query, token_issue

KEY = "0123456789abcdef0123456789abcdef"


def test_a_token_names_its_session():
    assert session_key_of(token=token_issue(session_key=KEY)) == KEY


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token.replace(KEY, "f" * 32),  # another visitor's key, same signature
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature altered
        lambda token: KEY,  # the bare key
        lambda token: "",
        lambda token: "not a token at all",
    ],
    ids=["other-key", "signature", "bare-key", "empty", "garbage"],
)
def test_an_altered_or_made_up_token_is_refused(alter):
    with pytest.raises(InvalidToken):
        session_key_of(token=alter(token_issue(session_key=KEY)))


def test_a_value_signed_for_something_else_is_no_token():
    # Same SECRET_KEY, another salt (a signed cookie, say): never accepted as a visitor.
    other = signing.TimestampSigner(salt="something.else").sign(KEY)
    with pytest.raises(InvalidToken):
        session_key_of(token=other)


def test_a_token_expires_after_the_session_cookie_s_age(settings, monkeypatch):
    settings.SESSION_COOKIE_AGE = 3600
    token = token_issue(session_key=KEY)
    issued = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: issued + 3599)
    assert session_key_of(token=token) == KEY
    monkeypatch.setattr(signing.time, "time", lambda: issued + 3602)
    with pytest.raises(InvalidToken):
        session_key_of(token=token)


@pytest.mark.django_db
def test_a_new_session_is_stored_before_its_token_is_issued():
    session = SessionStore()
    session["chat_visitor"] = True
    token = visitor_tokens.token_for_session(session=session)
    key = session_key_of(token=token)
    assert SessionStore(key).load() == {"chat_visitor": True}
    # Stored once: nothing left for the middleware to write.
    assert not session.modified


@pytest.mark.django_db
def test_a_known_session_gets_a_fresh_token_for_the_same_key(monkeypatch):
    session = SessionStore()
    session["chat_visitor"] = True
    session.save()
    first = visitor_tokens.token_for_session(session=session)
    later = time.time() + 10
    monkeypatch.setattr(signing.time, "time", lambda: later)
    second = visitor_tokens.token_for_session(session=SessionStore(session.session_key))
    assert second != first
    assert session_key_of(token=first) == session_key_of(token=second) == session.session_key


@pytest.mark.parametrize(
    ("query", "token"),
    [
        (b"", None),
        (b"page=%2Fproducts%2F&product=3", None),
        (b"token=abc%3A123", "abc:123"),
        (b"page=%2F&token=abc", "abc"),
        (b"token=", ""),
        (b"token", ""),
        (b"\xff=1", None),
    ],
)
def test_a_socket_s_token_is_read_from_its_query_string(query, token):
    assert token_in_query(query) == token
