"""The chat box as visitors meet it, in Debian's Chromium: accessible (axe-core finds nothing
at WCAG 2.1 AA, by keyboard alone, focus where it belongs), never missing a reply (the
launcher's count, the title, the sound, in every tab), and on a phone a sheet over the
screen. A real server; a staff member answers from the console as a person would."""

from __future__ import annotations

import re

import pytest
from aiosmtpd.controller import Controller

from testsupport.accessibility import axe_violations, require_axe
from testsupport.harness import free_port, launch_chromium, require_chromium, serve

from .conftest import SmtpServer

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

AGENT, PASSWORD = "anna", "console-password-1"
MESSAGES = "#chatboxConversationContainer .chatboxMessage"
ANSWER_START = "Isomorphic Go is the methodology"
PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="module")
def mailbox():
    """A real SMTP server the chat's server sends its emails to; ``.received`` is what came."""
    handler = SmtpServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def server(request, mailbox):
    require_chromium()
    require_axe()
    with serve(
        request,
        "chat-e2e-box-",
        env={
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            "EMAIL_URL": f"smtp://127.0.0.1:{mailbox.port}",
            "DEFAULT_FROM_EMAIL": "Gopher Goods <chat@shop.example.com>",
        },
        commands=[("createsuperuser", "--noinput", "--username", AGENT, "--email", "a@x.org")],
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@pytest.fixture
def contexts(browser, server):
    made = []

    def make(**options):
        # axe is injected as a script: the site's Content-Security-Policy would refuse it.
        context = browser.new_context(base_url=server.url, bypass_csp=True, **options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def new_page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def open_product_page(page):
    page.goto("/")
    page.locator("a.productLink").first.click()
    expect(page.locator("#chatboxLauncher")).to_be_visible()


def open_chat(page):
    page.locator("#chatboxLauncher").click()
    expect(page.locator("#chatbox")).to_be_visible()
    expect(page.locator(f"{MESSAGES} .chatSenderMsg").first).to_contain_text("I'm Case")


def ask(page, text: str):
    field = page.locator("#chatboxInputField")
    field.fill(text)
    field.press("Enter")
    expect(field).to_have_value("")


def agent_console(context):
    agent = new_page(context)
    agent.goto("/admin/login/?next=/staff/")
    agent.locator("#id_username").fill(AGENT)
    agent.locator("#id_password").fill(PASSWORD)
    agent.locator("input[type=submit]").click()
    expect(agent).to_have_url(re.compile(r"/staff/$"))
    expect(agent.locator("#consolePresence")).to_contain_text(AGENT)
    return agent


def assert_accessible(page, where: str):
    violations = axe_violations(page)
    assert violations == [], f"axe-core, {where}:\n" + "\n".join(violations)


# --------------------------------------------------------------------------- accessibility


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_a_product_page_closed_open_and_with_the_message_form(
    contexts, scheme
):
    page = new_page(contexts(color_scheme=scheme))
    open_product_page(page)
    assert_accessible(page, f"product page, chat closed ({scheme})")

    open_chat(page)
    ask(page, "What is isomorphic go?")
    expect(page.locator(MESSAGES).filter(has_text=ANSWER_START)).to_have_count(1)
    assert_accessible(page, f"chat open with a conversation ({scheme})")

    # Nobody is at the console: asking for a person offers the leave-a-message form.
    ask(page, "I want to talk to a human")
    expect(page.locator("#chatboxLeaveMessage")).to_be_visible()
    page.locator("#chatboxLeaveSend").click()  # empty: every field says what is missing
    expect(page.locator("#chatboxLeaveNameError")).to_be_visible()
    assert_accessible(page, f"leave-a-message form with its errors ({scheme})")

    # Ended: the rating, the transcript and a new chat are offered.
    page.locator("#chatboxEndControl").click()
    expect(page.locator("#chatboxAfter")).to_be_visible()
    assert_accessible(page, f"after the chat ended ({scheme})")
    assert page.errors == []


def test_the_box_works_by_keyboard_alone_and_keeps_focus_where_it_belongs(contexts):
    page = new_page(contexts())
    open_product_page(page)
    launcher = page.get_by_role("button", name=re.compile("^Chat with us"))
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # Tab reaches the launcher; Enter opens the box and puts the visitor in its input.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "chatboxLauncher":
            break
    else:
        pytest.fail("Tab never reached the launcher")
    page.keyboard.press("Enter")
    expect(page.locator("#chatbox")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#chatboxInputField")).to_be_focused()
    expect(page.locator("#chatboxConversationContainer")).to_have_attribute("role", "log")
    for name in ("Close chat", "Send", "Sound for new messages"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)

    page.keyboard.type("What is isomorphic go?")
    page.keyboard.press("Enter")
    expect(page.locator(MESSAGES).filter(has_text=ANSWER_START)).to_have_count(1)

    # A visible focus ring on every control reached by Tab.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "chatboxSendButton"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")

    # Escape closes it and gives focus back to the launcher.
    page.keyboard.press("Escape")
    expect(page.locator("#chatbox")).to_be_hidden()
    expect(page.locator("#chatboxLauncher")).to_be_focused()
    assert page.errors == []


def test_motion_follows_prefers_reduced_motion(contexts):
    page = new_page(contexts(reduced_motion="reduce"))
    open_product_page(page)
    assert (
        page.locator("#chatboxLauncher").evaluate("el => getComputedStyle(el).transitionDuration")
        == "0s"
    )
    open_chat(page)
    behaviour = page.locator("#chatboxConversationContainer").evaluate(
        "el => getComputedStyle(el).scrollBehavior"
    )
    assert behaviour == "auto"


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("locale", "launcher", "heading", "greeting", "choose"),
    [
        (
            "de-DE",
            "Chatten Sie mit uns",
            "Chat mit Case",
            "Hallo! Ich bin Case.",
            "Bitte wählen Sie eine der fünf Antworten.",
        ),
        (
            "es-ES",
            "Chatee con nosotros",
            "Chat con Case",
            "¡Hola! Soy Case.",
            "Elija una de las cinco respuestas, por favor.",
        ),
    ],
)
def test_the_box_speaks_the_page_s_language(contexts, locale, launcher, heading, greeting, choose):
    page = new_page(contexts(locale=locale))
    open_product_page(page)
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])
    expect(page.locator("#chatboxLauncher")).to_contain_text(launcher)
    page.locator("#chatboxLauncher").click()
    # The template's words, the script's (its catalog) and the server's (the greeting).
    expect(page.locator("#chatboxTitle")).to_have_text(heading)
    expect(page.locator(f"{MESSAGES} .chatSenderMsg").first).to_contain_text(greeting)
    ask(page, "What is isomorphic go?")
    expect(page.locator(MESSAGES).filter(has_text=ANSWER_START)).to_have_count(1)
    page.locator("#chatboxEndControl").click()
    page.locator("#chatboxRatingSend").click()
    expect(page.locator("#chatboxRatingResult")).to_have_text(choose)
    assert page.errors == []


