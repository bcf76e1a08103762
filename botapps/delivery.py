"""Webhooks to bot apps, sent: the worker's side of botapps.webhooks.

botapps.webhooks records every event as a WebhookDelivery row in the transaction of the
change that caused it and, once that commits, hands the ids to ``deliveries_enqueue``:
one Dramatiq message each (``webhook_deliver``, the queue's actor, defined at the end of
this module and found by ``manage.py rundramatiq`` through botapps.tasks), worked off by
``delivery_attempt``.

The rows, not the queue, are the truth; a message only says "look at this delivery":

* a worker claims the row with a conditional UPDATE before it POSTs, so two workers
  (a retry's message and a sweep's, say) never POST one delivery at once;
* retries are our own policy (exponential backoff with jitter), written on the row as
  ``next_attempt_at`` and sent as a delayed message;
* a lost message (the queue was down at commit, a server restarted with its in-memory
  queue, a worker died mid-POST) leaves a pending row behind, which
  ``deliveries_sweep`` sends again.

So a delivery is POSTed at least once while attempts last, and a bot app tells a
repeat by its delivery id, which is the same on every attempt.
"""

from __future__ import annotations

import enum
import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

import dramatiq
import requests
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import conf, credentials
from .models import WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
Event = WebhookDelivery.Event

# How much longer than the POST's time-out a worker holds a delivery it claimed: time to
# write down how the attempt went. Past that the delivery counts as abandoned (its worker
# died) and the sweep sends it again.
LOCK_MARGIN_SECONDS = 30.0
# A worker on another machine may run a little behind the one that scheduled a retry: a
# message that comes this much early still claims its delivery, instead of being dropped
# and left to the sweep.
CLOCK_TOLERANCE = timedelta(seconds=1)
# A pending delivery this long past due, with no worker on it, has lost its message.
SWEEP_GRACE_SECONDS = 60.0
# At most this many deliveries sent again per sweep; the next sweep takes the rest.
SWEEP_BATCH = 1000
# Retry delays vary by this fraction either way, so that deliveries that failed together
# (a bot app that was down) do not all come back at the same moment.
JITTER = 0.1
ERROR_MAX_LENGTH = WebhookAttempt._meta.get_field("error").max_length
# Of a refusing bot app's answer, only this much is kept (in the error), as a hint.
RESPONSE_EXCERPT_BYTES = 200
# A taking answer's body this long or shorter is read to its end, which lets its
# connection carry the next webhook; a longer one (or one of unknown length) is cut off.
DRAIN_MAX_BYTES = 64 * 1024
USER_AGENT = "chat-webhooks/1"

RESOURCE_TYPES = {
    Event.ROUTED_CONVERSATION: "conversation",
    Event.PENDING_CONVERSATION: "conversation",
    Event.MEMBER_MESSAGE: "message",
    Event.ROUTED_MESSAGE: "message",
}


class Outcome(enum.StrEnum):
    """What one call of ``delivery_attempt`` did."""

    # Not claimed: delivered or failed already, not due yet, or another worker has it.
    SKIPPED = "skipped"
    DELIVERED = "delivered"
    # The attempt failed; another is scheduled.
    RETRY = "retry"
    # The attempt failed and it was the last, or the app is inactive.
    FAILED = "failed"


# --- the queue --------------------------------------------------------------------------------


def deliveries_enqueue(ids: Iterable[int]) -> None:
    """One queue message per delivery. Never raises: with the queue down, the deliveries
    stay pending and the sweep sends them once it is back."""
    ids = list(ids)
    for sent, delivery_id in enumerate(ids):
        if not _send(delivery_id):
            # The next ones would wait on the same broken connection, one by one.
            logger.warning(
                "Webhook queue unavailable: %d deliveries left to the sweep", len(ids) - sent
            )
            return


def _send(delivery_id: int, *, delay_ms: int | None = None) -> bool:
    try:
        webhook_deliver.send_with_options(args=(delivery_id,), delay=delay_ms)
    except Exception:
        logger.warning("Could not queue webhook delivery %s", delivery_id, exc_info=True)
        return False
    return True


def _unlocked(now: datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lte=now)


# --- one attempt ------------------------------------------------------------------------------


