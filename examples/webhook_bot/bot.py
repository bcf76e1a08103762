#!/usr/bin/env python3
"""An example bot app: a small web server that the chat site tells of events with signed
webhooks, and that answers visitors through the site's HTTP API as its own bot user.

It joins conversations waiting for someone, greets the visitor with quick-reply buttons,
answers a few questions with canned answers, and hands the conversation over to people
when the visitor asks for one. Standard library only, so it runs with any Python 3.11+:

    CHAT_API_KEY=cbk_... CHAT_SIGNING_SECRET=... python examples/webhook_bot/bot.py

See README.md next to this file, and "Write your own bot" in the project's README.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import hmac
import json
import logging
import os
import queue
import re
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from replies import decide, from_visitor, greeting, menu

log = logging.getLogger("webhook_bot")

# A signed request older than this is refused: a captured one cannot be replayed later.
SIGNATURE_TOLERANCE = 300
MAX_BODY = 1 << 20
MAX_RETRY_DELAY = 60.0


# --- signature --------------------------------------------------------------------------------


def signature_valid(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = SIGNATURE_TOLERANCE,
) -> bool:
    """Whether ``X-Chat-Signature`` (``t=<unix seconds>,v1=<hex>``) signs this exact body,
    recently: HMAC-SHA256 of ``<t>.<body>`` keyed with the signing secret."""
    if not header:
        return False
    timestamp, digests = "", []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            digests.append(value)
    if not re.fullmatch(r"[0-9]{1,12}", timestamp) or not digests:
        return False
    now = time.time() if now is None else now
    # Both ways: a clock a little ahead of ours is not an attack.
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    # Constant time, so the answer's timing tells an attacker nothing about the digest.
    return any(hmac.compare_digest(expected.encode(), d.encode()) for d in digests)


# --- de-duplication ---------------------------------------------------------------------------


class Seen:
    """Ids handled lately. Bounded, so a bot that runs for months does not grow; checking
    and adding are one step under a lock, so two threads never both take the same id."""

    def __init__(self, limit: int = 10_000):
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def first_time(self, key: object) -> bool:
        key = str(key)
        with self._lock:
            if key in self._ids:
                self._ids.move_to_end(key)
                return False
            self._ids[key] = None
            if len(self._ids) > self._limit:
                self._ids.popitem(last=False)
            return True

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return str(key) in self._ids


# --- the site's API ---------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, code: str = "", detail: str = "", *, request: str = ""):
        said = ": ".join(part for part in (code, detail) if part)
        super().__init__(" ".join(part for part in (request, str(status or ""), said) if part))
        self.status, self.code, self.detail = status, code, detail


def retry_delay(retry_after: str | None, attempt: int, *, now: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt``: what the site asked for in
    Retry-After (seconds or an HTTP date), else doubling from half a second; a minute at most."""
    if retry_after:
        value = retry_after.strip()
        try:
            return min(max(float(value), 0.0), MAX_RETRY_DELAY)
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            now = time.time() if now is None else now
            return min(max(when - now, 0.0), MAX_RETRY_DELAY)
    return min(0.5 * 2 ** (attempt - 1), MAX_RETRY_DELAY)


