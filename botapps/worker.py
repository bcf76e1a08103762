"""Who works off the webhook queue (botapps.tasks), and the sweep every such worker runs.

On Redis, ``manage.py rundramatiq`` (its own service) does. Without Redis the queue is
Dramatiq's in-memory StubBroker, which only the process that fills it can work off: the
server starts a small ``dramatiq.Worker`` of its own (CHAT_WEBHOOK_IN_PROCESS_WORKER), so
that ``runserver`` needs no other process.

Nothing here touches models at import time: the settings' DRAMATIQ_BROKER names
``DeliverySweeper``, and django_dramatiq builds the broker while apps are still loading.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

import dramatiq
from django.db import connection

from . import conf

logger = logging.getLogger(__name__)

# The in-process worker: enough threads that one bot app that times out does not hold up
# the others, few enough to leave the server its CPU.
IN_PROCESS_THREADS = 4
# How often (ms) its idle threads look for due retries: retries come this late at most.
IN_PROCESS_POLL_MS = 100
# Seconds a stopping server waits for POSTs under way; what is cut off, the sweep resends.
STOP_TIMEOUT_MS = 10_000
# Seconds between sweeps for deliveries that lost their queue message.
SWEEP_INTERVAL_SECONDS = 30.0


class DeliverySweeper(dramatiq.Middleware):
    """Every worker sweeps (botapps.delivery.deliveries_sweep) when it boots and then every
    SWEEP_INTERVAL_SECONDS, in a daemon thread that ends with the worker. Listed in the
    settings' DRAMATIQ_BROKER, so rundramatiq's processes and the in-process worker both
    have it; processes that only send messages never boot a worker and never sweep."""

    def __init__(self, *, interval: float = SWEEP_INTERVAL_SECONDS, grace: float | None = None):
        self.interval = interval
        self.grace = grace
        self._stops: dict[int, tuple[threading.Event, threading.Thread]] = {}

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        stop = threading.Event()
        thread = threading.Thread(
            target=self._sweep_until, args=(stop,), name="webhook-sweeper", daemon=True
        )
        self._stops[id(worker)] = (stop, thread)
        thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        stop, thread = self._stops.pop(id(worker), (None, None))
        if stop is not None:
            stop.set()
            thread.join(timeout=10)

    def _sweep_until(self, stop: threading.Event) -> None:
        from . import delivery

        grace = delivery.SWEEP_GRACE_SECONDS if self.grace is None else self.grace
        while not stop.is_set():
            try:
                delivery.deliveries_sweep(grace_seconds=grace)
            except Exception:
                # A database that is restarting must not end the sweeping for good.
                logger.exception("Webhook sweep failed")
            finally:
                # This thread's own connection: back to the pool, or closed, between sweeps.
                connection.close()
            stop.wait(self.interval)


# --- the in-process worker --------------------------------------------------------------------

_worker: dramatiq.Worker | None = None
_lock = threading.Lock()


def in_process_worker_start() -> dramatiq.Worker | None:
    """Start this process's webhook worker if CHAT_WEBHOOK_IN_PROCESS_WORKER says so and
    it is not running yet; the worker, or None."""
    global _worker
    if not conf.get("CHAT_WEBHOOK_IN_PROCESS_WORKER"):
        return None
    from . import tasks

    with _lock:
        if _worker is None:
            worker = dramatiq.Worker(
                dramatiq.get_broker(),
                queues={tasks.QUEUE},
                worker_threads=IN_PROCESS_THREADS,
                worker_timeout=IN_PROCESS_POLL_MS,
            )
            worker.start()
            _worker = worker
            logger.info("Webhook worker started in this process (%d threads)", IN_PROCESS_THREADS)
        return _worker


def in_process_worker_stop(timeout_ms: int = STOP_TIMEOUT_MS) -> None:
    """Stop this process's webhook worker, letting POSTs under way finish first."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.stop(timeout=timeout_ms)
        logger.info("Webhook worker of this process stopped")


def run_with_daphne() -> None:
    """Have the in-process worker run while daphne serves: started when daphne's Twisted
    reactor starts (``daphne`` and ``manage.py runserver``), stopped before it stops.

    Daphne speaks no ASGI lifespan; its reactor is the sign of a serving process. Only
    a server runs it: ``manage.py migrate`` or ``shell``, rundramatiq and the tests import
    the application without ever starting one, so they start no worker.
    """
    try:
        import daphne.server  # noqa: F401  (installs the reactor daphne runs on)
        from twisted.internet import reactor
    except ImportError:  # pragma: no cover  (daphne is a requirement)
        return
    pid = os.getpid()

    def start() -> None:
        # A child forked from this process (a test's live server) inherits the reactor's
        # start-up calls, not the decision to run a worker.
        if os.getpid() == pid:
            in_process_worker_start()

    reactor.callWhenRunning(start)
    reactor.addSystemEventTrigger("before", "shutdown", in_process_worker_stop)
    # runserver's autoreloader ends the process without stopping the reactor.
    atexit.register(in_process_worker_stop)