def delivery_attempt(delivery_id: int) -> Outcome:
    """POST a pending, due delivery to its bot app once, and record how it went: delivered
    on a 2xx answer, otherwise retried later (or failed, once attempts are used up)."""
    timeout = float(conf.get("CHAT_WEBHOOK_TIMEOUT"))
    now = timezone.now()
    lock = now + timedelta(seconds=timeout + LOCK_MARGIN_SECONDS)
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now + CLOCK_TOLERANCE
        )
        .filter(_unlocked(now))
        .update(locked_until=lock)
    )
    if not claimed:
        # Delivered or failed already, due later (the message of that retry will come),
        # held by another worker, or deleted with its app.
        return Outcome.SKIPPED
    delivery = WebhookDelivery.objects.select_related("app").filter(pk=delivery_id).first()
    if delivery is None:  # its bot app was deleted meanwhile
        return Outcome.SKIPPED
    app = delivery.app
    if not app.is_active:
        _record(
            delivery, lock=lock, status=Status.FAILED, error="Not sent: the bot app is inactive."
        )
        return Outcome.FAILED

    number = delivery.attempts + 1
    # A fresh token on every attempt: a retry hours later still carries one that works.
    token = credentials.access_token_issue(app_id=app.pk, token_generation=app.token_generation)
    body = delivery_body(delivery, token)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Chat-Event": delivery.event,
        "X-Chat-Delivery": str(delivery.uid),
        # Over the very bytes sent: the bot checks it before it parses anything.
        "X-Chat-Signature": credentials.webhook_signature_header(
            secret=app.signing_secret, timestamp=timestamp, body=body
        ),
    }
    started_at = timezone.now()
    started = time.monotonic()
    status_code, error = _post(app.webhook_url, body=body, headers=headers, timeout=timeout)
    attempt = WebhookAttempt(
        delivery=delivery,
        number=number,
        started_at=started_at,
        duration_ms=round((time.monotonic() - started) * 1000),
        status_code=status_code,
        error=error[:ERROR_MAX_LENGTH],
    )
    if not error:
        _record(delivery, lock=lock, status=Status.DELIVERED, attempt=attempt)
        return Outcome.DELIVERED
    if number >= conf.get("CHAT_WEBHOOK_MAX_ATTEMPTS"):
        _record(delivery, lock=lock, status=Status.FAILED, attempt=attempt, error=error)
        return Outcome.FAILED
    delay = retry_delay(number)
    due = timezone.now() + timedelta(seconds=delay)
    if _record(delivery, lock=lock, status=Status.PENDING, attempt=attempt, error=error, due=due):
        # After the commit, and never before the row says it is due: the message's clock
        # starts now, after ``due`` was taken.
        _send(delivery.pk, delay_ms=math.ceil(delay * 1000))
    return Outcome.RETRY


def _record(
    delivery: WebhookDelivery,
    *,
    lock: datetime,
    status: str,
    attempt: WebhookAttempt | None = None,
    error: str = "",
    due: datetime | None = None,
) -> bool:
    """Write down an attempt and the delivery's new state, and let go of it. False when
    this worker no longer held it (its POST outlived the claim): then the worker that
    claimed it since records what happens."""
    now = timezone.now()
    changes: dict[str, object] = {
        "status": status,
        "locked_until": None,
        "last_error": error[:ERROR_MAX_LENGTH],
    }
    if attempt is not None:
        changes["attempts"] = attempt.number
    if status == Status.DELIVERED:
        changes["delivered_at"] = now
    if due is not None:
        changes["next_attempt_at"] = due
    with transaction.atomic():
        held = WebhookDelivery.objects.filter(pk=delivery.pk, locked_until=lock).update(**changes)
        if held and attempt is not None:
            attempt.save()
    if not held:
        logger.warning(
            "Webhook delivery %s: attempt %s outlived its claim and is not recorded",
            delivery.pk,
            attempt.number if attempt else "-",
        )
    return bool(held)


