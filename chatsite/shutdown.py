"""A server told to stop (SIGTERM on a deploy) lets the sockets' database work finish first.

Consumers write in asgiref's sync thread (``database_sync_to_async``), and what a write
announces goes back through the event loop (``async_to_sync``, chat.realtime). Daphne, told
to stop, cancels every connection's application and stops the loop at once. Work still in
the sync thread then waits for a loop that never runs again, and the process hangs until
its supervisor kills it: a console closed a moment before the stop was enough.

So a stopping server first waits, for at most ``DRAIN_SECONDS``, until the sync thread has
done what it was given, with the loop still running. What a cancelled connection had not
yet started is not started.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars

from asgiref.sync import sync_to_async

# Longer than any one write the sockets make; a supervisor's own stop timeout is longer.
DRAIN_SECONDS = 5.0


def _nothing() -> None:
    pass


async def sync_thread_drain(*, timeout: float = DRAIN_SECONDS) -> None:
    """Return once the sync thread has finished the work queued before this call."""
    # The one thread database_sync_to_async runs in runs its work in order: once this
    # no-op has run, everything queued before it has.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sync_to_async(_nothing, thread_sensitive=True)(), timeout)


def sync_thread_drain_task() -> asyncio.Task:
    """``sync_thread_drain`` as a task on the running loop, in a context of its own.

    A reactor's timer may carry the context of a socket's call into the sync thread, and
    asgiref refuses a second call from that context as a deadlock; the drain is no such call.
    """
    loop = asyncio.get_running_loop()
    return loop.create_task(sync_thread_drain(), context=contextvars.Context())


def drain_before_daphne_stops() -> None:
    """Have Daphne's Twisted reactor drain the sync thread before it shuts down.

    Only a serving process runs the reactor; ``manage.py`` commands and the tests import
    the application without starting one, and nothing happens for them.
    """
    try:
        import daphne.server  # noqa: F401  (installs the reactor daphne runs on)
        from twisted.internet import defer, reactor
    except ImportError:  # pragma: no cover  (daphne is a requirement)
        return

    def before_shutdown() -> defer.Deferred:
        return defer.Deferred.fromFuture(sync_thread_drain_task())

    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
