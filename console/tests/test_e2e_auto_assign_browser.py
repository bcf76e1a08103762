"""End to end, sharing the work: with auto-assignment on, a visitor who asks for a person is
given to the agent whose console is open, who never clicks Take; outside business hours the
chat box shows the away text instead. Debian's Chromium, a real Daphne server."""

from __future__ import annotations

import re

import pytest

from testsupport.accessibility import require_axe
from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

AGENT, PASSWORD = "anna", "console-password-1"
SUPERUSER = ("createsuperuser", "--noinput", "--username", AGENT, "--email", "a@x.org")


def settings_command(code: str) -> tuple[str, ...]:
    return ("shell", "-c", f"from chat.models import ChatSettings; {code}")


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    require_axe()
    with serve(
        request,
        "chat-e2e-assign-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=[SUPERUSER, settings_command("ChatSettings.objects.create(auto_assign=True)")],
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def closed_server(request):
    """Business hours kept, and none at all: out of hours all week."""
    require_chromium()
    with serve(
        request,
        "chat-e2e-away-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=[
            SUPERUSER,
            settings_command(
                "ChatSettings.objects.create(business_hours=True, "
                "away_text='We are back on Monday at 9.')"
            ),
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


def ask_for_a_person(visitor) -> None:
    visitor.goto("/")
    visitor.locator("#chatboxLauncher").click()
    expect(visitor.locator("#chatboxConversationContainer .chatboxMessage").first).to_contain_text(
        "I'm Case"
    )
    field = visitor.locator("#chatboxInputField")
    field.fill("I want to talk to a human")
    field.press("Enter")


def test_a_visitor_asking_for_a_person_is_given_to_the_agent_without_a_take(browser, server):
    from testsupport.accessibility import axe_violations

    # axe is injected as a script: the site's Content-Security-Policy would refuse it.
    staff = browser.new_context(base_url=server.url, bypass_csp=True)
    visitors = browser.new_context(base_url=server.url)
    try:
        agent = staff.new_page()
        errors: list[str] = []
        agent.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(agent)
        visitor = visitors.new_page()
        visitor.on("pageerror", lambda exc: errors.append(str(exc)))
        ask_for_a_person(visitor)

        # The visitor reads who joined; the agent's console lists it as theirs, and says so.
        expect(visitor.locator(".chatboxSystem").last).to_contain_text(
            f"{AGENT} (Support) joined and is answering now."
        )
        expect(visitor.locator(".chatboxAgentName")).to_have_text(AGENT)
        row = agent.locator('#consoleConversations [data-conversation-id][data-state="agent"]')
        expect(row).to_have_count(1)
        expect(row).to_have_class(re.compile(r"\bconsoleRow--mine\b"))
        expect(row.locator(".consoleRowAgent")).to_have_text(f"{AGENT} (you)")
        conversation = row.get_attribute("data-conversation-id")
        expect(agent.locator("#consoleNotice")).to_contain_text(
            f"Conversation #{conversation} is yours now"
        )
        expect(agent.locator('[data-state="waiting"][data-conversation-id]')).to_have_count(0)
        violations = axe_violations(agent)
        assert violations == [], "axe-core, console given a conversation:\n" + "\n".join(violations)

        # Theirs to answer at once: open, write, and the visitor reads it.
        row.click()
        expect(agent.locator("#consoleInput")).to_be_enabled()
        agent.locator("#consoleInput").fill("Hello, Anna here.")
        agent.locator("#consoleSend").click()
        expect(
            visitor.locator("#chatboxConversationContainer .chatSenderMsg").filter(
                has_text="Hello, Anna here."
            )
        ).to_have_count(1)

        # The settings page where staff switch it on: no accessibility violation either.
        agent.goto("/admin/chat/chatsettings/")
        agent.locator("#result_list tbody a").first.click()
        expect(agent.locator("#id_auto_assign")).to_be_checked()
        violations = axe_violations(agent)
        assert violations == [], "axe-core, chat settings:\n" + "\n".join(violations)
        assert errors == []
    finally:
        staff.close()
        visitors.close()


def test_out_of_hours_the_box_shows_the_away_text_and_offers_to_leave_a_message(
    browser, closed_server
):
    staff = browser.new_context(base_url=closed_server.url)
    visitors = browser.new_context(base_url=closed_server.url)
    try:
        # An agent is there, but the hours are over.
        log_in(staff.new_page())
        visitor = visitors.new_page()
        errors: list[str] = []
        visitor.on("pageerror", lambda exc: errors.append(str(exc)))
        ask_for_a_person(visitor)
        expect(visitor.locator("#chatboxStatus")).to_have_text("We are back on Monday at 9.")
        expect(visitor.locator(".chatboxSystem").last).to_have_text("We are back on Monday at 9.")
        expect(visitor.locator("#chatboxLeaveMessage")).to_be_visible()
        # The bot still answers.
        expect(visitor.locator("#chatboxInputField")).to_be_visible()
        assert errors == []
    finally:
        staff.close()
        visitors.close()
