"""End-to-end tests: a real Daphne server driven by Debian's Chromium via Playwright.

The server (``testsupport.harness``) runs as a subprocess on its own SQLite file (not the Django
test DB), so these tests don't use the ``django_db`` marker.  When ``REDIS_URL`` is set (CI), it
is passed through and the server runs on the Redis channel layer.
"""

from __future__ import annotations

import re

import pytest

from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

GREETING_PREFIX = "Hi there! I'm Case. You can ask me a question on Isomorphic Go. Such as..."
QUESTION = "What is isomorphic go?"
ANSWER = (
    "Isomorphic Go is the methodology to create isomorphic web applications using the Go "
    "(Golang) programming language. An isomorphic web application, is a web application, "
    "that contains code which can run, on both the web client and the web server."
)
KICK_QUESTION = "How can I recompile code instantly?"
KICK_ANSWER_PREFIX = "Kick is a lightweight mechanism to provide an instant kickstart"
STARTER_QUESTION = "Where can I get starter code?"
STARTER_ANSWER_PREFIX = "The isogoapp, is a basic, barebones web app"
XSS = "<img src=x onerror=alert(1)>"

CONV = "#chatboxConversationContainer"
MSG = f"{CONV} .chatboxMessage"
MSG_TEXT = f"{MSG} .chatSenderMsg"

EXPECT_TIMEOUT_MS = 10_000
RECONNECT_TIMEOUT_MS = 25_000

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(request):
    require_chromium()  # checked here too so that no server is started for nothing
    with serve(request, "chat-e2e-") as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


# --------------------------------------------------------------------------- visitors


class Visitor:
    """One browser context (own cookies / sessionStorage) with one page."""

    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(base_url=base_url)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    # helpers ---------------------------------------------------------------

    def product_hrefs(self) -> list[str]:
        self.page.goto("/")
        links = self.page.locator("a.productLink")
        expect(links.first).to_be_visible()
        hrefs = []
        for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
            if href and href not in hrefs:
                hrefs.append(href)
        return hrefs

    def open_chat(self):
        self.page.locator("#chatboxLauncher").click()
        expect(self.page.locator("#chatbox")).to_be_visible()
        self.expect_greeting()

    def expect_greeting(self):
        expect(self.page.locator(MSG_TEXT).first).to_have_text(
            re.compile("^" + re.escape(GREETING_PREFIX))
        )

    def send(self, text: str, *, button: bool = False):
        field = self.page.locator("#chatboxInputField")
        field.fill(text)
        if button:
            self.page.locator("#chatboxSendButton").click()
        else:
            field.press("Enter")
        expect(field).to_have_value("")

    def confirmed_visitor_message(self, text: str):
        return self.page.locator(
            f"{MSG}.chatboxMessage--visitor:not(.chatboxMessage--pending)"
            f":not(.chatboxMessage--failed) .chatSenderMsg"
        ).filter(has_text=re.compile("^" + re.escape(text) + "$"))

    def messages_with_text(self, text: str):
        return self.page.locator(MSG_TEXT).filter(has_text=re.compile("^" + re.escape(text) + "$"))

    def messages_starting_with(self, prefix: str):
        return self.page.locator(MSG_TEXT).filter(has_text=re.compile("^" + re.escape(prefix)))

    def all_texts(self) -> list[str]:
        return self.page.locator(MSG_TEXT).all_text_contents()

    def assert_no_duplicates(self):
        ids = self.page.locator(f"{MSG}[data-message-id]").evaluate_all(
            "els => els.map(e => e.dataset.messageId)"
        )
        assert len(ids) == len(set(ids)), f"message ids shown twice: {ids}"
        # Every shown message is confirmed by the server (no stale pending copies).
        assert self.page.locator(f"{MSG}.chatboxMessage--pending").count() == 0
        assert self.page.locator(MSG).count() == len(ids)

    def close(self):
        self.context.close()


@pytest.fixture
def visitor_factory(browser, server):
    made: list[Visitor] = []

    def make() -> Visitor:
        v = Visitor(browser, server.url)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()


# --------------------------------------------------------------------------- tests


