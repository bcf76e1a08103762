"""Webhook delivery (botapps.delivery) against a real HTTP server on a local socket: what is
sent, retries and their backoff, time-outs, refused connections, the claim that keeps two
workers from POSTing at once, the sweep, and the Dramatiq actor run by a real worker on the
configured broker (the StubBroker, or Redis when REDIS_URL is set, as in CI)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from botapps import credentials, delivery, tasks, worker
from botapps.delivery import Outcome
from botapps.models import BotApp, WebhookAttempt, WebhookDelivery
from testsupport.harness import free_port, require_concurrent_writers, run_at_once

Status = WebhookDelivery.Status
SECRET = "test-signing-secret"
MESSAGE_RESOURCE = {"id": "0b6c", "chat_id": 7, "message": "Do you ship to Mars?"}


# --- a bot app's endpoint ---------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class BotServer:
    """A bot app's webhook endpoint on a real socket: answers as it is told (``answers`` in
    order, then ``default``) and records every request."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.default = Answer()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with bot._lock:
                    bot.received.append(Received(dict(self.headers), body, time.monotonic()))
                    answer = bot.answers.pop(0) if bot.answers else bot.default
                time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            block_on_close = False

            def handle_error(self, request, client_address) -> None:
                pass  # the client gave up waiting (a time-out test): nothing to see

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"
        # shutdown() waits for serve_forever's next poll: 0.5 s a test by default.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"{len(self.received)} of {count} webhooks came"
        return self.received

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def bot_server():
    server = BotServer()
    yield server
    server.close()


