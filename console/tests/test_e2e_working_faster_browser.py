"""Working faster in the staff console, in Debian's Chromium on one real server: canned
responses managed in the console and inserted by keyboard with their placeholders filled,
private notes a second agent sees and the visitor never does, the unread count of each
conversation (kept after a reload), desktop notifications when the tab is hidden, and axe-core
finding nothing with the canned list open and a note shown.

The tests share one server: each leaves no conversation waiting for a person, so that the
next one finds its visitor's alone in that group."""

from __future__ import annotations

import re

import pytest

from testsupport.accessibility import axe_violations, require_axe
from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

PASSWORD = "console-password-1"
AGENTS = ("anna", "ben")
VISITOR_TEXTS = "#chatboxConversationContainer .chatboxMessage .chatSenderMsg"
WAITING_ROW = '#consoleConversations [data-conversation-id][data-state="waiting"]'
ASKS_FOR_A_PERSON = "I want to talk to a human"

# Records the notifications the page makes instead of showing them; the permission is the
# browser context's (granted by the test), or, with ``window.__askedWillGrant``, "default"
# until the page asks, which grants it.
OBSERVE_NOTIFICATIONS = """(() => {
  const Real = window.Notification;
  let asked = false;
  window.__notifications = [];
  window.__permissionRequests = 0;
  function Observed(title, options) {
    window.__notifications.push({title, body: (options || {}).body, tag: (options || {}).tag});
    this.close = () => {};
  }
  Object.defineProperty(Observed, "permission", {
    get: () => window.__askedWillGrant ? (asked ? "granted" : "default") : Real.permission,
  });
  Observed.requestPermission = (callback) => {
    window.__permissionRequests += 1;
    asked = true;
    const answer = window.__askedWillGrant ? Promise.resolve("granted")
      : Real.requestPermission();
    return answer.then((permission) => { if (callback) callback(permission); return permission; });
  };
  window.Notification = Observed;
})();"""

