"""End to end, in Debian's Chromium on a real Daphne server: a visitor chats, then staff
erase what is stored about them from admin's list of conversations, confirm on the page that
counts it, and find the erasure in the audit log. axe-core finds nothing on any of these
pages."""

from __future__ import annotations

import pytest

from testsupport.accessibility import axe_violations
from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

ADMIN, PASSWORD = "anna", "privacy-password-1"


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    with serve(
        request,
        "chat-e2e-privacy-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=[("createsuperuser", "--noinput", "--username", ADMIN, "--email", "a@x.org")],
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


def no_violations(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core, {where}:\n" + "\n".join(violations)


def test_staff_erase_a_visitor_s_conversation_from_admin_and_the_audit_log_says_so(browser, server):
    visitor = browser.new_context(base_url=server.url)
    staff = browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        page = visitor.new_page()
        page.goto("/")
        page.locator("#chatboxLauncher").click()
        field = page.locator("#chatboxInputField")
        field.fill("Do you ship gophers to Mars?")
        field.press("Enter")
        expect(page.locator("#chatboxConversationContainer .chatboxMessage")).to_have_count(3)

        admin = staff.new_page()
        admin.goto("/admin/login/?next=/admin/privacy/visitordata/")
        admin.locator("#id_username").fill(ADMIN)
        admin.locator("#id_password").fill(PASSWORD)
        admin.locator("input[type=submit]").click()
        expect(admin.locator("#visitor-search")).to_be_visible()
        no_violations(admin, "the visitors' data page")

        admin.goto("/admin/chat/conversation/")
        admin.locator("input.action-select").first.check()
        admin.locator("select[name=action]").select_option("visitors_data")
        admin.locator("button[name=index]").click()
        expect(admin.locator("#visitor-found")).to_be_visible()
        counts = admin.locator("#visitor-counts")
        expect(counts).to_contain_text("Conversations")
        expect(counts).to_contain_text("Sessions")
        no_violations(admin, "the confirmation page")

        admin.locator("#visitor-erase").click()
        expect(admin.locator(".messagelist")).to_contain_text("Erased: 1 conversation, ")
        no_violations(admin, "the visitors' data page after an erasure")

        admin.goto("/admin/audit/entry/")
        expect(admin.locator("#result_list")).to_contain_text("erased a visitor's data")
        no_violations(admin, "the audit log")

        # The visitor's chat starts afresh: their session went with the rest.
        page.reload()
        page.locator("#chatboxLauncher").click()
        expect(page.locator("#chatboxConversationContainer")).not_to_contain_text("Mars")
    finally:
        visitor.close()
        staff.close()
