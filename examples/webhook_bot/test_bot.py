"""The example bot's own parts: signatures, de-duplication, what it decides, and how it
talks to the API (a fake one here, the real site in botapps/tests/test_e2e_bot_app_browser.py)."""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# The example runs as a script from its own folder; so does its import of replies.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bot  # noqa: E402
import replies  # noqa: E402
from bot import Api, ApiError, Bot, Config, Seen, retry_delay, signature_valid  # noqa: E402
from replies import HUMAN, decide  # noqa: E402

SECRET = "s3cret-signing-key"
NOW = 1_750_000_000
# How often the test servers look for shutdown(): the default 0.5 s is waited out by every test.
POLL = 0.05


def sign(body: bytes, *, secret: str = SECRET, timestamp: int = NOW) -> str:
    from botapps.credentials import webhook_signature_header

    # The site's own signer: the example must accept exactly what the site sends.
    return webhook_signature_header(secret=secret, timestamp=timestamp, body=body)


# --- signatures -------------------------------------------------------------------------------


def test_a_signature_made_by_the_site_is_valid():
    body = b'{"event": "member_message"}'
    assert signature_valid(SECRET, sign(body), body, now=NOW)


def test_a_signature_of_another_body_or_with_another_secret_is_not():
    body = b'{"event": "member_message"}'
    assert not signature_valid(SECRET, sign(body), b'{"event": "member_message!"}', now=NOW)
    assert not signature_valid(SECRET, sign(body, secret="other"), body, now=NOW)


def test_an_old_signature_is_refused_however_valid():
    body = b"{}"
    assert signature_valid(SECRET, sign(body), body, now=NOW + 299)
    assert not signature_valid(SECRET, sign(body), body, now=NOW + 301)
    # A clock somewhat ahead is tolerated; far ahead is not.
    assert signature_valid(SECRET, sign(body), body, now=NOW - 299)
    assert not signature_valid(SECRET, sign(body), body, now=NOW - 301)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=abc",
        f"t={NOW}",
        f"t=x{NOW},v1=abc",
        f"t=-{NOW},v1=abc",
        "t=١٧٥٠٠٠٠٠٠٠,v1=abc",  # digits, but not ASCII ones
        f"t={NOW},v1=é",
    ],
)
def test_a_malformed_signature_is_refused(header):
    assert not signature_valid(SECRET, header, b"{}", now=NOW)


def test_one_valid_digest_among_several_is_enough():
    body = b"{}"
    good = sign(body).split("v1=")[1]
    assert signature_valid(SECRET, f"t={NOW},v1={'0' * 64},v1={good}", body, now=NOW)


# --- de-duplication ---------------------------------------------------------------------------


def test_seen_says_first_time_once_and_forgets_the_oldest():
    seen = Seen(limit=2)
    assert seen.first_time("a") and seen.first_time("b")
    assert not seen.first_time("a")
    assert seen.first_time("c")  # "b" is the oldest now ("a" was seen again): forgotten
    assert "a" in seen and "c" in seen and "b" not in seen


def test_seen_lets_one_of_many_threads_through():
    seen, winners = Seen(), []
    barrier = threading.Barrier(8)

    def race():
        barrier.wait()
        if seen.first_time("delivery"):
            winners.append(1)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert winners == [1]


# --- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "kind", "starts"),
    [
        ("Opening hours", "opening_hours", "answer", "Our team is here"),
        ("Delivery times", "delivery_times", "answer", "Orders placed"),
        ("Talk to a person", HUMAN, "handover", ""),
        ("When are you open?", None, "answer", "Our team is here"),
        ("How long does shipping take?", None, "answer", "Orders placed"),
        # The topic more of its words are about.
        ("Are you open today, and when will my parcel arrive?", None, "answer", "Orders"),
        ("Can I talk to a human please", None, "handover", ""),
        ("I want an AGENT!", None, "handover", ""),
        ("hello", None, "greeting", "Hello again"),
        ("Hi there", None, "greeting", "Hello again"),
        ("Is my personal data safe?", None, "fallback", "Sorry"),
        ("", None, "fallback", "Sorry"),
        # A value the bot does not know (another bot's button) is read as typed text.
        ("Opening hours", "something_else", "answer", "Our team is here"),
    ],
)
def test_decide(text, value, kind, starts):
    reply = decide(text, value)
    assert reply.kind == kind
    assert reply.text.startswith(starts)


