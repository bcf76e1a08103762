"""The chat box on another site's page, in Debian's Chromium: one embed line on a plain HTML
page served from a second local origin, the chat's server listing that origin in its Chat
settings, and a third origin it does not list.

The chat's server is 127.0.0.1, which its ALLOWED_HOSTS name (a socket's Origin of that host
is the site's own, whatever the port). The other sites live on other loopback addresses
(127.0.0.3, 127.0.0.2), so that only the admin's list can let them in."""

from __future__ import annotations

import re

import pytest

from testsupport.harness import free_port, launch_chromium, plain_site, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

MESSAGES = "#chatboxConversationContainer .chatboxMessage"
QUESTION = "What is isomorphic go?"
ANSWER_START = "Isomorphic Go is the methodology"
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another shop</title></head>
<body><h1>Another shop</h1><p>Not a Django page.</p>
<script src="{chat}/static/chat/embed.js" async></script>
</body></html>
"""


ALLOWED_HOST = "127.0.0.3"
REFUSED_HOST = "127.0.0.2"


@pytest.fixture(scope="module")
def sites(request):
    """The chat's server, a site allowed to embed it and one that is not."""
    require_chromium()
    allowed = f"http://{ALLOWED_HOST}:{free_port()}"
    refused = f"http://{REFUSED_HOST}:{free_port()}"
    setting = (
        "from chat.models import ChatSettings;"
        "s = ChatSettings.objects.first() or ChatSettings();"
        f"s.allowed_origins = {allowed!r}; s.welcome_text = 'Hello from the embedded chat.';"
        "s.primary_color = '#0b3d91'; s.launcher_side = 'left'; s.save()"
    )
    with serve(request, "chat-e2e-embed-", commands=[("shell", "-c", setting)]) as chat:
        page = {"html": HOST_PAGE.format(chat=chat.url).encode()}
        with plain_site(allowed, page) as host, plain_site(refused, page) as other:
            yield chat, host, other


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@pytest.fixture
def contexts(browser):
    made = []

    def make():
        context = browser.new_context()
        made.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        return page

    yield make
    for context in made:
        context.close()


def test_a_page_of_an_allowed_site_chats_with_the_bot_and_finds_it_again_after_a_reload(
    sites, contexts
):
    chat, host, _ = sites
    page = contexts()
    page.goto(host + "/")
    launcher = page.locator("#chatboxLauncher")
    expect(launcher).to_be_visible()
    # Admin's look reaches the other site: the colour and the side.
    container = page.locator("#chatboxContainer")
    expect(container).to_have_attribute("data-side", "left")
    expect(launcher).to_have_css("background-color", "rgb(11, 61, 145)")
    assert launcher.bounding_box()["x"] < 100

    launcher.click()
    expect(page.locator(".chatboxWelcome")).to_have_text("Hello from the embedded chat.")
    expect(page.locator(f"{MESSAGES} .chatSenderMsg").first).to_contain_text("I'm Case")
    field = page.locator("#chatboxInputField")
    field.fill(QUESTION)
    field.press("Enter")
    expect(page.locator(MESSAGES).filter(has_text=ANSWER_START)).to_have_count(1)
    # The visitor is kept by a signed token in this site's storage, not by a cookie of ours.
    token = page.evaluate("() => localStorage.getItem('chatbox:token')")
    assert token and ":" in token
    assert not [c for c in page.context.cookies(chat.url) if c["name"] == "sessionid"]

    page.reload()
    expect(page.locator("#chatbox")).to_be_visible()
    asked = page.locator(f"{MESSAGES} .chatSenderMsg").filter(
        has_text=re.compile("^" + re.escape(QUESTION) + "$")
    )
    expect(asked).to_have_count(1)
    expect(page.locator(MESSAGES).filter(has_text=ANSWER_START)).to_have_count(1)

    # Another visitor of the same site has a conversation of their own.
    other = contexts()
    other.goto(host + "/")
    other.locator("#chatboxLauncher").click()
    expect(other.locator(f"{MESSAGES} .chatSenderMsg").first).to_contain_text("I'm Case")
    expect(other.locator(MESSAGES).filter(has_text=ANSWER_START)).to_have_count(0)
    assert page.errors == [] and other.errors == []


def test_a_forged_token_is_refused_in_words_and_the_visitor_starts_afresh(sites, contexts):
    _, host, _ = sites
    page = contexts()
    page.goto(host + "/")
    page.evaluate("() => localStorage.setItem('chatbox:token', 'someone-else:forged:token')")
    page.reload()
    page.locator("#chatboxLauncher").click()
    # The opening request refuses it (403 invalid_token): forgotten, a new visitor starts.
    expect(page.locator(f"{MESSAGES} .chatSenderMsg").first).to_contain_text("I'm Case")
    token = page.evaluate("() => localStorage.getItem('chatbox:token')")
    assert token and token != "someone-else:forged:token"


def test_a_site_not_on_the_list_gets_no_chat(sites, contexts):
    chat, _, refused = sites
    page = contexts()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(refused + "/")
    page.wait_for_timeout(1_500)
    # The chat's server does not answer this origin (CORS): no box, no launcher.
    assert page.locator("#chatboxLauncher").count() == 0
    # Nor does its socket, whatever a script of that page tries.
    outcome = page.evaluate(
        """url => new Promise(resolve => {
            const socket = new WebSocket(url);
            socket.onopen = () => resolve("opened");
            socket.onclose = () => resolve("refused");
        })""",
        chat.url.replace("http", "ws") + "/ws/chat/",
    )
    assert outcome == "refused"
