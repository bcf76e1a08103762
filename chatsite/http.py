"""The site's HTTP under daphne: Django's WSGI handler, in a pool of threads of its own.

Every view of the site is synchronous. Django's ASGI handler gives each request a new thread
(its ``ThreadSensitiveContext``), with it a new database connection, and hops between the
event loop and that thread around each middleware that is only synchronous (WhiteNoise's):
measured here, 2.4 ms of CPU for the smallest JSON view and 4.9 ms for a product page. Run as
WSGI (asgiref's ``WsgiToAsgi``) in threads that last, the same requests take 0.9 and 2.4 ms,
and each thread keeps its SQLite connection (``CONN_MAX_AGE``) or borrows one from the
PostgreSQL pool. The pool is the pages' own: a slow page neither waits for nor holds up the
thread where the chat's sockets do their database work.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from asgiref.wsgi import WsgiToAsgi, WsgiToAsgiInstance

# asgiref's own body of run_wsgi_app, which it runs in the thread of the sockets' database
# work (thread-sensitive); here it runs in the pages' pool instead.
_run_wsgi_app = WsgiToAsgiInstance.__dict__["run_wsgi_app"].func


class _Request(WsgiToAsgiInstance):
    def __init__(self, wsgi_application: Any, executor: ThreadPoolExecutor) -> None:
        super().__init__(wsgi_application)
        self.executor = executor

    def build_environ(self, scope: dict[str, Any], body: Any) -> dict[str, Any]:
        environ = super().build_environ(scope, body)
        if "CONTENT_LENGTH" not in environ:
            # A chunked body has come whole: say how long, or Django would read none of it.
            body.seek(0, os.SEEK_END)
            size = body.tell()
            body.seek(0)
            if size:
                environ["CONTENT_LENGTH"] = str(size)
        return environ

    async def run_wsgi_app(self, body: Any) -> None:
        await sync_to_async(_run_wsgi_app, thread_sensitive=False, executor=self.executor)(
            self, body
        )


class WsgiInThreads(WsgiToAsgi):
    """An ASGI application serving a WSGI one from ``threads`` threads that last."""

    def __init__(self, wsgi_application: Any, *, threads: int) -> None:
        super().__init__(wsgi_application)
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await _Request(self.wsgi_application, self.executor)(scope, receive, send)