def signature_valid(header: str, body: bytes, secret: str = SECRET) -> bool:
    """What a bot app does with X-Chat-Signature: recompute it over the body it got."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


# --- rows -------------------------------------------------------------------------------------


def make_app(url: str, *, name: str = "Helper", is_active: bool = True) -> BotApp:
    user = get_user_model().objects.create_user(f"bot-{uuid.uuid4().hex[:8]}")
    return BotApp.objects.create(
        name=name,
        user=user,
        webhook_url=url,
        signing_secret=SECRET,
        api_key_digest=credentials.api_key_digest("cbk_test"),
        is_active=is_active,
    )


def make_delivery(app: BotApp, **fields) -> WebhookDelivery:
    fields.setdefault("event", WebhookDelivery.Event.MEMBER_MESSAGE)
    fields.setdefault("resource", MESSAGE_RESOURCE)
    return WebhookDelivery.objects.create(app=app, **fields)


def make_due(delivery_row: WebhookDelivery) -> None:
    """Let the time of its next attempt come."""
    WebhookDelivery.objects.filter(pk=delivery_row.pk).update(next_attempt_at=timezone.now())


@pytest.fixture
def sent(monkeypatch) -> list[tuple[tuple, int | None]]:
    """Queue messages the code sends, captured instead of sent: (args, delay in ms)."""
    captured: list[tuple[tuple, int | None]] = []

    def send_with_options(*, args=(), delay=None, **options):
        captured.append((args, delay))

    monkeypatch.setattr(tasks.webhook_deliver, "send_with_options", send_with_options)
    return captured


@pytest.fixture
def quick(settings):
    settings.CHAT_WEBHOOK_TIMEOUT = 0.5
    settings.CHAT_WEBHOOK_RETRY_DELAY = 2.0
    settings.CHAT_WEBHOOK_MAX_RETRY_DELAY = 60.0
    settings.CHAT_WEBHOOK_MAX_ATTEMPTS = 4
    return settings


# --- one attempt ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_delivery_is_posted_signed_with_a_fresh_token_and_marked_delivered(bot_server, sent):
    app = make_app(bot_server.url)
    row = make_delivery(app)

    assert delivery.delivery_attempt(row.pk) is Outcome.DELIVERED

    [request] = bot_server.received
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-chat-event"] == "member_message"
    assert headers["x-chat-delivery"] == str(row.uid)
    assert signature_valid(headers["x-chat-signature"], request.body)
    signed_at = int(dict(p.split("=") for p in headers["x-chat-signature"].split(","))["t"])
    assert abs(signed_at - time.time()) < 5
    body = request.json
    assert body["delivery_id"] == str(row.uid)
    assert body["event"] == "member_message"
    assert body["resource_type"] == "message"
    assert body["resource"] == MESSAGE_RESOURCE
    assert body["timestamp"] == row.created_at.isoformat()
    auth = body["app_user_auth"]
    assert (auth["token_type"], auth["user_id"], auth["expires_in"]) == ("Bearer", app.user_id, 900)
    assert credentials.access_token_claims(auth["access_token"]) == (app.pk, app.token_generation)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.locked_until) == (
        Status.DELIVERED,
        1,
        "",
        None,
    )
    assert row.delivered_at is not None
    [attempt] = row.attempt_log.all()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert sent == []  # nothing left to do


@pytest.mark.django_db
def test_conversation_events_say_so(bot_server, sent):
    app = make_app(bot_server.url)
    row = make_delivery(app, event="pending_conversation", resource={"id": 3, "state": "waiting"})
    assert delivery.delivery_attempt(row.pk) is Outcome.DELIVERED
    body = bot_server.received[0].json
    assert (body["event"], body["resource_type"], body["resource"]["id"]) == (
        "pending_conversation",
        "conversation",
        3,
    )


@pytest.mark.django_db
def test_a_500_is_retried_after_the_backoff_under_the_same_id_with_a_new_token(
    bot_server, sent, quick, monkeypatch
):
    bot_server.answers = [Answer(500, body=b"Internal error:\n  database down")]
    row = make_delivery(make_app(bot_server.url))

    before = timezone.now()
    assert delivery.delivery_attempt(row.pk) is Outcome.RETRY
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.last_error == "HTTP 500 Internal Server Error: Internal error: database down"
    # The first retry comes after CHAT_WEBHOOK_RETRY_DELAY (2 s), give or take the jitter.
    wait = (row.next_attempt_at - before).total_seconds()
    assert 2 * (1 - delivery.JITTER) - 0.1 <= wait <= 2 * (1 + delivery.JITTER) + 0.5
    [(args, delay_ms)] = sent
    assert args == (row.pk,)
    assert 1800 <= delay_ms <= 2200
    # Not due yet: a message that comes now does nothing.
    assert delivery.delivery_attempt(row.pk) is Outcome.SKIPPED
    assert len(bot_server.received) == 1

    # A second later (tokens are stamped to the second), the retry.
    real_time = time.time
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() + 5)
    make_due(row)
    assert delivery.delivery_attempt(row.pk) is Outcome.DELIVERED

    first, second = bot_server.received
    assert first.json["delivery_id"] == second.json["delivery_id"] == str(row.uid)
    assert first.headers["X-Chat-Delivery"] == second.headers["X-Chat-Delivery"]
    tokens = [r.json["app_user_auth"]["access_token"] for r in (first, second)]
    assert tokens[0] != tokens[1]
    assert all(credentials.access_token_claims(token) for token in tokens)
    assert all(signature_valid(r.headers["X-Chat-Signature"], r.body) for r in (first, second))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.DELIVERED, 2, "")
    assert [(a.number, a.status_code) for a in row.attempt_log.all()] == [(1, 500), (2, 200)]
    assert row.attempt_log.first().error.startswith("HTTP 500")


def test_the_backoff_doubles_up_to_the_longest_delay_with_jitter(settings):
    settings.CHAT_WEBHOOK_RETRY_DELAY = 1.0
    settings.CHAT_WEBHOOK_MAX_RETRY_DELAY = 600.0
    assert [delivery.retry_delay(n, rand=0.5) for n in range(1, 12)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        600,
    ]
    assert delivery.retry_delay(3, rand=0.0) == pytest.approx(4 * 0.9)
    assert delivery.retry_delay(3, rand=0.999999) == pytest.approx(4 * 1.1, rel=1e-5)
    # Never past the longest, even with jitter; never overflowing after many manual retries.
    assert delivery.retry_delay(11, rand=0.999999) == 600
    assert delivery.retry_delay(5000) <= 600
    delays = {delivery.retry_delay(4) for _ in range(50)}
    assert len(delays) > 1 and all(7.2 <= d <= 8.8 for d in delays)


@pytest.mark.django_db
def test_a_bot_app_that_does_not_answer_in_time_is_retried(bot_server, sent, quick):
    bot_server.default = Answer(200, delay=1.5)
    row = make_delivery(make_app(bot_server.url))

    started = time.monotonic()
    assert delivery.delivery_attempt(row.pk) is Outcome.RETRY
    assert time.monotonic() - started < 1.4  # gave up at CHAT_WEBHOOK_TIMEOUT (0.5 s)
    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.last_error == "No answer within 0.5 s (time-out)."
    [attempt] = row.attempt_log.all()
    assert attempt.status_code is None
    assert 450 <= attempt.duration_ms < 1400
    assert len(sent) == 1


@pytest.mark.django_db
def test_a_refused_connection_is_retried(sent, quick):
    row = make_delivery(make_app(f"http://127.0.0.1:{free_port()}/hooks"))
    assert delivery.delivery_attempt(row.pk) is Outcome.RETRY
    row.refresh_from_db()
    assert row.last_error == "Could not connect: [Errno 111] Connection refused"
    assert row.attempt_log.get().status_code is None
    assert len(sent) == 1


@pytest.mark.django_db
def test_redirects_are_not_followed(bot_server, sent, quick):
    bot_server.default = Answer(302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    row = make_delivery(make_app(bot_server.url))
    assert delivery.delivery_attempt(row.pk) is Outcome.RETRY
    row.refresh_from_db()
    assert row.last_error.startswith("HTTP 302 Found (redirects are not followed; Location: ")
    assert len(bot_server.received) == 1


@pytest.mark.django_db
def test_after_the_last_attempt_a_delivery_fails(bot_server, sent, quick):
    bot_server.default = Answer(503, body=b"x" * 5000)
    row = make_delivery(make_app(bot_server.url))

    outcomes = []
    for _ in range(4):  # CHAT_WEBHOOK_MAX_ATTEMPTS
        outcomes.append(delivery.delivery_attempt(row.pk))
        make_due(row)
    assert outcomes == [Outcome.RETRY] * 3 + [Outcome.FAILED]
    assert delivery.delivery_attempt(row.pk) is Outcome.SKIPPED
    assert len(bot_server.received) == 4
    assert len(sent) == 3  # no retry after the last

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 4)
    # Of the body only an excerpt is kept.
    assert (
        row.last_error == "HTTP 503 Service Unavailable: " + "x" * delivery.RESPONSE_EXCERPT_BYTES
    )
    assert [a.number for a in row.attempt_log.all()] == [1, 2, 3, 4]
    assert all(len(a.error) <= 500 for a in row.attempt_log.all())


@pytest.mark.django_db
def test_an_inactive_app_gets_nothing_and_the_delivery_fails(bot_server, sent):
    row = make_delivery(make_app(bot_server.url, is_active=False))
    assert delivery.delivery_attempt(row.pk) is Outcome.FAILED
    assert bot_server.received == []
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 0)
    assert row.last_error == "Not sent: the bot app is inactive."
    assert not row.attempt_log.exists()


@pytest.mark.django_db
def test_a_deleted_app_and_its_deliveries_are_gone(bot_server, sent):
    app = make_app(bot_server.url)
    row = make_delivery(app)
    app.delete()
    assert delivery.delivery_attempt(row.pk) is Outcome.SKIPPED
    assert bot_server.received == []


@pytest.mark.django_db
def test_a_claimed_delivery_is_not_posted_again_until_its_claim_expires(bot_server, sent):
    row = make_delivery(make_app(bot_server.url))
    # Another worker is POSTing it.
    WebhookDelivery.objects.filter(pk=row.pk).update(
        locked_until=timezone.now() + timedelta(seconds=30)
    )
    assert delivery.delivery_attempt(row.pk) is Outcome.SKIPPED
    assert bot_server.received == []
    # That worker died: its claim runs out, and the delivery is anybody's again.
    WebhookDelivery.objects.filter(pk=row.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert delivery.delivery_attempt(row.pk) is Outcome.DELIVERED
    assert delivery.delivery_attempt(row.pk) is Outcome.SKIPPED
    assert len(bot_server.received) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_racing_for_one_delivery_post_it_once(bot_server, sent):
    """Eight workers (threads, each with its own database connection) get the same
    delivery at once, from a sweep and a retry, say: one claims it and POSTs."""
    require_concurrent_writers()
    bot_server.default = Answer(200, delay=0.3)
    row = make_delivery(make_app(bot_server.url))
    outcomes: list[Outcome] = []

    assert run_at_once(lambda _: outcomes.append(delivery.delivery_attempt(row.pk)), range(8)) == []
    assert sorted(outcomes) == sorted([Outcome.DELIVERED] + [Outcome.SKIPPED] * 7)
    assert len(bot_server.received) == 1
    assert WebhookAttempt.objects.filter(delivery=row).count() == 1


# --- the queue and the sweep ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_queues_again_what_lost_its_message(bot_server, sent):
    app = make_app(bot_server.url)
    long_ago = timezone.now() - timedelta(minutes=5)
    lost = make_delivery(app, next_attempt_at=long_ago)
    abandoned = make_delivery(  # its worker died mid-POST
        app, next_attempt_at=long_ago, locked_until=timezone.now() - timedelta(seconds=1)
    )
    make_delivery(  # a worker is on it
        app, next_attempt_at=long_ago, locked_until=timezone.now() + timedelta(seconds=30)
    )
    make_delivery(app)  # just committed: its message is on its way
    make_delivery(app, next_attempt_at=long_ago, status=Status.DELIVERED)
    make_delivery(app, next_attempt_at=long_ago, status=Status.FAILED)

    assert sorted(delivery.deliveries_sweep(grace_seconds=60)) == sorted([lost.pk, abandoned.pk])
    assert sorted(args[0] for args, _ in sent) == sorted([lost.pk, abandoned.pk])
    # Not again at every sweep while the queue works through them.
    assert delivery.deliveries_sweep(grace_seconds=60) == []
    assert len(sent) == 2


@pytest.mark.django_db
def test_enqueueing_with_the_broker_down_does_not_raise(monkeypatch, caplog):
    # A Redis broker on a port where nothing listens.
    down = RedisBroker(url=f"redis://127.0.0.1:{free_port()}/0", namespace="test-down")
    monkeypatch.setattr(tasks.webhook_deliver, "broker", down)
    with caplog.at_level(logging.WARNING, logger="botapps.delivery"):
        delivery.deliveries_enqueue([1, 2, 3])
    assert "Webhook queue unavailable: 3 deliveries left to the sweep" in caplog.text


@pytest.mark.django_db
def test_retry_now_makes_failed_and_pending_deliveries_due_and_queues_them(
    bot_server, sent, django_capture_on_commit_callbacks
):
    app = make_app(bot_server.url)
    later = timezone.now() + timedelta(hours=1)
    failed = make_delivery(app, status=Status.FAILED, attempts=8, last_error="HTTP 500")
    waiting = make_delivery(app, attempts=3, next_attempt_at=later)
    busy = make_delivery(app, locked_until=later)
    done = make_delivery(app, status=Status.DELIVERED, attempts=1)

    ids = [failed.pk, waiting.pk, busy.pk, done.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.deliveries_retry_now(ids) == 2
    assert sorted(args[0] for args, _ in sent) == sorted([failed.pk, waiting.pk])
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 8)  # attempts kept
    # Its attempts were used up: one more, and it has failed again.
    bot_server.default = Answer(500)
    assert delivery.delivery_attempt(failed.pk) is Outcome.FAILED
    bot_server.default = Answer(200)
    assert delivery.delivery_attempt(waiting.pk) is Outcome.DELIVERED


# --- a real Dramatiq worker on the configured broker ------------------------------------------


@pytest.fixture
def dramatiq_worker(monkeypatch):
    """A real dramatiq.Worker on the configured broker (the StubBroker, or Redis when
    REDIS_URL is set), on a Redis namespace of its own so that no other worker on the
    machine takes its messages. The broker's middleware (the sweeper) comes with it.

    One worker thread: the in-memory SQLite test database refuses concurrent writers
    ("database table is locked") where a real one would make them wait. For the same
    reason the tests wait for the POSTs, then for the worker to finish, before they read
    the database themselves."""
    broker = dramatiq.get_broker()
    namespace = f"test-webhooks-{uuid.uuid4().hex}"
    if isinstance(broker, RedisBroker):
        monkeypatch.setattr(broker, "namespace", namespace)
    broker.flush_all()
    started: list[dramatiq.Worker] = []
    swept = threading.Event()
    sweep = delivery.deliveries_sweep

    def sweep_and_tell(**kwargs):
        try:
            return sweep(**kwargs)
        finally:
            swept.set()

    monkeypatch.setattr(delivery, "deliveries_sweep", sweep_and_tell)

    def start() -> dramatiq.Worker:
        worker_ = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
        worker_.start()
        started.append(worker_)
        # The sweep at boot (a thread of its own) is done before the test goes on.
        assert swept.wait(10), "the worker did not sweep when it booted"
        return worker_

    yield start
    for worker_ in started:
        worker_.stop(timeout=10_000)
    broker.flush_all()
    if isinstance(broker, RedisBroker):  # the workers' heartbeats and acks
        keys = list(broker.client.scan_iter(f"{namespace}*"))
        if keys:
            broker.client.delete(*keys)


def settled(worker_: dramatiq.Worker, timeout: float = 15) -> None:
    """Wait until the worker has nothing left to do (on Redis too: what it fetched is in
    its memory, and the tests wait for the POSTs first)."""
    done = threading.Thread(target=worker_.join, daemon=True)
    done.start()
    done.join(timeout)
    assert not done.is_alive(), f"the worker was still busy after {timeout} s"


def test_every_worker_has_the_sweeper():
    assert any(isinstance(m, worker.DeliverySweeper) for m in dramatiq.get_broker().middleware)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_actor_delivers_through_a_real_worker_with_a_retry(
    bot_server, dramatiq_worker, settings
):
    settings.CHAT_WEBHOOK_RETRY_DELAY = 0.3
    bot_server.answers = [Answer(500)]
    row = make_delivery(make_app(bot_server.url))
    worker_ = dramatiq_worker()

    delivery.deliveries_enqueue([row.pk])  # as botapps.webhooks does once the row is committed

    bot_server.wait_for(2)
    settled(worker_)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.DELIVERED, 2)
    first, second = bot_server.received
    assert first.json["delivery_id"] == second.json["delivery_id"]
    assert 0.25 <= second.at - first.at < 5  # the backoff, then the delayed message


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_server_restarted_mid_delivery_delivers_when_its_worker_boots(
    bot_server, dramatiq_worker
):
    """The queue lost everything (an in-memory queue of a server that restarted, a Redis
    that was flushed): the deliveries are still rows, and the sweep at boot sends them."""
    app = make_app(bot_server.url)
    long_ago = timezone.now() - timedelta(minutes=5)
    never_queued = make_delivery(app, next_attempt_at=long_ago)
    cut_off = make_delivery(  # its POST was under way when the process died
        app,
        next_attempt_at=long_ago,
        attempts=1,
        locked_until=timezone.now() - timedelta(seconds=1),
    )

    worker_ = dramatiq_worker()  # no message was ever queued for these

    bot_server.wait_for(2)
    settled(worker_)
    for row, attempts in [(never_queued, 1), (cut_off, 2)]:
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.DELIVERED, attempts)
    assert sorted(r.json["delivery_id"] for r in bot_server.received) == sorted(
        [str(never_queued.uid), str(cut_off.uid)]
    )


# --- the server's own worker ------------------------------------------------------------------


def test_the_in_process_worker_starts_only_when_configured(settings, monkeypatch):
    started: list[dramatiq.Worker] = []
    monkeypatch.setattr(dramatiq.Worker, "start", lambda self: started.append(self))
    monkeypatch.setattr(dramatiq.Worker, "stop", lambda self, timeout=0: started.remove(self))

    settings.CHAT_WEBHOOK_IN_PROCESS_WORKER = False
    assert worker.in_process_worker_start() is None
    settings.CHAT_WEBHOOK_IN_PROCESS_WORKER = True
    first = worker.in_process_worker_start()
    assert first is not None and worker.in_process_worker_start() is first  # one per process
    assert started == [first]
    assert first.consumer_whitelist == {tasks.QUEUE}
    worker.in_process_worker_stop()
    assert started == []
    worker.in_process_worker_stop()  # stopping twice is harmless


def test_importing_the_application_starts_no_worker():
    """Tests, shells and rundramatiq import the ASGI application without serving it."""
    import chatsite.asgi  # noqa: F401

    assert worker._worker is None


MAKE_BOT_APP = """
import json
from botapps import services
made = services.bot_app_create(
    name="Helper", title="", avatar="", webhook_url={url!r},
    subscriptions={{"subscribes_routed_conversations": True}}, is_active=True,
)
open({out!r}, "w").write(json.dumps({{"secret": made.signing_secret}}))
"""


def test_a_daphne_server_sends_webhooks_with_its_own_worker_and_stops_it(
    request, bot_server, tmp_path
):
    """A real daphne process (as `runserver` and the tests' servers run the site): a visitor
    opens the chat, the bot app hears of the new conversation from the server's own worker,
    and the worker stops with the server."""
    from websockets.sync import client as websockets_sync

    from testsupport.harness import serve, visitor_cookie

    out = tmp_path / "bot-app.json"
    env = {
        "WEBHOOK_IN_PROCESS_WORKER": "1",
        # On Redis (CI), a queue of its own: no other worker on the machine takes it.
        "REDIS_PREFIX": f"test-webhooks-{uuid.uuid4().hex}",
    }
    setup = ("shell", "-c", MAKE_BOT_APP.format(url=bot_server.url, out=str(out)))
    with serve(request, "chat-webhooks-", env=env, commands=[setup]) as server:
        secret = json.loads(out.read_text())["secret"]
        with websockets_sync.connect(
            server.url.replace("http", "ws") + "/ws/chat/",
            origin=server.url,
            additional_headers={"Cookie": visitor_cookie(server.url)},
            open_timeout=10,
        ) as visitor:
            json.loads(visitor.recv(10))  # the status frame: the conversation is there
            [received] = bot_server.wait_for(1, timeout=20)
        assert received.json["event"] == "routed_conversation"
        assert received.json["resource_type"] == "conversation"
        assert signature_valid(received.headers["X-Chat-Signature"], received.body, secret)
        server.stop()
        log = server.output()
    assert "Webhook worker started in this process" in log
    assert "Webhook worker of this process stopped" in log
    if "REDIS_URL" in os.environ:  # the queue's keys in the shared Redis
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        keys = list(client.scan_iter(env["REDIS_PREFIX"] + "*"))
        if keys:
            client.delete(*keys)
