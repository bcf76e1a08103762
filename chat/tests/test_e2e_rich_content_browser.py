"""End to end: a bot app's quick-reply and link buttons in the visitor's chat box, on a
real Daphne server driven by Debian's Chromium (see test_e2e_browser.py).

The server runs on its own SQLite file, so the bot app's message is stored there with a
``manage.py shell`` command, and the page is reloaded to have it replayed.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

GREETING_PREFIX = "Hi there! I'm Case."
QUESTION = "What is isomorphic go?"
QUESTION_VALUE = "faq_isomorphic_go"
ANSWER_PREFIX = "Isomorphic Go is the methodology"
DOCS_URL = "https://example.com/docs?topic=go&lang=en"
XSS = "<img src=x onerror=alert(1)>"

CONV = "#chatboxConversationContainer"
MSG = f"{CONV} .chatboxMessage"
QUICK_REPLY = f"{CONV} button.chatboxQuickReply"
LINK = f"{CONV} a.chatboxLinkAction"

ATTACHMENTS = [
    {
        "text": "Pick a topic, or read on:",
        "actions": [
            {"type": "button", "text": QUESTION, "value": QUESTION_VALUE},
            {"type": "button", "text": "Talk to a person", "value": "request_human"},
            {"type": "link", "text": "Read the docs", "link": DOCS_URL},
        ],
    }
]


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    with serve(request, "chat-e2e-rich-") as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@pytest.fixture
def visitor(browser, server):
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.errors = []
    page.dialogs = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def exactly(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text) + "$")


def run_on_server(server, code: str):
    """Run ``code`` in ``manage.py shell`` on the server's database; what it leaves in
    ``result`` comes back (through a file: the command's output goes to the server log)."""
    out = server.workdir / f"result-{uuid.uuid4().hex}.json"
    server.manage(
        "shell", "-c", f"import json\n{code}\nopen({str(out)!r}, 'w').write(json.dumps(result))"
    )
    return json.loads(out.read_text())


def session_key(page) -> str:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    return cookie["value"]


def add_bot_app_message(server, page, attachments, text: str = "How can I help?") -> None:
    """A bot app's message in the visitor's conversation, as the page will replay it."""
    run_on_server(
        server,
        "from chat.models import Conversation, Message\n"
        f"conversation = Conversation.objects.get(session_key={session_key(page)!r},"
        " closed_at__isnull=True)\n"
        "Message.objects.create(conversation=conversation, sender_role='agent',"
        f" sender_name='Helper', text={text!r}, attachments={attachments!r})\n"
        "result = None",
    )


def stored_visitor_messages(server, page) -> list[list]:
    return run_on_server(
        server,
        "from chat.models import Message\n"
        "result = list(Message.objects.filter(conversation__session_key="
        f"{session_key(page)!r}, sender_role='visitor').order_by('id')"
        ".values_list('text', 'response_value'))",
    )


def open_chat_with_message(server, page, attachments) -> None:
    page.goto("/")
    page.locator("#chatboxLauncher").click()
    expect(page.locator(f"{MSG} .chatSenderMsg").first).to_have_text(
        re.compile("^" + re.escape(GREETING_PREFIX))
    )
    add_bot_app_message(server, page, attachments)
    page.reload()  # the chat box reopens by itself and replays the conversation
    expect(page.locator(MSG)).to_have_count(2)


def test_a_quick_reply_is_sent_once_as_the_visitor_and_stays_answered(server, visitor):
    page = visitor
    open_chat_with_message(server, page, ATTACHMENTS)

    message = page.locator(MSG).nth(1)
    expect(message.locator(".chatSenderMsg")).to_have_text("How can I help?")
    expect(message.locator(".chatboxAttachmentText")).to_have_text("Pick a topic, or read on:")
    group = message.get_by_role("group", name="Pick a topic, or read on:")
    expect(group.get_by_role("button")).to_have_text([QUESTION, "Talk to a person"])
    expect(page.locator(QUICK_REPLY)).to_have_count(2)
    for button in page.locator(QUICK_REPLY).all():
        expect(button).to_be_enabled()

    link = group.get_by_role("link", name="Read the docs")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", DOCS_URL)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_contain_text("opens in a new tab")

    chosen = page.locator(QUICK_REPLY).filter(has_text=exactly(QUESTION))
    chosen.click()

    # Sent as the visitor's own message, acknowledged, and answered by the bot.
    visitor_message = page.locator(
        f"{MSG}.chatboxMessage--visitor:not(.chatboxMessage--pending) .chatSenderMsg"
    )
    expect(visitor_message).to_have_text([QUESTION])
    expect(
        page.locator(f"{MSG}.chatboxMessage--bot .chatSenderMsg").filter(
            has_text=re.compile("^" + re.escape(ANSWER_PREFIX))
        )
    ).to_have_count(1)
    expect(page.locator(MSG)).to_have_count(4)
    expect(page.locator("#chatboxInputField")).to_be_focused()
    assert stored_visitor_messages(server, page) == [[QUESTION, QUESTION_VALUE]]

    def expect_answered():
        for button in page.locator(QUICK_REPLY).all():
            expect(button).to_be_disabled()
        expect(page.locator(f"{QUICK_REPLY}.chatboxQuickReply--chosen")).to_have_text([QUESTION])
        expect(page.locator(LINK)).to_have_attribute("href", DOCS_URL)

    expect_answered()

    # A disabled button sends nothing, even when forced.
    chosen.click(force=True)
    page.wait_for_timeout(300)
    expect(page.locator(MSG)).to_have_count(4)

    # Replayed after a reload: still answered, and sent once.
    page.reload()
    expect(page.locator(MSG)).to_have_count(4)
    expect_answered()
    ids = page.locator(f"{MSG}[data-message-id]").evaluate_all(
        "els => els.map(e => e.dataset.messageId)"
    )
    assert len(ids) == len(set(ids)) == 4
    assert stored_visitor_messages(server, page) == [[QUESTION, QUESTION_VALUE]]
    assert page.evaluate("() => sessionStorage.getItem('chatbox:outbox')") is None
    assert page.errors == []


def test_a_typed_message_answers_the_buttons_and_unsafe_content_is_not_rendered(server, visitor):
    page = visitor
    attachments = [
        {
            "text": XSS,
            "actions": [
                {"type": "button", "text": "Yes", "value": "yes"},
                {"type": "link", "text": "Run this", "link": "javascript:alert(1)"},
                {"type": "link", "text": "Data", "link": "data:text/html,<b>hi</b>"},
                {"type": "link", "text": "Relative", "link": "/admin/"},
                {"type": "button", "text": "Bad value", "value": "line\nbreak"},
                {"type": "button", "text": "", "value": "no_label"},
                {"type": "carousel", "text": "Unknown"},
                {"type": "link", "text": XSS, "link": "http://example.com/"},
            ],
        },
        "not an attachment",
    ]
    open_chat_with_message(server, page, attachments)

    # Markup in attachments is shown as text; only what is safe to show is there.
    message = page.locator(MSG).nth(1)
    expect(message.locator(".chatboxAttachmentText")).to_have_text(XSS)
    expect(message.locator(".chatboxAction")).to_have_count(2)
    expect(page.locator(QUICK_REPLY)).to_have_text(["Yes"])
    expect(page.locator(LINK)).to_have_attribute("href", "http://example.com/")
    expect(page.locator(LINK)).to_contain_text(XSS)
    expect(page.locator(f"{CONV} img")).to_have_count(0)
    expect(page.locator(QUICK_REPLY)).to_be_enabled()

    # Keyboard: the quick reply is a real button in the tab order, with a visible focus ring.
    page.locator(CONV).focus()
    page.keyboard.press("Tab")
    expect(page.locator(QUICK_REPLY)).to_be_focused()
    outline = page.locator(QUICK_REPLY).evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"

    # A typed answer makes the buttons out of date, though none was pressed.
    field = page.locator("#chatboxInputField")
    field.fill("Where can I get starter code?")
    field.press("Enter")
    expect(page.locator(QUICK_REPLY)).to_be_disabled()
    expect(page.locator(f"{QUICK_REPLY}.chatboxQuickReply--chosen")).to_have_count(0)
    expect(page.locator(f"{MSG}.chatboxMessage--pending")).to_have_count(0)
    page.reload()
    expect(page.locator(f"{MSG}.chatboxMessage--visitor")).to_have_count(1)
    expect(page.locator(QUICK_REPLY)).to_be_disabled()
    assert stored_visitor_messages(server, page) == [["Where can I get starter code?", None]]
    assert page.dialogs == []
    assert page.errors == []
