"""A person at the staff log-in in Debian's Chromium: the tenth wrong password in a row gets
the lock-out page, in admin's look and in words, and axe-core finds nothing on it."""

from __future__ import annotations

import pytest

from testsupport.accessibility import axe_violations
from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

AGENT, PASSWORD = "anna", "logins-password-1"


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    with serve(
        request,
        "chat-e2e-logins-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=[("createsuperuser", "--noinput", "--username", AGENT, "--email", "a@x.org")],
    ) as srv:
        yield srv


def test_the_tenth_wrong_password_gets_the_lock_out_page(server):
    with launch_chromium() as browser:
        context = browser.new_context(base_url=server.url, bypass_csp=True)
        try:
            page = context.new_page()
            for attempt in range(1, 11):
                page.goto("/admin/login/?next=/staff/")
                page.locator("#id_username").fill(AGENT)
                page.locator("#id_password").fill(f"guess-{attempt}")
                with page.expect_response(lambda r: r.request.method == "POST") as answer:
                    page.locator("input[type=submit]").click()
                status = answer.value.status
                assert status == (429 if attempt == 10 else 200), f"attempt {attempt}: {status}"
            expect(page.locator("#lockout-message")).to_contain_text(
                "Log-ins are locked after 10 wrong passwords in a row"
            )
            expect(page.locator("#lockout-message")).to_contain_text("Try again in 15 minutes")
            violations = axe_violations(page)
            assert violations == [], "axe-core, the lock-out page:\n" + "\n".join(violations)
            # The right password now is refused all the same.
            page.goto("/admin/login/?next=/staff/")
            page.locator("#id_username").fill(AGENT)
            page.locator("#id_password").fill(PASSWORD)
            page.locator("input[type=submit]").click()
            expect(page.locator("#lockout-message")).to_be_visible()
        finally:
            context.close()