# --------------------------------------------------------------------------- never miss a reply


def test_a_person_s_reply_while_the_box_is_closed_is_counted_titled_and_sounded_once_in_every_tab(
    contexts,
):
    agent = agent_console(contexts())
    visitor = contexts()
    first = new_page(visitor)
    open_product_page(first)
    open_chat(first)
    ask(first, "I want to talk to a human")
    row = agent.locator('#consoleConversations [data-conversation-id][data-state="waiting"]')
    expect(row).to_have_count(1)
    row.click()
    agent.locator("#consoleTake").click()
    expect(first.locator(".chatboxSystem").last).to_contain_text(f"{AGENT} (Support) joined")
    first.locator("#chatboxCloseControl").click()
    expect(first.locator("#chatbox")).to_be_hidden()

    # A second tab, its box closed, listens to the conversation too.
    second = new_page(visitor)
    open_product_page(second)
    title = second.title()
    for page in (first, second):
        page.evaluate(
            "() => { window.sounds = []; document.addEventListener('chatbox:sound',"
            " e => window.sounds.push(e.detail.role)); }"
        )
    expect(second.locator("#chatbox")).to_be_hidden()

    agent.locator("#consoleInput").fill("Are you still there?")
    agent.locator("#consoleSend").click()
    for page in (first, second):
        badge = page.locator(".chatboxLauncherBadge")
        expect(badge).to_be_visible()
        expect(badge).to_have_text("1")
        expect(page.get_by_role("button", name=re.compile("1 new message$"))).to_have_count(1)
        expect(page.locator("#chatboxAnnouncer")).to_have_text("1 new message")
        expect(page).to_have_title(re.compile(r"^\(1\) New message · "))
    # One chime for the visitor, not one per tab.
    sounds = []
    for _ in range(50):
        sounds = first.evaluate("() => window.sounds") + second.evaluate("() => window.sounds")
        if sounds:
            break
        first.wait_for_timeout(100)
    first.wait_for_timeout(500)  # a second chime, if any, would have come by now
    sounds = first.evaluate("() => window.sounds") + second.evaluate("() => window.sounds")
    assert sounds == ["agent"]

    # Right after a reload too, and no second chime for the same reply.
    second.reload()
    second.evaluate(
        "() => { window.sounds = []; document.addEventListener('chatbox:sound',"
        " e => window.sounds.push(e.detail.role)); }"
    )
    expect(second.locator(".chatboxLauncherBadge")).to_have_text("1")
    expect(second).to_have_title(re.compile(r"^\(1\) New message · "))

    # Opening the box in one tab clears the count in every tab.
    first.locator("#chatboxLauncher").click()
    for page in (first, second):
        expect(page.locator(".chatboxLauncherBadge")).to_be_hidden()
    expect(second).to_have_title(title)
    assert second.evaluate("() => window.sounds") == []

    # Muted, remembered: the next reply counts but makes no sound.
    first.locator("#chatboxSoundControl").click()
    expect(first.locator("#chatboxSoundControl")).to_have_attribute("aria-pressed", "false")
    first.locator("#chatboxCloseControl").click()
    second.reload()
    expect(second.locator("#chatboxSoundControl")).to_have_attribute("aria-pressed", "false")
    second.evaluate(
        "() => { window.sounds = []; document.addEventListener('chatbox:sound',"
        " e => window.sounds.push(e.detail.role)); }"
    )
    agent.locator("#consoleInput").fill("I'll be here if you need me.")
    agent.locator("#consoleSend").click()
    expect(second.locator(".chatboxLauncherBadge")).to_have_text("1")
    second.wait_for_timeout(300)
    assert second.evaluate("() => window.sounds") == []
    assert first.errors == [] and second.errors == [] and agent.errors == []