def test_chat_follows_visitor_across_pages_and_renders_text_only(visitor_factory):
    v = visitor_factory()
    page = v.page

    hrefs = v.product_hrefs()
    assert hrefs, "the product list page has no a.productLink"
    page.locator("a.productLink").first.click()
    expect(page).to_have_url(re.compile(r"/products/[^/]+/$"))
    first_product_url = page.url

    # The chat is closed until the launcher is used.
    expect(page.locator("#chatboxLauncher")).to_be_visible()
    expect(page.locator("#chatbox")).to_be_hidden()

    v.open_chat()
    expect(page.locator("#chatboxTitle")).to_have_text("Chat with Case")
    expect(page.locator(".chatboxAgentName")).to_have_text("Case")
    expect(page.locator(".chatboxAgentTitle")).not_to_be_empty()
    thumb = page.locator(".chatboxAgentThumbnail img")
    expect(thumb).to_have_attribute("src", re.compile(r"Case\.png$"))
    page.wait_for_function(
        "() => { const i = document.querySelector('.chatboxAgentThumbnail img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=EXPECT_TIMEOUT_MS,
    )
    expect(page.locator("#chatboxStatus")).to_be_hidden()
    expect(page.locator(f"{MSG}.chatboxMessage--bot")).to_have_count(1)

    v.send(QUESTION)
    expect(v.confirmed_visitor_message(QUESTION)).to_have_count(1)
    expect(v.messages_with_text(ANSWER)).to_have_count(1)
    expect(page.locator(MSG)).to_have_count(3)

    # Another product page: the chat reopens by itself with the whole conversation.
    other = next((h for h in hrefs if not first_product_url.endswith(h)), None)
    if other is not None:
        page.goto(other)
    else:
        page.reload()
    assert page.url != first_product_url or other is None
    expect(page.locator("#chatbox")).to_be_visible()
    expect(page.locator(MSG)).to_have_count(3)
    expect(v.messages_starting_with(GREETING_PREFIX)).to_have_count(1)
    expect(v.messages_with_text(QUESTION)).to_have_count(1)
    expect(v.messages_with_text(ANSWER)).to_have_count(1)
    texts = v.all_texts()
    assert texts[0].startswith(GREETING_PREFIX)
    assert texts[1:] == [QUESTION, ANSWER], texts
    expect(page.locator("#chatboxTitle")).to_have_text("Chat with Case")

    # Markup in a message is shown literally, never interpreted (sent with the button).
    v.send(XSS, button=True)
    expect(v.confirmed_visitor_message(XSS)).to_have_count(1)
    expect(page.locator(MSG)).to_have_count(5)  # ...and the bot answered it
    expect(page.locator(f"{CONV} img")).to_have_count(0)
    assert v.dialogs == []

    # Replayed from the server after a reload: still text.
    page.reload()
    expect(page.locator(MSG)).to_have_count(5)
    expect(v.messages_with_text(XSS)).to_have_count(1)
    expect(page.locator(f"{CONV} img")).to_have_count(0)
    v.assert_no_duplicates()
    assert v.dialogs == []

    # Close and reopen on the same page (keyboard only): the server replays the whole
    # conversation into the boxes already shown, and nothing appears twice.
    page.locator("#chatboxCloseControl").click()
    expect(page.locator("#chatbox")).to_be_hidden()
    expect(page.locator("#chatboxLauncher")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#chatbox")).to_be_visible()
    expect(page.locator("#chatboxInputField")).to_be_focused()
    # Whitespace-only text is not sent.
    page.keyboard.type("   ")
    page.keyboard.press("Enter")
    page.keyboard.type(KICK_QUESTION)
    page.keyboard.press("Enter")
    expect(v.messages_starting_with(KICK_ANSWER_PREFIX)).to_have_count(1)
    expect(page.locator(MSG)).to_have_count(7)
    v.assert_no_duplicates()

    # Closed stays closed across navigation; the launcher reopens it.
    page.keyboard.press("Escape")
    expect(page.locator("#chatbox")).to_be_hidden()
    page.reload()
    expect(page.locator("#chatboxLauncher")).to_be_visible()
    expect(page.locator("#chatbox")).to_be_hidden()
    page.locator("#chatboxLauncher").click()
    expect(page.locator(MSG)).to_have_count(7)
    v.assert_no_duplicates()
    assert v.dialogs == []
    assert v.page_errors == []


def test_two_visitors_never_see_each_other(visitor_factory):
    alice = visitor_factory()
    bob = visitor_factory()
    for v in (alice, bob):
        v.page.goto("/")
        v.open_chat()

    alice.send(QUESTION)
    expect(alice.messages_with_text(ANSWER)).to_have_count(1)
    bob.send(STARTER_QUESTION)
    expect(bob.messages_starting_with(STARTER_ANSWER_PREFIX)).to_have_count(1)
    # A second full round trip for each, so any misrouted frame would have arrived by now.
    alice.send(KICK_QUESTION)
    expect(alice.messages_starting_with(KICK_ANSWER_PREFIX)).to_have_count(1)
    bob.send(QUESTION)
    expect(bob.messages_with_text(ANSWER)).to_have_count(1)

    expect(alice.page.locator(MSG)).to_have_count(5)
    expect(bob.page.locator(MSG)).to_have_count(5)
    a_texts = alice.all_texts()
    b_texts = bob.all_texts()
    assert STARTER_QUESTION not in a_texts
    assert not any(t.startswith(STARTER_ANSWER_PREFIX) for t in a_texts)
    assert KICK_QUESTION not in b_texts
    assert not any(t.startswith(KICK_ANSWER_PREFIX) for t in b_texts)

    # Replays (after a reload) are per visitor too.
    for v in (alice, bob):
        v.page.reload()
        expect(v.page.locator(MSG)).to_have_count(5)
        v.assert_no_duplicates()
    assert alice.all_texts() == a_texts
    assert bob.all_texts() == b_texts


def test_rejected_message_is_marked_failed_and_not_resent(visitor_factory):
    """An error frame carrying a client_id fails that pending message (shown as text) and
    drops it from the outbox, so it is not resent after a reload."""
    v = visitor_factory()
    page = v.page
    page.goto("/")
    v.open_chat()

    # A lone surrogate survives JSON.stringify (as \ud800) but cannot be stored: the real
    # server refuses it with an error frame that names the message's client_id.
    page.locator("#chatboxInputField").evaluate("el => { el.value = 'broken \\ud800 text'; }")
    page.locator("#chatboxInputField").press("Enter")
    failed = page.locator(f"{MSG}.chatboxMessage--failed")
    expect(failed).to_have_count(1)
    expect(page.locator(f"{MSG}.chatboxMessage--pending")).to_have_count(0)
    notice = page.locator(f"{CONV} .chatboxNotice--error")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("cannot be stored")
    assert page.evaluate("() => sessionStorage.getItem('chatbox:outbox')") is None

    # The chat still works, and the refused message is neither stored nor resent.
    v.send(QUESTION)
    expect(v.messages_with_text(ANSWER)).to_have_count(1)
    page.reload()
    expect(page.locator(MSG)).to_have_count(3)
    expect(page.locator(f"{MSG}.chatboxMessage--failed")).to_have_count(0)
    v.assert_no_duplicates()
    assert v.all_texts()[1:] == [QUESTION, ANSWER]
    assert v.page_errors == []


def test_message_typed_while_offline_survives_navigation(visitor_factory):
    """The outbox lives in sessionStorage: a message queued while the socket is down and
    the page then left is shown again (pending) on the next page and sent once."""
    v = visitor_factory()
    page = v.page
    cut = {"on": False, "live": []}

    def route(ws):
        if cut["on"]:
            ws.close(code=1012, reason="network cut by the test")
            return
        ws.connect_to_server()
        cut["live"].append(ws)

    v.context.route_web_socket(re.compile(r"/ws/chat/(\?.*)?$"), route)
    page.goto("/")
    v.open_chat()

    cut["on"] = True
    for ws in cut["live"]:
        ws.close(code=1012, reason="network cut by the test")
    status = page.locator("#chatboxStatus")
    expect(status).to_have_text(re.compile("Reconnecting"))
    v.send(STARTER_QUESTION)
    expect(page.locator(f"{MSG}.chatboxMessage--pending")).to_have_count(1)

    hrefs = v.product_hrefs()  # navigates to the list page...
    page.goto(hrefs[-1])  # ...and on to a product page, still offline
    expect(page.locator("#chatbox")).to_be_visible()
    pending = page.locator(f"{MSG}.chatboxMessage--pending .chatSenderMsg")
    expect(pending).to_have_text([STARTER_QUESTION])

    cut["on"] = False
    expect(status).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
    expect(v.confirmed_visitor_message(STARTER_QUESTION)).to_have_count(1)
    expect(v.messages_starting_with(STARTER_ANSWER_PREFIX)).to_have_count(1)
    expect(page.locator(MSG)).to_have_count(3)
    v.assert_no_duplicates()
    texts = v.all_texts()
    assert texts[0].startswith(GREETING_PREFIX)
    assert texts[1] == STARTER_QUESTION
    assert v.page_errors == []


def test_reconnects_after_server_restart_and_sends_queued_message_once(visitor_factory, server):
    v = visitor_factory()
    page = v.page
    page.goto("/")
    v.open_chat()
    expect(page.locator("#chatboxStatus")).to_be_hidden()

    server.kill()
    status = page.locator("#chatboxStatus")
    expect(status).to_be_visible()
    expect(status).to_have_text(re.compile("Reconnecting"))

    # Typed while the server is down: shown as pending, queued in the outbox.
    v.send(KICK_QUESTION)
    expect(page.locator(f"{MSG}.chatboxMessage--pending")).to_have_count(1)

    server.start()
    expect(status).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
    expect(v.confirmed_visitor_message(KICK_QUESTION)).to_have_count(1)
    expect(v.messages_starting_with(KICK_ANSWER_PREFIX)).to_have_count(1)
    expect(page.locator(MSG)).to_have_count(3)
    v.assert_no_duplicates()
    expect(v.messages_starting_with(GREETING_PREFIX)).to_have_count(1)

    # The server stored the queued message exactly once.
    page.reload()
    expect(page.locator(MSG)).to_have_count(3)
    texts = v.all_texts()
    assert texts[0].startswith(GREETING_PREFIX)
    assert texts[1] == KICK_QUESTION
    assert texts[2].startswith(KICK_ANSWER_PREFIX)
    v.assert_no_duplicates()
    assert v.page_errors == []


# --------------------------------------------------------------------------- limits

# Two frames at once, then one every 2.5 s: the server asks to wait 3 s.
RATE_LIMIT = {"CHAT_RATE_LIMIT_MESSAGES": "2", "CHAT_RATE_LIMIT_SECONDS": "5"}
TOO_FAST = "You are sending messages too fast"
SMALL_TALK = "Thanks!"


@pytest.fixture
def rate_limited_server(request):
    require_chromium()
    with serve(request, "chat-e2e-rate-", env=RATE_LIMIT) as srv:
        yield srv


def test_messages_refused_for_speed_wait_and_are_sent_again(browser, rate_limited_server):
    """Over the server's rate limit, a message is refused unread: the page keeps it pending
    (never failed), says how long to wait, and sends it again when allowed."""
    v = Visitor(browser, rate_limited_server.url)
    try:
        page = v.page
        page.goto("/")
        v.open_chat()
        questions = [QUESTION, KICK_QUESTION, STARTER_QUESTION, SMALL_TALK]
        for text in questions:  # typed as a person types: typing frames count too
            v.send(text)

        notice = page.locator(f"{CONV} .chatboxNotice").filter(has_text=TOO_FAST)
        expect(notice).to_have_count(1)
        expect(notice).to_have_text(re.compile(r"Wait \d+ s, then send again\."))
        expect(page.locator(f"{MSG}.chatboxMessage--pending")).not_to_have_count(0)
        expect(page.locator(f"{MSG}.chatboxMessage--failed")).to_have_count(0)

        # A few refusals and resends later, every message is stored and answered, once.
        for text in questions:
            expect(v.confirmed_visitor_message(text)).to_have_count(1, timeout=20_000)
        expect(page.locator(f"{MSG}.chatboxMessage--bot")).to_have_count(1 + len(questions))
        expect(page.locator(f"{MSG}.chatboxMessage--failed")).to_have_count(0)
        expect(notice).to_have_count(0)  # "wait N s" is over
        v.assert_no_duplicates()
        assert page.evaluate("() => sessionStorage.getItem('chatbox:outbox')") is None

        page.reload()
        expect(page.locator(MSG)).to_have_count(1 + 2 * len(questions))
        v.assert_no_duplicates()
        texts = v.all_texts()
        assert texts[1::2] == questions, texts
        assert texts[2].startswith(ANSWER[:40]) and texts[4].startswith(KICK_ANSWER_PREFIX)
        assert texts[6].startswith(STARTER_ANSWER_PREFIX)
        assert page.locator(f"{MSG}.chatboxMessage--bot").count() == 1 + len(questions)
        assert v.page_errors == []
    finally:
        v.close()


def test_a_left_message_over_the_body_limit_is_refused_in_words(visitor_factory):
    v = visitor_factory()
    page = v.page
    page.goto("/")
    # The form as offered when nobody can answer (the server said "leave_message").
    page.evaluate("() => sessionStorage.setItem('chatbox:leave', '1')")
    page.reload()
    v.open_chat()
    form = page.locator("#chatboxLeaveMessage")
    expect(form).to_be_visible()
    page.locator("#chatboxLeaveName").fill("Ana")
    page.locator("#chatboxLeaveEmail").fill("ana@example.com")
    # Past what the field allows: 9 bytes a character once percent-encoded, over 40,384 in all.
    page.locator("#chatboxLeaveText").evaluate("el => { el.removeAttribute('maxlength'); }")
    page.locator("#chatboxLeaveText").fill("\u20ac" * 5000)
    page.locator("#chatboxLeaveSend").click()
    result = page.locator("#chatboxLeaveResult")
    expect(result).to_have_text(re.compile(r"^Requests here are limited to \d+ bytes; "))
    expect(result).to_have_class(re.compile("chatboxLeaveResult--error"))
    # What was typed stays for another try.
    assert len(page.locator("#chatboxLeaveText").input_value()) == 5000
    assert v.page_errors == []


def test_the_launcher_shows_only_once_a_click_opens_the_chat(browser, server):
    # Before chat.js runs (slow phone, script blocked) a click on the launcher would be lost.
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("#chatboxLauncher")).to_be_hidden()
    finally:
        context.close()
    with_script = browser.new_context(base_url=server.url)
    try:
        page = with_script.new_page()
        page.goto("/")
        expect(page.locator("#chatboxLauncher")).to_be_visible()
    finally:
        with_script.close()
