"""The site's HTTP under daphne: Django's WSGI handler in a pool of threads (chatsite/http.py)."""

from __future__ import annotations

import json
import threading

import pytest
from asgiref.testing import ApplicationCommunicator

from chatsite.http import WsgiInThreads

pytestmark = pytest.mark.asyncio


def echo(environ, start_response):
    """A WSGI application that says what it got, and in which thread."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json")])
    answer = {"body": body.decode(), "thread": threading.current_thread().name}
    return [json.dumps(answer).encode()]


async def request(app, *chunks: bytes, headers=()) -> dict:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "headers": list(headers),
    }
    communicator = ApplicationCommunicator(app, scope)
    for n, chunk in enumerate(chunks):
        await communicator.send_input(
            {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        )
    start = await communicator.receive_output(5)
    assert start["status"] == 200
    body = b""
    while True:
        message = await communicator.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            return json.loads(body)


async def test_a_request_runs_in_the_pages_own_threads():
    app = WsgiInThreads(echo, threads=2)
    answer = await request(app, b"hi", headers=[(b"content-length", b"2")])
    assert answer == {"body": "hi", "thread": answer["thread"]}
    # Not asgiref's one thread for sync work, where the sockets do their database work.
    assert answer["thread"].startswith("http")


async def test_a_chunked_body_arrives_whole():
    app = WsgiInThreads(echo, threads=2)
    answer = await request(app, b"name=Ana&", b"text=hello")
    assert answer["body"] == "name=Ana&text=hello"
