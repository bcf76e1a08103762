"""Sessions start with one random draw and no lookup (chatsite/sessions.py)."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatsite import sessions
from chatsite.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_new_session_is_one_insert_under_a_key_django_accepts():
    session = SessionStore()
    session["chat_visitor"] = True
    with CaptureQueriesContext(connection) as queries:
        session.save()
    assert re.fullmatch(r"[0-9a-f]{32}", session.session_key)
    assert [
        q["sql"].split()[0] for q in queries.captured_queries if "django_session" in q["sql"]
    ] == ["INSERT"]
    assert SessionStore(session.session_key).load() == {"chat_visitor": True}


def test_a_key_already_taken_is_drawn_again(monkeypatch):
    taken = SessionStore()
    taken["chat_visitor"] = True
    taken.save()
    draws = iter([taken.session_key, "f" * 32])
    monkeypatch.setattr(sessions.secrets, "token_hex", lambda n: next(draws))
    session = SessionStore()
    session["chat_visitor"] = True
    session.save()
    assert session.session_key == "f" * 32
    assert Session.objects.count() == 2
