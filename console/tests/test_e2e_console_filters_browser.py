"""End to end: an agent finds conversations in the staff console by a label and a word, in
Debian's Chromium on a real Daphne server, and labels one; a visitor's new chat meanwhile
stays out of the filtered list. The console with its filter bar passes axe-core."""

from __future__ import annotations

import re

import pytest

from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=15_000)

AGENT, PASSWORD = "anna", "console-password-1"
ROWS = "#consoleConversations .consoleRow"

# A support history: what each visitor said, and the labels it is filed under.
HISTORY = [
    ("My invoice shows the wrong refund", ["Billing"]),
    ("Where is my refund?", []),
    ("Invoice copy please", ["Billing"]),
    ("Refund for the hoodie, it tore", ["Billing", "Bug"]),
    ("The checkout crashed, refund me", ["Bug"]),
]
SEED = f"""
from datetime import timedelta
from django.utils import timezone
from chat.models import Conversation, ConversationLabel, Label, Message
labels = {{
    "Billing": Label.objects.create(name="Billing", color="#d97706"),
    "Bug": Label.objects.create(name="Bug", color="#dc2626"),
    "Feedback": Label.objects.create(name="Feedback", color="#7c3aed"),
}}
for n, (said, names) in enumerate({HISTORY!r}):
    at = timezone.now() - timedelta(hours=n + 1)
    c = Conversation.objects.create(
        session_key=f"seed{{n:028d}}", state="closed", created_at=at, last_message_at=at,
        closed_at=at,
    )
    Message.objects.create(conversation=c, sender_role="visitor", sender_name="Visitor", text=said)
    for name in names:
        ConversationLabel.objects.create(conversation=c, label=labels[name])
"""


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    with serve(
        request,
        "chat-e2e-filters-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=[
            ("createsuperuser", "--noinput", "--username", AGENT, "--email", "a@x.org"),
            ("shell", "-c", SEED),
        ],
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


def log_in(page) -> None:
    page.goto("/admin/login/?next=/staff/")
    page.locator("#id_username").fill(AGENT)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator("#consolePresence")).to_contain_text(AGENT)
    # The labels to filter by have come.
    expect(page.locator("#consoleFilterLabel option")).to_have_count(4)


def listed(page) -> list[str]:
    """What the rows of the list say, newest first."""
    return page.locator(f"{ROWS} .consoleRowText").all_inner_texts()


def said(*texts: str) -> list[str]:
    return [f"Visitor: {text}" for text in texts]


def test_an_agent_finds_conversations_by_a_label_and_a_word_and_labels_one(browser, server):
    context = browser.new_context(base_url=server.url)
    visitor_context = browser.new_context(base_url=server.url)
    try:
        agent = context.new_page()
        errors: list[str] = []
        agent.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(agent)
        everything = said(*(text for text, _labels in HISTORY))
        expect(agent.locator(f"{ROWS} .consoleRowText")).to_have_text(everything)
        # Each row names its labels, each beside a swatch of its colour.
        first = agent.locator(ROWS).first
        expect(first.locator(".consoleLabelName")).to_have_text(["Billing"])
        assert (
            first.locator(".consoleLabelSwatch").evaluate(
                "e => getComputedStyle(e).backgroundColor"
            )
            == "rgb(217, 119, 6)"
        )

        # A label: applied as it is chosen.
        agent.locator("#consoleFilterLabel").select_option(label="Billing")
        billing = said(HISTORY[0][0], HISTORY[2][0], HISTORY[3][0])
        expect(agent.locator(f"{ROWS} .consoleRowText")).to_have_text(billing)
        expect(agent.locator("#consoleFilterStatus")).to_have_text("3 conversations match.")

        # And a word of their messages, whatever its case: exactly the two with both.
        search = agent.locator("#consoleFilterSearch")
        search.fill("REFUND")
        search.press("Enter")
        both = said(HISTORY[0][0], HISTORY[3][0])
        expect(agent.locator(f"{ROWS} .consoleRowText")).to_have_text(both)
        expect(agent.locator("#consoleFilterStatus")).to_have_text("2 conversations match.")

        # A visitor starts a chat meanwhile: the console hears of it, the list stays.
        visitor = visitor_context.new_page()
        visitor.goto("/")
        visitor.locator("#chatboxLauncher").click()
        field = visitor.locator("#chatboxInputField")
        field.fill("Do you ship to Germany?")
        field.press("Enter")
        expect(visitor.locator("#chatboxConversationContainer .chatboxMessage")).to_have_count(3)
        agent.wait_for_timeout(500)
        assert listed(agent) == both

        # The agent files the first under "Bug" too, from its panel.
        agent.locator(ROWS).first.click()
        expect(agent.locator("#consoleLabelList .consoleLabelName")).to_have_text(["Billing"])
        agent.locator("#consoleLabelSelect").select_option(label="Bug")
        agent.locator("#consoleLabelAdd").click()
        expect(agent.locator("#consoleLabelList .consoleLabelName")).to_have_text(
            ["Billing", "Bug"]
        )
        expect(agent.locator(ROWS).first.locator(".consoleLabelName")).to_have_text(
            ["Billing", "Bug"]
        )
        # Taken off again by its own button, named by the label.
        agent.get_by_role("button", name="Take the label Billing off").click()
        expect(agent.locator("#consoleLabelList .consoleLabelName")).to_have_text(["Bug"])
        # No longer a Billing conversation: out of the list, though still open.
        expect(agent.locator(f"{ROWS} .consoleRowText")).to_have_text(said(HISTORY[3][0]))
        expect(agent.locator("#consolePanelTitle")).to_contain_text("Conversation #")

        # Everything again, the visitor's new chat first.
        agent.locator("#consoleFilterClear").click()
        expect(agent.locator(f"{ROWS} .consoleRowText").first).to_have_text(
            re.compile("Do you ship to Germany|Bot: ")
        )
        expect(agent.locator(ROWS)).to_have_count(len(HISTORY) + 1)
        expect(agent.locator("#consoleFilterStatus")).to_be_hidden()
        assert errors == []
    finally:
        visitor_context.close()
        context.close()


def test_axe_finds_nothing_in_the_console_with_its_filter_bar_and_labels(browser, server):
    from testsupport.accessibility import axe_violations

    # axe is injected as a script: the site's Content-Security-Policy would refuse it.
    context = browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        agent = context.new_page()
        log_in(agent)
        violations = axe_violations(agent)
        assert violations == [], "axe-core, console and its filters:\n" + "\n".join(violations)

        # Filtered, with a conversation and its labels open.
        agent.locator("#consoleFilterLabel").select_option(label="Bug")
        # (The test before may have filed more under it.)
        expect(agent.locator("#consoleFilterStatus")).to_have_text(re.compile("match"))
        agent.locator(ROWS).first.click()
        expect(agent.locator("#consoleLabelList .consoleLabel")).not_to_have_count(0)
        violations = axe_violations(agent)
        assert violations == [], "axe-core, filtered, labels open:\n" + "\n".join(violations)
    finally:
        context.close()