class Api:
    """The site's HTTP API, with the access token of a webhook or else the API key."""

    RETRY_STATUSES = (429, 502, 503, 504)

    def __init__(
        self, site_url: str, api_key: str, *, attempts: int = 5, timeout: float = 10.0, sleep=None
    ):
        self.base = site_url.rstrip("/") + "/api/v1"
        self.api_key = api_key
        self.attempts = attempts
        self.timeout = timeout
        self.sleep = sleep or time.sleep

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        token: str | None = None,
        idempotency_key: str | None = None,
        attempts: int | None = None,
    ):
        """The answer's JSON (None when empty). Raises ApiError for an error answer, after
        retrying what may pass later: rate limits, a site restarting, no connection.
        Retrying is safe: messages carry an idempotency key."""
        url = path if path.startswith(("http://", "https://")) else self.base + path
        data = None if body is None else json.dumps(body).encode()
        attempts = attempts or self.attempts
        for attempt in range(1, attempts + 1):
            headers = {
                "Accept": "application/json",
                # The webhook's fresh token, as the platform recommends; the key when there
                # is none (at start, and for presence between webhooks).
                "Authorization": f"Bearer {token}" if token else f"Token {self.api_key}",
            }
            if data is not None:
                headers["Content-Type"] = "application/json"
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as err:
                with err:  # its connection is closed whatever happens next
                    payload = _json_object(err.read())
                if err.code == 401 and token:
                    # The token expired while the job waited: the key still works.
                    return self.call(
                        method, path, body, idempotency_key=idempotency_key, attempts=attempts
                    )
                if err.code not in self.RETRY_STATUSES or attempt == attempts:
                    code, detail = payload.get("code", ""), payload.get("detail", "")
                    raise ApiError(
                        err.code, str(code), str(detail), request=f"{method} {url}"
                    ) from None
                delay = retry_delay(err.headers.get("Retry-After"), attempt)
                log.warning("%s %s: %s; again in %.1fs", method, path, err.code, delay)
            except (urllib.error.URLError, OSError) as err:
                if attempt == attempts:
                    raise ApiError(0, "unreachable", str(err), request=f"{method} {url}") from None
                delay = retry_delay(None, attempt)
                log.warning("%s %s: %s; again in %.1fs", method, path, err, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")  # the last attempt returns or raises


def _json_object(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _results(page) -> list:
    return page.get("results", []) if isinstance(page, dict) else list(page or [])


# --- the bot ----------------------------------------------------------------------------------


@dataclass
class Config:
    site_url: str = "http://127.0.0.1:8000"
    api_key: str = ""
    signing_secret: str = ""
    host: str = "127.0.0.1"
    port: int = 8001
    # Short, so that a bot that dies goes offline soon; refreshed well before it ends.
    presence_seconds: int = 300
    typing_seconds: float = 1.0
    link: str = ""
    workers: int = 4
    log_level: str = "INFO"

    @property
    def presence_refresh(self) -> float:
        return max(self.presence_seconds / 5, 1.0)


class Bot:
    def __init__(self, config: Config, api):
        self.config = config
        self.api = api
        self.user_id: int | None = None
        self.name = "Bot"
        self.deliveries = Seen()
        self.messages = Seen()
        # Chats where a person answers now (handed over, or taken): the bot stays quiet.
        self.people_answer: set[int] = set()
        self._client_id = None
        self._presence_at = float("-inf")
        self._presence_lock = threading.Lock()
        # Where webhooks' work goes: inline unless main() gives it job threads.
        self.submit = lambda chat_id, delivery: self.handle(delivery)

    def user_path(self, rest: str = "") -> str:
        return f"/users/{self.user_id}{rest}"

    # presence

    def start(self) -> None:
        """Learn who the bot is, go online and be present: the chat shows online now."""
        me = self.api.call("GET", "/me")
        self.user_id, self.name = me["id"], me.get("name") or self.name
        self.api.call("PATCH", self.user_path(), {"is_online_enabled": True})
        self.refresh_presence(force=True)
        log.info("%s (user %s) is online and present", self.name, self.user_id)

    def stop(self) -> None:
        """Go offline, so visitors are not promised a bot that is gone."""
        try:
            self.api.call("PATCH", self.user_path(), {"is_online_enabled": False}, attempts=1)
            if self._client_id is not None:
                self.api.call("DELETE", self.user_path(f"/clients/{self._client_id}"), attempts=1)
        except ApiError as err:
            log.warning("Could not go offline: %s", err)

    @property
    def present(self) -> bool:
        elapsed = time.monotonic() - self._presence_at
        return self._client_id is not None and elapsed < self.config.presence_seconds

    def refresh_presence(self, token: str | None = None, *, force: bool = False) -> None:
        """The platform's recipe: list the bot's clients, make one if there is none, else
        extend one. Not more often than needed: every call counts against the rate limit."""
        with self._presence_lock:
            if not force and time.monotonic() - self._presence_at < self.config.presence_refresh:
                return
            body = {"presence_expires_in": self.config.presence_seconds}
            if self._client_id is None:
                clients = _results(self.api.call("GET", self.user_path("/clients"), token=token))
                self._client_id = clients[0]["id"] if clients else None
            if self._client_id is not None:
                try:
                    path = self.user_path(f"/clients/{self._client_id}")
                    self.api.call("PATCH", path, body, token=token)
                except ApiError as err:
                    if err.status != 404:
                        raise
                    self._client_id = None  # swept after it expired: make a new one
            if self._client_id is None:
                created = self.api.call("POST", self.user_path("/clients"), body, token=token)
                self._client_id = created["id"]
            self._presence_at = time.monotonic()

    # webhooks

    def accept(self, delivery: dict) -> bool:
        """Queue a webhook's work; False for a delivery seen before (a retry after our
        answer was lost: it was queued the first time)."""
        if not self.deliveries.first_time(delivery.get("delivery_id")):
            return False
        resource = delivery.get("resource") or {}
        self.submit(resource.get("chat_id", resource.get("id")), delivery)
        return True

    def handle(self, delivery: dict) -> None:
        event = delivery.get("event")
        resource = delivery.get("resource") or {}
        token = (delivery.get("app_user_auth") or {}).get("access_token")
        if event in ("pending_conversation", "routed_conversation"):
            self.join(resource, token, delivery_id=str(delivery.get("delivery_id")), event=event)
        elif event == "member_message":
            self.on_message(resource, token)
        else:
            # routed_message: this bot talks only where it has joined.
            log.debug("Ignored %s", event)

    def join(self, conversation: dict, token: str | None, *, delivery_id: str, event: str) -> None:
        chat_id = conversation["id"]
        if conversation.get("is_closed"):
            return
        self.refresh_presence(token)
        kind = "routed_chats" if event == "routed_conversation" else "pending_chats"
        try:
            self.api.call(
                "POST",
                self.user_path(f"/{kind}/{chat_id}/memberships"),
                {"is_participating": True, "composing_status": "idle"},
                token=token,
            )
        except ApiError as err:
            if err.status == 404:
                # Somebody joined first (or it is gone): it is theirs, not ours.
                log.info("Chat %s: not joined (%s)", chat_id, err.code or "not found")
                return
            raise
        self.people_answer.discard(chat_id)
        history = self.history(chat_id, token)
        # Handled now, with the greeting: a webhook of the same message, which may come
        # too (it can race the history), is not answered again.
        for message in history:
            self.messages.first_time(message["id"])
        asked = [m for m in history if from_visitor(m)]
        latest = asked[-1] if asked else None
        reply = decide(latest["message"], latest.get("response_value")) if latest else None
        log.info("Chat %s: joined", chat_id)
        if reply is not None and reply.kind == "handover":
            self.hand_over(chat_id, token)
            return
        key = f"{chat_id}:{latest['id'] if latest else delivery_id}:greeting"
        self.say(chat_id, greeting(self.name, reply), key, token)

    def history(self, chat_id: int, token: str | None, *, max_pages: int = 20) -> list[dict]:
        """The chat's messages, oldest first."""
        messages, path = [], self.user_path(f"/chats/{chat_id}/messages")
        for _ in range(max_pages):
            page = self.api.call("GET", path, token=token)
            messages.extend(_results(page))
            path = page.get("next") if isinstance(page, dict) else None
            if not path:
                break
        return messages

    def on_message(self, message: dict, token: str | None) -> None:
        chat_id = message["chat_id"]
        if not from_visitor(message):
            if message.get("sender_type") == "user" and message.get("sender_id") != self.user_id:
                self.people_answer.add(chat_id)  # a person writes here now
            return
        if not self.messages.first_time(message["id"]) or chat_id in self.people_answer:
            return
        self.refresh_presence(token)
        reply = decide(message.get("message", ""), message.get("response_value"))
        if reply.kind == "handover":
            self.hand_over(chat_id, token)
            return
        # Derived from the message answered: however often its webhook comes, one answer.
        self.say(chat_id, reply.text, f"{message['id']}:reply", token)

    def say(self, chat_id: int, text: str, key: str, token: str | None) -> None:
        membership = self.user_path(f"/chats/{chat_id}/memberships/{self.user_id}")
        try:
            self.api.call("PATCH", membership, {"composing_status": "typing"}, token=token)
            try:
                # A moment of "typing": an answer that appears at once reads as a wall.
                time.sleep(self.config.typing_seconds)
                self.api.call(
                    "POST",
                    self.user_path(f"/chats/{chat_id}/messages"),
                    {"message": text, "attachments": menu(self.config.link)},
                    token=token,
                    idempotency_key=key,
                )
            finally:
                self._idle(membership, token)
        except ApiError as err:
            if err.status not in (403, 404, 409):
                raise
            # Taken by a person meanwhile, or closed: not ours to answer any more.
            self.people_answer.add(chat_id)
            log.info("Chat %s: no longer ours (%s)", chat_id, err.code or err.status)
            return
        log.info("Chat %s: said %r", chat_id, text[:60])

    def _idle(self, membership: str, token: str | None) -> None:
        try:
            self.api.call("PATCH", membership, {"composing_status": "idle"}, token=token)
        except ApiError as err:
            # The visitor's chat box stops showing "typing" by itself after a while; what
            # went wrong with the message itself matters more.
            log.warning("Could not stop typing: %s", err)

    def hand_over(self, chat_id: int, token: str | None) -> None:
        """People take it from here: the site tells the visitor, the bot says nothing more."""
        result = self.api.call(
            "POST", self.user_path(f"/chats/{chat_id}/handover"), {}, token=token
        )
        self.people_answer.add(chat_id)
        log.info("Chat %s: handed over (%s)", chat_id, result)


class Jobs:
    """A few worker threads; the jobs of one chat all go to the same one, in order, so the
    bot never answers a chat's second message before its first."""

    def __init__(self, count: int, handle):
        self._handle = handle
        self._queues: list[queue.Queue] = [queue.Queue() for _ in range(max(count, 1))]
        self._threads = [
            threading.Thread(target=self._run, args=(q,), name=f"job-{i}", daemon=True)
            for i, q in enumerate(self._queues)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, key: object, job) -> None:
        self._queues[hash(str(key)) % len(self._queues)].put(job)

    def stop(self, timeout: float = 10.0) -> None:
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join(timeout)

    @property
    def pending(self) -> int:
        """Jobs queued or under way."""
        return sum(q.unfinished_tasks for q in self._queues)

    def _run(self, jobs: queue.Queue) -> None:
        while (job := jobs.get()) is not None:
            try:
                self._handle(job)
            except Exception:
                # The webhook was answered long ago: logging is all that is left to do.
                log.exception("A %s webhook failed", job.get("event"))
            finally:
                jobs.task_done()


# --- the web server ---------------------------------------------------------------------------


class WebhookHandler(BaseHTTPRequestHandler):
    server_version = "webhook-bot/1"
    server: WebhookServer

    def do_GET(self) -> None:
        if self.path != "/health":
            self._answer(404, {"detail": "Not found."})
            return
        bot, jobs = self.server.bot, self.server.jobs
        self._answer(
            200,
            {
                "user_id": bot.user_id,
                "name": bot.name,
                "present": bot.present,
                "jobs": jobs.pending if jobs else 0,
            },
        )

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._answer(411, {"detail": "Content-Length, please."})
            return
        if not 0 <= length <= MAX_BODY:
            self._answer(413, {"detail": "Too large."})
            return
        body = self.rfile.read(length)
        # Nothing of the body is looked at before it is known to come from the site.
        secret = self.server.bot.config.signing_secret
        if not signature_valid(secret, self.headers.get("X-Chat-Signature"), body):
            self._answer(401, {"detail": "Bad or old signature."})
            return
        try:
            delivery = json.loads(body)
        except ValueError:
            delivery = None
        if not isinstance(delivery, dict) or not isinstance(delivery.get("resource"), dict):
            self._answer(400, {"detail": "Not a webhook."})
            return
        # Answered at once; the work (API calls that may wait) happens on a job thread,
        # so a slow site never makes the delivery time out and come again.
        queued = self.server.bot.accept(delivery)
        self._answer(202 if queued else 200, {"queued": queued})

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], bot: Bot, jobs: Jobs | None = None):
        self.bot = bot
        self.jobs = jobs
        super().__init__(address, WebhookHandler)


