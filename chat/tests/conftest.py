import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from chatsite.asgi import application


def new_session_key() -> str:
    session = SessionStore()
    session["chat_visitor"] = True
    session.save()
    return session.session_key


def visitor_communicator(
    session_key: str | None, *, origin: str = "http://localhost", path: str = "/ws/chat/"
):
    headers = [(b"origin", origin.encode())]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.fixture
def session_key(db) -> str:
    return new_session_key()
