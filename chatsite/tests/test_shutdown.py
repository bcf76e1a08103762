"""A stopping server lets the sockets' database work under way finish (chatsite/shutdown.py).

Daphne's own stop is checked by every test that runs a server: ServerProcess.stop fails a
test whose server outlives its SIGTERM.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from chatsite import shutdown

pytestmark = pytest.mark.asyncio


def _work_that_announces(done: list[str]):
    """A socket's write: slow in the sync thread, then announced through the event loop."""

    async def announce() -> None:
        await asyncio.sleep(0)

    def work() -> None:
        time.sleep(0.2)
        async_to_sync(announce)()
        done.append("announced")

    return work


async def test_the_drain_returns_once_the_work_queued_before_it_is_done():
    done: list[str] = []
    write = asyncio.ensure_future(
        sync_to_async(_work_that_announces(done), thread_sensitive=True)()
    )
    await asyncio.sleep(0)  # the socket's write is under way
    await shutdown.sync_thread_drain(timeout=5)
    assert done == ["announced"]
    await write


async def test_the_drain_runs_from_the_context_of_a_call_into_the_sync_thread():
    done: list[str] = []
    drains: list[asyncio.Task] = []

    async def from_the_loop() -> None:
        # Here asgiref marks the context as inside a call to the sync thread, as a
        # reactor's timer scheduled from such a call may be.
        drains.append(shutdown.sync_thread_drain_task())

    def socket_write() -> None:
        async_to_sync(from_the_loop)()

    await sync_to_async(socket_write, thread_sensitive=True)()
    await sync_to_async(_work_that_announces(done), thread_sensitive=True)()
    await drains[0]  # raises asgiref's "would deadlock" if it ran in the inherited context
    assert done == ["announced"]