def test_the_menu_offers_every_topic_a_person_and_the_link():
    (attachment,) = replies.menu("https://shop.example/")
    assert [(a["type"], a.get("value") or a.get("link")) for a in attachment["actions"]] == [
        ("button", "opening_hours"),
        ("button", "delivery_times"),
        ("button", HUMAN),
        ("link", "https://shop.example/"),
    ]
    assert [a["type"] for a in replies.menu("")[0]["actions"]] == ["button"] * 3


def test_the_greeting_answers_a_first_question_too():
    assert replies.greeting("Robo") == (
        "Hi, I'm Robo! I can tell you about opening hours and delivery times, or find you a person."
    )
    answered = replies.greeting("Robo", decide("when do you open?"))
    assert answered.startswith("Hi, I'm Robo! Our team is here")


# --- retries ----------------------------------------------------------------------------------


def test_retry_delay_follows_retry_after_else_doubles():
    assert retry_delay("3", 1) == 3.0
    assert retry_delay("0", 4) == 0.0
    assert retry_delay("1.5", 1) == 1.5
    assert retry_delay("86400", 1) == bot.MAX_RETRY_DELAY
    assert retry_delay("Wed, 21 Oct 2015 07:28:10 GMT", 1, now=1445412480) == 10.0
    assert retry_delay("Wed, 21 Oct 2015 07:28:00 GMT", 1, now=1445412490) == 0.0
    assert [retry_delay(None, n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert retry_delay("soon", 2) == 1.0
    assert retry_delay(None, 30) == bot.MAX_RETRY_DELAY


class FakeSite:
    """A scripted HTTP API on a real socket: each answer is (status, headers, body)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests: list[dict] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                site.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)) if length else None,
                    }
                )
                status, headers, body = site.answers.pop(0)
                raw = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": POLL}, daemon=True
        ).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    made = []

    def make(*answers):
        made.append(FakeSite(answers))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_the_api_waits_as_told_by_429_and_sends_the_same_message_again(site):
    fake = site(
        (429, {"Retry-After": "2"}, {"code": "throttled", "detail": "Slow down."}),
        (201, {}, {"id": "m1"}),
    )
    slept = []
    api = Api(fake.url, "cbk_key", sleep=slept.append)
    answer = api.call(
        "POST", "/users/7/chats/3/messages", {"message": "hi"}, token="tok", idempotency_key="k1"
    )
    assert answer == {"id": "m1"}
    assert slept == [2.0]
    first, again = fake.requests
    assert first["path"] == again["path"] == "/api/v1/users/7/chats/3/messages"
    for request in (first, again):
        assert request["headers"]["Authorization"] == "Bearer tok"
        assert request["headers"]["Idempotency-Key"] == "k1"
        assert request["body"] == {"message": "hi"}


def test_the_api_gives_up_on_a_lasting_429_and_says_why(site):
    fake = site(*[(429, {"Retry-After": "0"}, {"code": "throttled", "detail": "No."})] * 3)
    api = Api(fake.url, "cbk_key", attempts=3, sleep=lambda s: None)
    with pytest.raises(ApiError) as raised:
        api.call("GET", "/me")
    assert (raised.value.status, raised.value.code) == (429, "throttled")
    assert len(fake.requests) == 3


def test_the_api_uses_the_key_when_the_token_expired(site):
    fake = site((401, {}, {"code": "not_authenticated"}), (200, {}, {"id": 7}))
    api = Api(fake.url, "cbk_key", sleep=lambda s: None)
    assert api.call("GET", "/me", token="old") == {"id": 7}
    assert [r["headers"]["Authorization"] for r in fake.requests] == ["Bearer old", "Token cbk_key"]


def test_the_api_reports_a_refusal_with_its_code_at_once(site):
    fake = site((404, {}, {"code": "taken", "detail": "Someone joined first."}))
    api = Api(fake.url, "cbk_key", sleep=lambda s: pytest.fail("no retry for a 404"))
    with pytest.raises(ApiError) as raised:
        api.call("POST", "/users/7/pending_chats/3/memberships", {"is_participating": True})
    assert (raised.value.status, raised.value.code) == (404, "taken")


def test_the_api_retries_when_the_site_is_not_there():
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{closed.server_port}"
    closed.server_close()
    slept = []
    api = Api(url, "cbk_key", attempts=3, timeout=2, sleep=slept.append)
    with pytest.raises(ApiError) as raised:
        api.call("GET", "/me")
    assert raised.value.status == 0 and slept == [0.5, 1.0]


# --- the bot, against a fake API --------------------------------------------------------------


class FakeApi:
    """Records calls; answers from ``routes`` ((method, path) -> value or ApiError)."""

    def __init__(self, routes=None):
        self.routes = dict(routes or {})
        self.calls: list[tuple] = []

    def call(self, method, path, body=None, *, token=None, idempotency_key=None, attempts=None):
        self.calls.append((method, path, body, token, idempotency_key))
        answer = self.routes.get((method, path))
        if isinstance(answer, ApiError):
            raise answer
        return answer

    def sent(self):
        return [c for c in self.calls if c[0] == "POST" and c[1].endswith("/messages")]


ME = 7
CHAT = 3


def visitor_message(text, *, value=None, chat=CHAT, message_id=None):
    return {
        "id": message_id or str(uuid.uuid4()),
        "chat_id": chat,
        "type": "msg",
        "sender_type": "visitor",
        "sender_id": None,
        "sender_name": "Visitor",
        "message": text,
        "attachments": [],
        "response_value": value,
        "created_at": "2025-01-01T00:00:00Z",
    }


def delivery(event, resource, delivery_id=None):
    return {
        "delivery_id": delivery_id or str(uuid.uuid4()),
        "event": event,
        "timestamp": "2025-01-01T00:00:00Z",
        "resource_type": "message" if "chat_id" in resource else "conversation",
        "resource": resource,
        "app_user_auth": {
            "access_token": "tok",
            "token_type": "Bearer",
            "expires_in": 900,
            "user_id": ME,
        },
    }


def pending(chat=CHAT):
    return {"id": chat, "state": "waiting", "is_pending": True, "is_closed": False}


@pytest.fixture
def api():
    return FakeApi(
        {
            ("GET", "/me"): {"id": ME, "name": "Robo", "title": "Helper"},
            ("GET", f"/users/{ME}/clients"): {"next": None, "previous": None, "results": []},
            ("POST", f"/users/{ME}/clients"): {"id": 11, "presence_expires_in": 300},
        }
    )


@pytest.fixture
def robo(api):
    config = Config(api_key="cbk_key", signing_secret=SECRET, typing_seconds=0, link="")
    b = Bot(config, api)
    b.start()
    api.calls.clear()
    return b


def test_starting_learns_the_user_goes_online_and_registers_a_client(api):
    b = Bot(Config(typing_seconds=0), api)
    b.start()
    assert [c[:3] for c in api.calls] == [
        ("GET", "/me", None),
        ("PATCH", f"/users/{ME}", {"is_online_enabled": True}),
        ("GET", f"/users/{ME}/clients", None),
        ("POST", f"/users/{ME}/clients", {"presence_expires_in": 300}),
    ]
    assert b.name == "Robo" and b.present
    api.calls.clear()
    b.stop()
    assert [c[:3] for c in api.calls] == [
        ("PATCH", f"/users/{ME}", {"is_online_enabled": False}),
        ("DELETE", f"/users/{ME}/clients/11", None),
    ]


def test_presence_extends_a_listed_client_and_makes_a_new_one_when_it_is_gone(api):
    api.routes[("GET", f"/users/{ME}/clients")] = {"results": [{"id": 5}]}
    b = Bot(Config(), api)
    b.user_id = ME
    b.refresh_presence(force=True)
    b.refresh_presence()  # just done: nothing to do
    assert [c[:2] for c in api.calls] == [
        ("GET", f"/users/{ME}/clients"),
        ("PATCH", f"/users/{ME}/clients/5"),
    ]
    api.calls.clear()
    api.routes[("PATCH", f"/users/{ME}/clients/5")] = ApiError(404, "not_found")
    b.refresh_presence(force=True)
    assert [c[:2] for c in api.calls] == [
        ("PATCH", f"/users/{ME}/clients/5"),
        ("POST", f"/users/{ME}/clients"),
    ]


def test_a_pending_conversation_is_joined_read_and_greeted_once(robo, api):
    hello = visitor_message("hello")
    api.routes[("GET", f"/users/{ME}/chats/{CHAT}/messages")] = {
        "next": None,
        "results": [hello],
    }
    event = delivery("pending_conversation", pending())
    assert robo.accept(event)
    membership = f"/users/{ME}/chats/{CHAT}/memberships/{ME}"
    assert [c[:3] for c in api.calls] == [
        (
            "POST",
            f"/users/{ME}/pending_chats/{CHAT}/memberships",
            {"is_participating": True, "composing_status": "idle"},
        ),
        ("GET", f"/users/{ME}/chats/{CHAT}/messages", None),
        ("PATCH", membership, {"composing_status": "typing"}),
        ("POST", f"/users/{ME}/chats/{CHAT}/messages", api.sent()[0][2]),
        ("PATCH", membership, {"composing_status": "idle"}),
    ]
    ((_, _, body, token, key),) = api.sent()
    assert body["message"].startswith("Hi, I'm Robo!")
    assert [a["value"] for a in body["attachments"][0]["actions"]] == [
        "opening_hours",
        "delivery_times",
        HUMAN,
    ]
    assert token == "tok" and key == f"{CHAT}:{hello['id']}:greeting"

    # The same delivery again (our answer was lost), and the first message's own webhook,
    # which raced the history: neither is answered again.
    assert not robo.accept(event)
    robo.accept(delivery("member_message", hello))
    assert len(api.sent()) == 1


def test_the_history_is_read_page_by_page(robo, api):
    first, second = visitor_message("hi"), visitor_message("Delivery times", value="delivery_times")
    messages = f"/users/{ME}/chats/{CHAT}/messages"
    api.routes[("GET", messages)] = {"next": "http://site/page2", "results": [first]}
    api.routes[("GET", "http://site/page2")] = {"next": None, "results": [second]}
    robo.accept(delivery("pending_conversation", pending()))
    ((_, _, body, _, key),) = api.sent()
    # It greets and answers the latest question in one message.
    assert body["message"].startswith("Hi, I'm Robo! Orders placed")
    assert key == f"{CHAT}:{second['id']}:greeting"


def test_a_conversation_taken_first_by_someone_else_is_left_alone(robo, api):
    api.routes[("POST", f"/users/{ME}/pending_chats/{CHAT}/memberships")] = ApiError(
        404, "taken", "Someone joined first."
    )
    robo.accept(delivery("pending_conversation", pending()))
    assert [c[:2] for c in api.calls] == [("POST", f"/users/{ME}/pending_chats/{CHAT}/memberships")]


def test_a_visitor_question_is_answered_with_a_key_of_that_message(robo, api):
    question = visitor_message("Opening hours", value="opening_hours")
    robo.accept(delivery("member_message", question))
    robo.accept(delivery("member_message", question))  # a new delivery of the same message
    ((_, _, body, _, key),) = api.sent()
    assert body["message"].startswith("Our team is here")
    assert key == f"{question['id']}:reply"


def test_the_bot_ignores_its_own_messages_and_notices(robo, api):
    own = visitor_message("Our team is here") | {"sender_type": "user", "sender_id": ME}
    notice = visitor_message("Robo joined") | {"type": "info", "sender_type": "system"}
    for message in (own, notice):
        robo.accept(delivery("member_message", message))
    assert api.calls == []
    robo.accept(delivery("member_message", visitor_message("hello")))
    assert len(api.sent()) == 1


def test_asking_for_a_person_hands_over_and_the_bot_says_nothing_more(robo, api):
    for request in (
        visitor_message("Talk to a person", value=HUMAN),
        visitor_message("can I talk to someone?"),
    ):
        api.calls.clear()
        robo.people_answer.clear()
        robo.accept(delivery("member_message", request))
        assert [c[:2] for c in api.calls] == [("POST", f"/users/{ME}/chats/{CHAT}/handover")]
    robo.accept(delivery("member_message", visitor_message("hello?")))
    assert api.sent() == []


def test_the_bot_stays_quiet_once_a_person_writes_or_took_the_conversation(robo, api):
    agent = visitor_message("Anna here") | {"sender_type": "user", "sender_id": 99}
    robo.accept(delivery("member_message", agent))
    robo.accept(delivery("member_message", visitor_message("hello")))
    assert api.calls == []

    other = 4
    typing = f"/users/{ME}/chats/{other}/memberships/{ME}"
    api.routes[("PATCH", typing)] = ApiError(409, "not_yours", "Take it first.")
    robo.accept(delivery("member_message", visitor_message("hello", chat=other)))
    robo.accept(delivery("member_message", visitor_message("hello again", chat=other)))
    assert api.sent() == [] and other in robo.people_answer
    assert [c[1] for c in api.calls] == [typing]  # tried once, the second time not at all


# --- the web server ---------------------------------------------------------------------------


@pytest.fixture
def webhook_server():
    queued = []
    b = Bot(Config(signing_secret=SECRET), FakeApi())
    b.submit = lambda chat_id, job: queued.append((chat_id, job))
    server = bot.WebhookServer(("127.0.0.1", 0), b)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL}, daemon=True
    ).start()
    server.queued = queued
    server.url = f"http://127.0.0.1:{server.server_port}/webhook"
    yield server
    server.shutdown()
    server.server_close()


def post(url, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Chat-Signature"] = signature
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_server_queues_signed_webhooks_once_and_refuses_the_rest(webhook_server):
    event = delivery("member_message", visitor_message("hello"))
    body = json.dumps(event).encode()
    now = int(time.time())

    assert post(webhook_server.url, body, None)[0] == 401
    assert post(webhook_server.url, body, sign(body, secret="wrong", timestamp=now))[0] == 401
    assert post(webhook_server.url, body, sign(body, timestamp=now - 600))[0] == 401
    assert post(webhook_server.url, b"[1, 2]", sign(b"[1, 2]", timestamp=now))[0] == 400
    assert webhook_server.queued == []

    assert post(webhook_server.url, body, sign(body, timestamp=now)) == (202, {"queued": True})
    # The site's retry of the same delivery, signed anew: answered, not queued again.
    assert post(webhook_server.url, body, sign(body, timestamp=now + 1)) == (200, {"queued": False})
    assert webhook_server.queued == [(CHAT, event)]


def test_the_server_says_how_the_bot_is(webhook_server):
    with urllib.request.urlopen(webhook_server.url.replace("/webhook", "/health")) as response:
        assert json.loads(response.read()) == {
            "user_id": None,
            "name": "Bot",
            "present": False,
            "jobs": 0,
        }


def test_the_server_answers_at_once_however_slow_the_work(webhook_server):
    release = threading.Event()
    jobs = bot.Jobs(1, lambda job: release.wait(10))
    webhook_server.bot.submit = jobs.submit
    body = json.dumps(delivery("pending_conversation", pending())).encode()
    started = time.monotonic()
    assert post(webhook_server.url, body, sign(body, timestamp=int(time.time())))[0] == 202
    assert time.monotonic() - started < 2
    release.set()
    jobs.stop()


def test_jobs_of_one_chat_run_in_order():
    done, finished = [], threading.Event()

    def handle(job):
        time.sleep(0.01 if job["n"] == 0 else 0)
        done.append(job["n"])
        if len(done) == 20:
            finished.set()

    jobs = bot.Jobs(4, handle)
    for n in range(20):
        jobs.submit(CHAT, {"n": n})
    assert finished.wait(5)
    deadline = time.monotonic() + 5
    while jobs.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert jobs.pending == 0
    jobs.stop()
    assert done == list(range(20))