def delivery_body(delivery: WebhookDelivery, token: credentials.AccessToken) -> bytes:
    """The JSON a bot app receives. ``timestamp`` is when the event happened, the same on
    every attempt; the signature header carries when this attempt was signed."""
    payload = {
        "delivery_id": str(delivery.uid),
        "event": delivery.event,
        "timestamp": delivery.created_at.isoformat(),
        "resource_type": RESOURCE_TYPES[delivery.event],
        "resource": delivery.resource,
        "app_user_auth": {
            "access_token": token.access_token,
            "token_type": token.token_type,
            "expires_in": token.expires_in,
            "user_id": delivery.app.user_id,
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


_local = threading.local()


def _session() -> requests.Session:
    # One per worker thread (a Session is not thread-safe): a bot app's connection stays
    # open between its webhooks, instead of a TCP (and TLS) handshake for every one.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def _post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """POST and judge the answer: (status code or None, error text, empty for a 2xx)."""
    try:
        # A redirect is the bot app's mistake to fix, not somewhere to send its token.
        with _session().post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            if 200 <= response.status_code < 300:
                _drain(response)  # its body is of no interest
                return response.status_code, ""
            return response.status_code, _refusal(response)
    except requests.Timeout:
        return None, f"No answer within {timeout:g} s (time-out)."
    except requests.ConnectionError as exc:
        return None, f"Could not connect: {_reason(exc)}"
    except Exception as exc:  # an invalid URL, say: recorded and retried like any failure
        logger.warning("Webhook POST to %s failed", url, exc_info=True)
        return None, f"Could not send: {type(exc).__name__}: {exc}"


def _drain(response: requests.Response) -> None:
    try:
        length = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return
    if length <= DRAIN_MAX_BYTES:
        try:
            for _ in response.iter_content(8192):
                pass
        except requests.RequestException:
            pass  # it was delivered all the same


def _refusal(response: requests.Response) -> str:
    text = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    if response.is_redirect:
        text += f" (redirects are not followed; Location: {response.headers.get('Location', '')})"
    try:
        excerpt = response.raw.read(RESPONSE_EXCERPT_BYTES, decode_content=True)
    except Exception:  # a body that breaks off or will not decode: the status says enough
        excerpt = b""
    excerpt = " ".join(excerpt.decode("utf-8", errors="replace").split())
    return f"{text}: {excerpt}" if excerpt else text


def _reason(exc: Exception) -> str:
    # requests wraps the socket's error in two layers of pool and connection names.
    found = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
    return found.group(0) if found else str(exc)


def retry_delay(attempt: int, *, rand: float | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first):
    CHAT_WEBHOOK_RETRY_DELAY doubled after each failure, up to CHAT_WEBHOOK_MAX_RETRY_DELAY,
    varied by JITTER either way (``rand`` in [0, 1) fixes the variation, for tests)."""
    first = float(conf.get("CHAT_WEBHOOK_RETRY_DELAY"))
    longest = float(conf.get("CHAT_WEBHOOK_MAX_RETRY_DELAY"))
    # The exponent is bounded so that a delivery retried by hand many times cannot overflow.
    base = min(longest, first * 2.0 ** min(attempt - 1, 60))
    if rand is None:
        rand = random.random()
    return min(longest, base * (1 + JITTER * (2 * rand - 1)))


# --- what the queue lost, and what staff retry ------------------------------------------------


def deliveries_sweep(
    *, grace_seconds: float = SWEEP_GRACE_SECONDS, limit: int = SWEEP_BATCH
) -> list[int]:
    """Queue again the pending deliveries that are more than ``grace_seconds`` past due
    with no worker on them: what a restart or a lost message left behind. Their ids."""
    now = timezone.now()
    stale = Q(status=Status.PENDING, next_attempt_at__lte=now - timedelta(seconds=grace_seconds))
    stale &= _unlocked(now)
    ids = list(
        WebhookDelivery.objects.filter(stale)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    # Due from now: the next sweeps leave them alone for a grace period, so that a queue
    # that is only slow (a backlog) does not get one more message per row every sweep.
    WebhookDelivery.objects.filter(stale, pk__in=ids).update(next_attempt_at=now)
    logger.info("Webhook sweep: %d pending deliveries queued again", len(ids))
    deliveries_enqueue(ids)
    return ids


def deliveries_retry_now(ids: Iterable[int]) -> int:
    """Staff's "Retry now": failed and pending deliveries are due at once and queued. Their
    attempts so far count, so one that had used them all up gets one more attempt. A
    delivery a worker is POSTing right now is left to it. How many will be retried."""
    now = timezone.now()
    retry = Q(pk__in=list(ids), status__in=[Status.PENDING, Status.FAILED]) & _unlocked(now)
    chosen = list(WebhookDelivery.objects.filter(retry).values_list("pk", flat=True))
    count = WebhookDelivery.objects.filter(retry, pk__in=chosen).update(
        status=Status.PENDING, next_attempt_at=now, locked_until=None
    )
    transaction.on_commit(lambda: deliveries_enqueue(chosen), robust=True)
    return count


# --- the actor --------------------------------------------------------------------------------

QUEUE = "webhooks"


# max_retries=0: an attempt that fails is retried by our own policy (above), with the delay
# written on the delivery's row, not by Dramatiq's. Dramatiq's default time limit (10 minutes)
# stays: the POST has its own time-out, CHAT_WEBHOOK_TIMEOUT. Its options are constants:
# settings are read when a message is worked off, never when this module is imported.
@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def webhook_deliver(delivery_id: int) -> None:
    delivery_attempt(delivery_id)