# The console's tab as the browser tells a page it went to the background (or came back).
SET_VISIBILITY = """(state) => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => state === "hidden"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""

ADD_CANNED = """async (body) => {
  const token = document.querySelector('input[name="csrfmiddlewaretoken"]').value;
  const response = await fetch("/staff/canned/", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRFToken": token},
    body: JSON.stringify(body),
  });
  return response.status;
}"""


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    require_axe()
    commands = [
        ("createsuperuser", "--noinput", "--username", name, "--email", f"{name}@x.org")
        for name in AGENTS
    ]
    with serve(
        request,
        "chat-e2e-faster-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=commands,
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@pytest.fixture
def contexts(browser, server):
    made = []

    def make(*, notifications: bool = False, **options):
        # axe is injected as a script: the site's Content-Security-Policy would refuse it.
        context = browser.new_context(base_url=server.url, bypass_csp=True, **options)
        if notifications:
            context.grant_permissions(["notifications"])
        context.add_init_script(OBSERVE_NOTIFICATIONS)
        made.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in made:
        context.close()


def log_in(page, username: str = "anna") -> None:
    page.goto("/admin/login/?next=/staff/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator("#consoleConnection")).to_have_attribute("data-state", "open")


def visitor_asks_for_a_person(page) -> None:
    page.goto("/")
    page.locator("#chatboxLauncher").click()
    say(page, ASKS_FOR_A_PERSON)
    expect(page.locator(".chatboxSystem").last).to_contain_text("someone from the team")


def say(page, text: str) -> None:
    field = page.locator("#chatboxInputField")
    field.fill(text)
    field.press("Enter")
    expect(page.locator(VISITOR_TEXTS).filter(has_text=text).first).to_be_visible()


def open_and_take(agent) -> int:
    row = agent.locator(WAITING_ROW)
    expect(row).to_have_count(1)
    conversation = int(row.get_attribute("data-conversation-id"))
    row.click()
    expect(agent.locator("#consolePanelTitle")).to_have_text(f"Conversation #{conversation}")
    agent.locator("#consoleTake").click()
    expect(agent.locator("#consoleInput")).to_be_enabled()
    return conversation


def row_of(agent, conversation: int):
    return agent.locator(f'#consoleConversations [data-conversation-id="{conversation}"]')


def test_canned_responses_are_managed_in_the_console_and_inserted_by_keyboard(contexts):
    agent = contexts()
    log_in(agent)

    # The team's replies, managed in the console: a refusal is shown by its field.
    agent.locator("#consoleCannedManage").click()
    dialog = agent.locator("#consoleCannedDialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#consoleCannedForm")).to_be_visible()
    dialog.locator("#consoleCannedShortcut").fill("Hello")
    dialog.locator("#consoleCannedTitleField").fill("Greeting")
    dialog.locator("#consoleCannedText").fill("Hi {name}!")
    dialog.locator("#consoleCannedSave").click()
    text_field = dialog.locator("#consoleCannedText")
    expect(text_field).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("#consoleCannedTextError")).to_contain_text(
        "Unknown placeholder {name}: use {visitor_name} or {agent_name}"
    )
    expect(text_field).to_be_focused()
    text_field.fill("Hi {visitor_name}, {agent_name} here. {{Braces}} stay.")
    dialog.locator("#consoleCannedSave").click()
    expect(dialog.locator("#consoleCannedMessage")).to_have_text("Added /hello.")
    expect(text_field).not_to_have_attribute("aria-invalid", "true")
    for shortcut, title, text in [
        ("help-desk", "Help desk", "Our help desk: help.example.com"),
        ("bye", "Goodbye", "Bye, {visitor_name}!"),
    ]:
        dialog.locator("#consoleCannedShortcut").fill(shortcut)
        dialog.locator("#consoleCannedTitleField").fill(title)
        dialog.locator("#consoleCannedText").fill(text)
        dialog.locator("#consoleCannedSave").click()
        expect(dialog.locator("#consoleCannedMessage")).to_have_text(f"Added /{shortcut}.")
    expect(dialog.locator(".consoleCannedItem .consoleCannedShortcut")).to_have_text(
        ["/bye", "/hello", "/help-desk"]
    )
    dialog.locator("#consoleCannedClose").click()
    expect(dialog).to_be_hidden()

    visitor = contexts()
    visitor_asks_for_a_person(visitor)
    open_and_take(agent)

    # "/hel": both of its responses; Down and Up move, Escape closes, typing opens again.
    field = agent.locator("#consoleInput")
    listbox = agent.locator("#consoleCannedList")
    field.press_sequentially("/hel", delay=20)
    expect(field).to_have_attribute("aria-expanded", "true")
    options = listbox.locator('[role="option"]')
    expect(options).to_have_count(2)
    expect(options.locator(".consoleCannedShortcut")).to_have_text(["/hello", "/help-desk"])
    expect(field).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    field.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    field.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    # The preview is the reply as it would go: placeholders filled.
    expect(options.nth(0).locator(".consoleCannedPreview")).to_have_text(
        "Hi there, anna here. {Braces} stay."
    )
    field.press("Escape")
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    expect(field).to_have_value("/hel")
    field.press_sequentially("l", delay=20)
    expect(options).to_have_count(1)
    field.press("Enter")  # inserts; does not send
    expect(field).to_have_value("Hi there, anna here. {Braces} stay.")
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    field.press("Enter")  # sends
    expect(visitor.locator(VISITOR_TEXTS).filter(has_text="Hi there, anna here.")).to_have_text(
        ["Hi there, anna here. {Braces} stay."]
    )

    # Tab inserts too, within what is typed; the mouse as well.
    field.press_sequentially("Thanks! /by", delay=20)
    field.press("Tab")
    expect(field).to_have_value("Thanks! Bye, there!")
    expect(field).to_be_focused()
    field.fill("")
    field.press_sequentially("/help", delay=20)
    listbox.locator('[data-shortcut="help-desk"]').click()
    expect(field).to_have_value("Our help desk: help.example.com")
    expect(field).to_be_focused()
    assert agent.errors == [] and visitor.errors == []


def test_a_note_is_seen_by_a_second_agent_and_never_by_the_visitor(contexts):
    anna, ben, visitor = contexts(), contexts(), contexts()
    log_in(anna)
    log_in(ben, "ben")
    visitor_asks_for_a_person(visitor)
    conversation = open_and_take(anna)
    row_of(ben, conversation).click()
    expect(ben.locator("#consolePanelTitle")).to_have_text(f"Conversation #{conversation}")

    # Anna switches to "Note": writing it tells the visitor nothing, not even that she types.
    anna.locator('label[for="consoleModeNote"]').click()
    expect(anna.locator("#consoleModeHint")).to_be_visible()
    expect(anna.locator("#consoleSend")).to_have_text("Add note")
    field = anna.locator("#consoleInput")
    field.press_sequentially("Regular customer, asked about refunds twice", delay=25)
    expect(visitor.locator("#chatboxTyping")).to_be_hidden()
    field.press("Enter")

    note = "Regular customer, asked about refunds twice"
    for page in (anna, ben):
        shown = page.locator("#consoleMessages .consoleNoteRow").filter(has_text=note)
        expect(shown).to_have_count(1)
        expect(shown.locator(".consoleNoteLabel")).to_have_text("Private note")
        expect(shown.locator(".consoleMessageSender")).to_have_text("anna")
    expect(anna.locator(".consoleNoteRow--pending")).to_have_count(0)
    # Ben, who does not answer the conversation, may note it too.
    ben.locator('label[for="consoleModeNote"]').click()
    expect(ben.locator("#consoleInput")).to_be_enabled()
    ben.locator("#consoleInput").fill("I called them yesterday")
    ben.locator("#consoleSend").click()
    expect(anna.locator(".consoleNote").filter(has_text="I called them yesterday")).to_have_count(1)

    # A reply after the notes reaches the visitor; the notes never do, live or reloaded.
    anna.locator('label[for="consoleModeReply"]').click()
    field.fill("How can I help?")
    field.press("Enter")
    expect(visitor.locator(VISITOR_TEXTS).filter(has_text="How can I help?")).to_have_count(1)
    for text in (note, "I called them yesterday"):
        expect(visitor.get_by_text(text)).to_have_count(0)
    visitor.reload()
    visitor.locator("#chatboxLauncher").click()
    expect(visitor.locator(VISITOR_TEXTS).filter(has_text="How can I help?")).to_have_count(1)
    for text in (note, "I called them yesterday"):
        expect(visitor.get_by_text(text)).to_have_count(0)
    # The second agent opening it later finds the notes in their place.
    ben.reload()
    row_of(ben, conversation).click()
    thread = ben.locator("#consoleMessages > li")
    expect(thread.last).to_contain_text("How can I help?")
    expect(thread.nth(-2)).to_contain_text("I called them yesterday")
    assert anna.errors == [] and ben.errors == [] and visitor.errors == []


def test_the_list_counts_what_the_visitor_wrote_since_the_agent_last_looked(contexts):
    agent, visitor = contexts(notifications=True), contexts()
    log_in(agent)
    visitor_asks_for_a_person(visitor)
    row = agent.locator(WAITING_ROW)
    expect(row).to_have_attribute("data-unread", "1")
    expect(row.locator(".consoleRowUnread")).to_have_text("1 unread message")
    conversation = open_and_take(agent)
    row = row_of(agent, conversation)
    expect(row).to_have_attribute("data-unread", "0")
    expect(row.locator(".consoleRowUnread")).to_be_hidden()

    # While the console's tab is hidden, what the visitor writes is unread, and the agent,
    # who holds the conversation, is notified.
    agent.evaluate(SET_VISIBILITY, "hidden")
    say(visitor, "Are you there?")
    say(visitor, "Hello?")
    expect(row).to_have_attribute("data-unread", "2")
    expect(row.locator(".consoleRowUnread")).to_have_text("2 unread messages")
    notified = agent.evaluate("window.__notifications")
    assert notified[-1] == {
        "title": f"Conversation #{conversation}: the visitor wrote",
        "body": "Hello?",
        "tag": f"console-message-{conversation}",
    }

    # Kept by the server for this agent: right after a reload.
    agent.reload()
    expect(agent.locator("#consoleConnection")).to_have_attribute("data-state", "open")
    expect(row).to_have_attribute("data-unread", "2")
    # Opening it clears it; what the visitor writes while it is open in sight is read too.
    row.click()
    expect(row).to_have_attribute("data-unread", "0")
    say(visitor, "Still there?")
    expect(agent.locator(".consoleMessage").filter(has_text="Still there?")).to_have_count(1)
    expect(row).to_have_attribute("data-unread", "0")
    agent.wait_for_timeout(3_000)  # the console tells the server within 1.5 s (SEEN_DELAY_MS)
    agent.reload()
    expect(agent.locator("#consoleConnection")).to_have_attribute("data-state", "open")
    expect(row_of(agent, conversation)).to_have_attribute("data-unread", "0")
    assert agent.errors == [] and visitor.errors == []


def test_desktop_notifications_are_asked_for_by_a_button_and_come_while_the_tab_is_hidden(
    contexts,
):
    agent = contexts()
    agent.add_init_script("window.__askedWillGrant = true;")
    log_in(agent)
    # Never asked on load: the agent turns them on.
    assert agent.evaluate("window.__permissionRequests") == 0
    button = agent.locator("#consoleNotifyOn")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_be_hidden()
    expect(agent.locator("#consoleNotifyState")).to_have_text(
        "Desktop notifications are on while this tab is hidden."
    )
    assert agent.evaluate("window.__permissionRequests") == 1

    # A visitor waits while the console's tab is visible: the alert bar says it, no notification.
    first = contexts()
    visitor_asks_for_a_person(first)
    expect(agent.locator("#consoleAlert")).to_be_visible()
    assert agent.evaluate("window.__notifications") == []
    open_and_take(agent)

    # Another while it is hidden: a desktop notification.
    agent.evaluate(SET_VISIBILITY, "hidden")
    second = contexts()
    visitor_asks_for_a_person(second)
    expect(agent.locator(WAITING_ROW)).to_have_count(1)
    waiting = int(agent.locator(WAITING_ROW).get_attribute("data-conversation-id"))
    agent.wait_for_function("window.__notifications.length === 1")
    assert agent.evaluate("window.__notifications") == [
        {
            "title": "A visitor is waiting for a person",
            "body": f"Conversation #{waiting}.",
            "tag": f"console-waiting-{waiting}",
        }
    ]
    agent.evaluate(SET_VISIBILITY, "visible")
    open_and_take(agent)
    assert agent.errors == []


def test_axe_finds_nothing_with_the_canned_list_open_and_a_note_shown(contexts):
    agent, visitor = contexts(), contexts()
    log_in(agent)
    assert (
        agent.evaluate(
            ADD_CANNED, {"shortcut": "axe-check", "title": "Axe", "text": "Hello {visitor_name}"}
        )
        == 201
    )
    agent.reload()  # the console reads the list as it loads
    expect(agent.locator("#consoleConnection")).to_have_attribute("data-state", "open")
    visitor_asks_for_a_person(visitor)
    open_and_take(agent)
    agent.locator('label[for="consoleModeNote"]').click()
    agent.locator("#consoleInput").fill("A note for axe")
    agent.locator("#consoleInput").press("Enter")
    expect(agent.locator(".consoleNote").filter(has_text="A note for axe")).to_have_count(1)
    agent.locator("#consoleInput").press_sequentially("/axe", delay=20)
    expect(agent.locator("#consoleCannedList [role=option]")).to_have_count(1)

    violations = axe_violations(agent)
    assert violations == [], "axe-core, canned list open, a note shown:\n" + "\n".join(violations)

    agent.locator("#consoleInput").press("Escape")
    agent.locator("#consoleCannedManage").click()
    expect(agent.locator("#consoleCannedItems .consoleCannedItem").first).to_be_visible()
    agent.locator("#consoleCannedSave").click()  # empty: every field refused
    expect(agent.locator("#consoleCannedShortcutError")).to_be_visible()
    violations = axe_violations(agent)
    assert violations == [], "axe-core, the canned responses' dialog:\n" + "\n".join(violations)
    assert agent.errors == [] and visitor.errors == []