# --- running it -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> Config:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", default=env("CHAT_SITE_URL", Config.site_url))
    parser.add_argument("--api-key", default=env("CHAT_API_KEY", ""), help="or CHAT_API_KEY")
    parser.add_argument(
        "--signing-secret", default=env("CHAT_SIGNING_SECRET", ""), help="or CHAT_SIGNING_SECRET"
    )
    parser.add_argument("--host", default=env("BOT_HOST", Config.host))
    parser.add_argument("--port", type=int, default=int(env("BOT_PORT", Config.port)))
    parser.add_argument(
        "--presence-seconds",
        type=int,
        default=int(env("BOT_PRESENCE_SECONDS", Config.presence_seconds)),
    )
    parser.add_argument(
        "--typing-seconds",
        type=float,
        default=float(env("BOT_TYPING_SECONDS", Config.typing_seconds)),
    )
    parser.add_argument("--link", default=env("BOT_LINK", ""), help="default: the site")
    parser.add_argument("--log-level", default=env("BOT_LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    if not args.api_key or not args.signing_secret:
        parser.error("the API key and the signing secret are needed (CHAT_API_KEY, ...)")
    return Config(
        site_url=args.site.rstrip("/"),
        api_key=args.api_key,
        signing_secret=args.signing_secret,
        host=args.host,
        port=args.port,
        presence_seconds=args.presence_seconds,
        typing_seconds=args.typing_seconds,
        link=args.link or args.site.rstrip("/") + "/",
        log_level=args.log_level.upper(),
    )


def start_when_site_answers(bot: Bot) -> None:
    """The bot may well start before the site: wait for it, but not for a wrong key."""
    while True:
        try:
            bot.start()
            return
        except ApiError as err:
            if err.status not in (0, *Api.RETRY_STATUSES):
                raise SystemExit(f"The site refused the bot: {err}") from None
            log.warning("Waiting for %s: %s", bot.config.site_url, err)
            time.sleep(5)


def keep_present(bot: Bot, stopping: threading.Event) -> None:
    while not stopping.wait(bot.config.presence_refresh):
        try:
            bot.refresh_presence(force=True)
        except ApiError as err:
            log.warning("Could not refresh presence: %s", err)


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    bot = Bot(config, Api(config.site_url, config.api_key))
    # Listening before going online: webhooks that come meanwhile wait in the backlog.
    jobs = Jobs(config.workers, bot.handle)
    bot.submit = jobs.submit
    server = WebhookServer((config.host, config.port), bot, jobs)
    start_when_site_answers(bot)
    stopping = threading.Event()
    threading.Thread(target=keep_present, args=(bot, stopping), daemon=True).start()

    def shut_down(signum, frame):
        # shutdown() waits for serve_forever() to return: never from its own thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    log.info("Webhooks to http://%s:%s/ (any path)", config.host, server.server_port)
    try:
        server.serve_forever()
    finally:
        stopping.set()
        jobs.stop()
        bot.stop()
        server.server_close()
        log.info("Stopped")


if __name__ == "__main__":
    main()
