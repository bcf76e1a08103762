"""Staff try questions on the live bot in admin, in a real browser against a real server."""

import re

import pytest

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

SCORE = re.compile(r"^\d\.\d{3}$")


def test_staff_try_a_question_from_the_knowledge_list(admin_server, chromium):
    context = chromium.new_context(base_url=admin_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Log in through the admin's own form.
        page.goto("/admin/bots/knowledgeentry/")
        expect(page).to_have_url(re.compile(r"/admin/login/"))
        page.fill("#id_username", admin_server.username)
        page.fill("#id_password", admin_server.password)
        page.locator("input[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/admin/bots/knowledgeentry/$"))

        page.locator(".object-tools").get_by_role("link", name="Try a question").click()
        expect(page).to_have_url(re.compile(r"/admin/bots/knowledgeentry/try/$"))
        expect(page.locator("h1")).to_have_text("Try a question")

        page.fill("#id_question", "What is isomorphic go?")
        page.get_by_role("button", name="Ask").click()
        expect(page.locator("#try-kind")).to_have_text("answer")
        expect(page.locator("#try-reply")).to_contain_text("Isomorphic Go is the methodology")
        answering = page.locator("#try-answering")
        expect(answering.get_by_role("link")).to_contain_text("isomorphic go")
        expect(answering.locator(".try-score")).to_have_text(SCORE)
        expect(page.locator("#try-threshold")).to_contain_text(re.compile(r"^\s*\d\.\d{3}\b"))
        runners_up = page.locator(".try-runner-up")
        expect(runners_up.first).to_be_visible()
        assert runners_up.count() >= 1
        for row in runners_up.all():
            # Each entry's score on words beside its score on meaning.
            expect(row.locator(".try-score")).to_have_text(SCORE)
            expect(row.locator(".try-semantic")).to_have_text(SCORE)
            expect(row.locator("td").nth(3)).not_to_be_empty()
        expect(answering.locator(".try-semantic")).to_have_text(SCORE)
        expect(page.locator("#try-decision")).to_contain_text("Answered on words")
        # The answering entry's link opens its change page.
        href = answering.get_by_role("link").get_attribute("href")
        assert re.fullmatch(r"/admin/bots/knowledgeentry/\d+/change/", href), href

        page.fill("#id_question", "zxqv blorp flimflam")
        page.get_by_role("button", name="Ask").click()
        expect(page.locator("#try-kind")).to_have_text("fallback")
        expect(page.locator("#try-reply")).to_have_text("I don't know the answer to that one.")
        expect(page.locator("#try-answering")).to_have_text("none")
        expect(page.locator("#try-decision")).to_contain_text("Declined")
        assert errors == []
    finally:
        context.close()
