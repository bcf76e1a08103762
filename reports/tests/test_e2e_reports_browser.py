"""End to end: a member of staff finds the reports from the console, in Debian's Chromium, on a
real Daphne server with a made-up week of the chat; the charts draw the page's numbers under
the site's Content-Security-Policy, and axe-core finds nothing to fix."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from reports.checks import CHART_JS
from testsupport.accessibility import axe_violations
from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

AGENT, PASSWORD = "rita", "reports-password-1"
CONVERSATIONS = 60
CHARTS = {
    "reportsDaysChart": ("#reportsDaysTable", 2),
    "reportsOutcomesChart": ("#reportsOutcomesTable", 2),
    "reportsScoresChart": ("#reportsScoresTable", 2),
}


def require_chart_js() -> None:
    """Skip (fail in CI) unless make copied Chart.js from npm (it is never committed)."""
    if CHART_JS.exists():
        return
    message = f"{CHART_JS} is missing: run `make vendor`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    require_chart_js()
    with serve(
        request,
        "chat-e2e-reports-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=[
            ("createsuperuser", "--noinput", "--username", AGENT, "--email", "r@x.org"),
            (
                "shell",
                "-c",
                "from benchmarks.console.dataset import populate; "
                f"populate(conversations={CONVERSATIONS}, days=7, agents=2, seed=5)",
            ),
        ],
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


def logged_in(browser, server, **context_options):
    context = browser.new_context(base_url=server.url, **context_options)
    page = context.new_page()
    page.goto("/admin/login/?next=/staff/")
    page.locator("#id_username").fill(AGENT)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    return context, page


def numbers(page, selector: str, column: int) -> list[int]:
    cells = page.locator(f"{selector} tbody td:nth-child({column})").all_text_contents()
    return [int(cell.replace(",", "")) for cell in cells]


def chart_points(page, canvas_id: str) -> list[int]:
    return page.evaluate(
        "id => Chart.getChart(document.getElementById(id)).data.datasets[0].data", canvas_id
    )


def test_the_reports_draw_their_numbers_under_the_site_s_policy(browser, server):
    context, page = logged_in(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        # From the console's header, one click.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
        expect(page).to_have_url(re.compile(r"/staff/reports/$"))
        expect(page.locator("h1")).to_have_text("Reports")
        expect(page.locator("#reportsConversations")).to_have_text(str(CONVERSATIONS))
        page.wait_for_function(
            "ids => ids.every(id => window.Chart && Chart.getChart(document.getElementById(id)))",
            arg=list(CHARTS),
        )
        for canvas_id, (table, column) in CHARTS.items():
            points = chart_points(page, canvas_id)
            # The chart and its text alternative say the same.
            assert points == numbers(page, table, column), canvas_id
            canvas = page.locator(f"#{canvas_id}")
            assert canvas.get_attribute("role") == "img"
            assert "table below" in canvas.get_attribute("aria-label")
            box = canvas.bounding_box()
            assert box["width"] > 100 and box["height"] > 100
        assert sum(chart_points(page, "reportsDaysChart")) == CONVERSATIONS
        assert sum(chart_points(page, "reportsOutcomesChart")) == CONVERSATIONS
        # The days' table, behind "The numbers", opens.
        page.locator("#reportsDaysTable").locator("xpath=..").locator("summary").click()
        expect(page.locator("#reportsDaysTable")).to_be_visible()
        # Chart.js styles its canvas from script, which the policy allows: nothing refused.
        assert errors == []
    finally:
        context.close()


def test_the_csv_of_the_page_s_period_downloads(browser, server):
    context, page = logged_in(browser, server)
    try:
        page.goto("/staff/reports/")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download as CSV").click()
        assert re.fullmatch(
            r"chat-report-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv",
            download.value.suggested_filename,
        )
        text = Path(download.value.path()).read_bytes().decode()
        assert text.startswith("section,item,figure,value\r\n")
        assert f"summary,,conversations,{CONVERSATIONS}\r\n" in text
    finally:
        context.close()


def test_a_bad_period_is_explained_and_the_page_stays_accessible(browser, server):
    # axe-core is injected: a context that lets it past the page's policy.
    context, page = logged_in(browser, server, bypass_csp=True)
    try:
        page.goto("/staff/reports/")
        page.wait_for_function("() => window.Chart && Chart.getChart('reportsDaysChart')")
        page.locator("#reportsDaysTable").locator("xpath=..").locator("summary").click()
        assert axe_violations(page) == []
        page.locator("#reportsStart").fill("2025-03-16")
        page.locator("#reportsEnd").fill("2025-03-10")
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("alert")).to_contain_text("The start must be on or before the end.")
        assert page.locator("#reportsStart").get_attribute("aria-invalid") is None
        assert axe_violations(page) == []
    finally:
        context.close()