# --------------------------------------------------------------------------- after the chat


def test_the_visitor_ends_the_chat_rates_it_once_and_has_it_emailed(contexts, mailbox):
    page = new_page(contexts())
    open_product_page(page)
    open_chat(page)
    end = page.get_by_role("button", name="End chat")
    expect(end).to_be_hidden()  # nothing said yet: nothing to end
    ask(page, "What is isomorphic go?")
    expect(page.locator(MESSAGES).filter(has_text=ANSWER_START)).to_have_count(1)

    end.click()
    after = page.locator("#chatboxAfter")
    expect(after).to_be_visible()
    expect(page.locator(".chatboxSystem").last).to_contain_text("ended the chat")
    # The question takes focus: a keyboard or screen-reader user is there at once.
    expect(page.locator("#chatboxRating input[name=score]").first).to_be_focused()
    expect(page.get_by_role("group", name="How was this chat?")).to_be_visible()

    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#chatboxRatingResult")).to_have_text(
        "Please choose one of the five answers."
    )
    page.locator("#chatboxRating").get_by_text("Good", exact=True).click()
    page.get_by_label("Anything to add? (optional)").fill("Quick and clear.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#chatboxRatingResult")).to_have_text("Thank you for your rating!")
    # Never asked twice: the status that came back carries the rating.
    expect(page.locator("#chatboxRating")).to_be_hidden()

    # The transcript: a bad address is refused in words, a good one gets the conversation.
    email = page.get_by_label("Email me this conversation")
    email.fill("not an address")
    page.locator("#chatboxTranscriptSend").click()
    expect(page.locator("#chatboxTranscriptEmailError")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    email.fill("visitor@example.org")
    page.locator("#chatboxTranscriptSend").click()
    expect(page.locator("#chatboxTranscriptResult")).to_have_text(
        "Sent. Check your inbox in a minute."
    )
    [received] = [m for m in mailbox.received if "visitor@example.org" in m.rcpt_tos]
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "What is isomorphic go?" in text and ANSWER_START in text

    # A new chat: greeted afresh, the panel gone.
    page.get_by_role("button", name="Start a new chat").click()
    expect(after).to_be_hidden()
    expect(page.locator(f"{MESSAGES} .chatSenderMsg").first).to_contain_text("I'm Case")
    expect(page.locator("#chatboxInputField")).to_be_focused()
    assert page.errors == []


# --------------------------------------------------------------------------- phones


def test_on_a_phone_the_open_box_is_a_sheet_that_keeps_its_composer_in_view(contexts):
    page = new_page(contexts(viewport=PHONE, has_touch=True, is_mobile=True))
    open_product_page(page)
    open_chat(page)

    box = page.locator("#chatbox").bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    expect(page.locator("#chatbox")).to_have_attribute("aria-modal", "true")
    # 16px text: the browser does not zoom when the field takes focus.
    font_size = page.locator("#chatboxInputField").evaluate("el => getComputedStyle(el).fontSize")
    assert font_size == "16px"
    # The page behind does not scroll while the sheet is open.
    overflow = page.evaluate(
        "() => [document.documentElement, document.body].map(e => getComputedStyle(e).overflowY)"
    )
    assert overflow == ["hidden", "hidden"]
    page.locator("#chatboxInputField").tap()
    page.mouse.wheel(0, 600)
    assert page.evaluate("() => window.scrollY") == 0

    # The on-screen keyboard shrinks the visual viewport: the sheet follows it and the
    # composer stays above the keyboard.
    page.set_viewport_size({"width": PHONE["width"], "height": 360})
    expect(page.locator("#chatbox")).to_have_css("height", "360px")
    send = page.locator("#chatboxSendButton").bounding_box()
    assert send["y"] + send["height"] <= 360

    # Its own close control gives the page back.
    page.set_viewport_size(PHONE)
    page.locator("#chatboxCloseControl").tap()
    expect(page.locator("#chatbox")).to_be_hidden()
    assert "chatboxSheetOpen" not in (page.locator("html").get_attribute("class") or "")
    assert page.errors == []
